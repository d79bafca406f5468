// Where the session's input comes from: libedit on a terminal, plain stdin otherwise, an array
// in tests.
import Glibc

/// One answer from a ``LineReader``.
public enum LineInput: Equatable, Sendable {
  /// A line, without its newline. A line recalled from history may hold a whole block (several
  /// lines joined by `\n`).
  case line(String)
  /// Ctrl-C at the prompt: drop what was typed and prompt again.
  case interrupted
  /// End of input (Ctrl-D on an empty line, or the end of a pipe).
  case end
}

/// Which prompt to show.
public enum Prompt: Sendable {
  /// The first line of an entry: `lebm> `.
  case primary
  /// A further line of an unfinished block: `  ... `.
  case continuation

  /// The prompt text.
  public var text: String {
    switch self {
    case .primary: return "lebm> "
    case .continuation: return "  ... "
    }
  }
}

/// A source of input lines for a ``Session``.
public protocol LineReader: AnyObject {
  /// Reads one line, showing `prompt` where the reader shows prompts.
  func readLine(_ prompt: Prompt) -> LineInput
  /// Records a finished entry (a whole block is one entry) in the reader's history, if it keeps one.
  func addHistory(_ entry: String)
  /// Whether this reader is interactive (a terminal): it decides the default file name in
  /// messages and whether images may be drawn.
  var isInteractive: Bool { get }
}

/// Reads lines from memory: for tests and for `:paste`-like replays.
public final class ArrayLineReader: LineReader {
  /// The answers still to give, in order; `.end` once they run out.
  public var inputs: [LineInput]
  /// The entries added to history so far.
  public private(set) var history: [String] = []
  /// The prompts asked for so far.
  public private(set) var prompts: [Prompt] = []
  public let isInteractive: Bool

  /// A reader that returns `lines` one by one, then `.end`.
  public convenience init(_ lines: [String], isInteractive: Bool = true) {
    self.init(inputs: lines.map { .line($0) }, isInteractive: isInteractive)
  }

  /// A reader that returns `inputs` one by one, then `.end`.
  public init(inputs: [LineInput], isInteractive: Bool = true) {
    self.inputs = inputs
    self.isInteractive = isInteractive
  }

  public func readLine(_ prompt: Prompt) -> LineInput {
    prompts.append(prompt)
    return inputs.isEmpty ? .end : inputs.removeFirst()
  }

  public func addHistory(_ entry: String) { history.append(entry) }
}

/// Reads standard input (or any descriptor) plainly: no prompts, no history, no escapes. Used
/// when stdin is not a terminal (`lebm < file`, `… | lebm`).
public final class StdinReader: LineReader {
  private let file: UnsafeMutablePointer<FILE>
  public var isInteractive: Bool { false }

  /// Reads from `file` (standard input by default).
  public init(file: UnsafeMutablePointer<FILE> = stdin) { self.file = file }

  public func readLine(_ prompt: Prompt) -> LineInput {
    var buffer: UnsafeMutablePointer<CChar>? = nil
    var capacity = 0
    defer { free(buffer) }
    let n = getline(&buffer, &capacity, file)
    guard n >= 0, let buffer else { return .end }
    // Drop the line ending ("\n" or "\r\n"), byte-wise: "\r\n" is one Character in Swift.
    var count = n
    if count > 0, buffer[count - 1] == 0x0A { count -= 1 }
    if count > 0, buffer[count - 1] == 0x0D { count -= 1 }
    let bytes = UnsafeRawBufferPointer(start: buffer, count: count)
    return .line(String(decoding: bytes, as: UTF8.self))
  }

  public func addHistory(_ entry: String) {}
}
