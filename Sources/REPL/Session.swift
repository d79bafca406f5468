// The read → check → evaluate → print loop (after Lua's `doREPL`: loadline, docall, print or
// report, never exit). Input continues while the backend says `.incomplete`; lines starting with
// `:` on the first line of an entry are REPL commands.
import Glibc

/// One REPL session over a ``LineReader`` and a ``REPLBackend``.
public final class Session {
  /// The language.
  public let backend: REPLBackend
  /// Where lines come from.
  public let reader: LineReader
  /// Where results, figures and errors go.
  public let console: Console
  /// How figures are drawn inline (in addition to their `[figure]` line).
  public var images: ImageProtocol
  /// The name errors carry for typed input: `<repl>` interactively, `<stdin>` otherwise.
  public var fileName: String
  /// The exit status a non-interactive run ends with: 0, or 65/70 for the first syntax/runtime
  /// error.
  public private(set) var status: Int32 = 0
  /// Entries that ran without error, for `:save`.
  public private(set) var transcript: [String] = []

  /// A session; nothing is read until ``run()``.
  public init(
    backend: REPLBackend, reader: LineReader, console: Console, images: ImageProtocol = .none
  ) {
    self.backend = backend
    self.reader = reader
    self.console = console
    self.images = images
    self.fileName = reader.isInteractive ? "<repl>" : "<stdin>"
  }

  /// The REPL commands, for `:help`.
  public static let commandHelp = """
    REPL commands:
      :help [name]    help on a builtin or variable; this list without a name
      :vars           the variables defined so far
      :time CODE      run CODE and print the wall time it took
      :load FILE      run a .lebm file in this session
      :save FILE      write the entries that ran without error to FILE
      :paste          read lines until one that is just `--`, then run them as one block
      :reset          forget all variables
      :tutorial [N]   play tutorial lesson N (a number or name) step by step, in this session
      :quit           leave (Ctrl-D too)
    Ctrl-C stops a running loop between steps; at the prompt it clears the line.
    """

  /// Reads and runs entries until end of input or `:quit`. Returns ``status``.
  @discardableResult
  public func run() -> Int32 {
    let console = self.console
    let tracker = self.outputTracker
    backend.output = { text in
      if let last = text.utf8.last { tracker.endsWithNewline = last == UInt8(ascii: "\n") }
      console.out(text)
    }
    while true {
      switch readEntry() {
      case .end:
        if reader.isInteractive { console.out("\n") }
        return status
      case .cancelled:
        console.out("\n")
      case .code(let source):
        reader.addHistory(source)
        run(source, file: fileName)
      case .command(let line):
        if !command(line) { return status }
      }
    }
  }

  // MARK: - Reading

  enum Entry: Equatable {
    case code(String), command(String), cancelled, end
  }

  /// Reads one entry: a command line, or code lines until the backend stops saying `.incomplete`.
  func readEntry() -> Entry {
    var lines: [String] = []
    while true {
      switch reader.readLine(lines.isEmpty ? .primary : .continuation) {
      case .end:
        // End of input inside a block: run it, so the parser reports what is missing.
        return lines.isEmpty ? .end : .code(lines.joined(separator: "\n"))
      case .interrupted:
        return .cancelled
      case .line(let line):
        if lines.isEmpty {
          let trimmed = trimmed(line)
          if trimmed.isEmpty { continue }
          if trimmed.hasPrefix(":") { return .command(trimmed) }
        }
        lines.append(line)
        let source = lines.joined(separator: "\n")
        if backend.check(source) != .incomplete { return .code(source) }
      }
    }
  }

  /// Reads further lines of `first` until it is complete (used by `:time`).
  func readRest(of first: String) -> String? {
    var source = first
    while backend.check(source) == .incomplete {
      switch reader.readLine(.continuation) {
      case .line(let line): source += "\n" + line
      case .interrupted: return nil
      case .end: return source
      }
    }
    return source
  }

  // MARK: - Evaluating

  /// Evaluates `source` as interruptible work and shows the result. Returns the result.
  @discardableResult
  public func run(_ source: String, file: String) -> EvalResult {
    let backend = self.backend
    let result = InterruptSignal.runEvaluation { backend.evaluate(source, file: file) }
    show(result)
    if !result.failed, file == fileName { transcript.append(source) }
    if status == 0, result.failed {
      status = result.interrupted ? 130 : result.isSyntaxError ? 65 : 70
    }
    return result
  }

  /// Whether the program's own output ended with a newline (so the echo and the next prompt
  /// start a line of their own).
  final class OutputTracker { var endsWithNewline = true }
  let outputTracker = OutputTracker()

  /// Prints a result: the error (or "interrupted") to the error sink, else the echo; then figures.
  public func show(_ result: EvalResult) {
    if !outputTracker.endsWithNewline {
      console.out("\n")
      outputTracker.endsWithNewline = true
    }
    if result.interrupted {
      console.err("interrupted\n")
    } else if let error = result.error {
      console.err(error.hasSuffix("\n") ? error : error + "\n")
    } else if let echo = result.echo {
      console.out(echo.hasSuffix("\n") ? echo : echo + "\n")
    }
    for path in result.figures { showFigure(path) }
  }

  /// Draws the figure inline when ``images`` allows it, then prints its `[figure]` line.
  public func showFigure(_ path: String) {
    if images != .none, let png = readFileBytes(path), FigureInfo.pngSize(Array(png.prefix(24))) != nil {
      console.out(images.escape(forPNG: png))
    }
    console.out(figureLine(path) + "\n")
  }

  // MARK: - Commands

  /// Runs a `:command` line. Returns false when the session should end.
  func command(_ line: String) -> Bool {
    let body = line.dropFirst()
    let name = String(body.prefix { !$0.isWhitespace })
    let argument = trimmed(String(body.dropFirst(name.count)))
    var historyEntry = line  // what Up recalls; `:time` extends it, `:paste` replaces it
    defer { reader.addHistory(historyEntry) }
    switch name {
    case "q", "quit", "exit":
      return false
    case "h", "help", "?":
      if argument.isEmpty {
        console.out(Self.commandHelp + "\n")
        let overview = backend.help(nil)
        if !overview.isEmpty { console.out("\n" + ensureNewline(overview)) }
      } else {
        console.out(ensureNewline(backend.help(argument)))
      }
    case "vars":
      let vars = backend.variables()
      if vars.isEmpty {
        console.out("(no variables)\n")
      } else {
        let width = vars.map { $0.name.count }.max() ?? 0
        for v in vars {
          console.out(v.name + String(repeating: " ", count: width - v.name.count) + "  "
            + v.summary + "\n")
        }
      }
    case "time":
      guard !argument.isEmpty else {
        console.err("usage: :time CODE\n")
        return true
      }
      guard let source = readRest(of: argument) else {
        console.out("\n")
        return true
      }
      historyEntry = ":time " + source
      let start = monotonicSeconds()
      run(source, file: fileName)
      console.out("time: \(formatDuration(monotonicSeconds() - start))\n")
    case "load":
      guard !argument.isEmpty else {
        console.err("usage: :load FILE\n")
        return true
      }
      let path = unquote(argument)
      guard let text = readWholeFile(path) else {
        console.err("cannot read '\(path)': \(errnoMessage())\n")
        return true
      }
      run(stripShebang(text), file: path)
    case "save":
      guard !argument.isEmpty else {
        console.err("usage: :save FILE\n")
        return true
      }
      let path = unquote(argument)
      let text = transcript.map { ensureNewline($0) }.joined()
      let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      if fd < 0 || !writeAll(fd, text) {
        console.err("cannot write '\(path)': \(errnoMessage())\n")
      } else {
        console.out("saved \(transcript.count) entries to \(path)\n")
      }
      if fd >= 0 { close(fd) }
    case "paste":
      console.out("paste mode: end with a line that is just `--` (Ctrl-D also ends it)\n")
      var lines: [String] = []
      reading: while true {
        switch reader.readLine(.continuation) {
        case .line(let l):
          if trimmed(l) == "--" { break reading }
          lines.append(l)
        case .end: break reading
        case .interrupted:
          console.out("\n")
          return true
        }
      }
      let source = lines.joined(separator: "\n")
      historyEntry = source
      if !trimmed(source).isEmpty { run(source, file: fileName) }
    case "tutorial":
      let saved = backend.output
      Tutorial.fromREPL(argument, backend: backend, reader: reader, console: console, images: images)
      backend.output = saved
    case "reset":
      backend.reset()
      transcript.removeAll()
      console.out("(all variables cleared)\n")
    default:
      console.err("unknown command ':\(name)'; :help lists the commands\n")
    }
    return true
  }
}

// MARK: - Helpers

/// `text` with a leading `#!` line emptied (line numbers stay the same), for scripts run with
/// `#!/usr/bin/env lebm`.
public func stripShebang(_ text: String) -> String {
  guard text.hasPrefix("#!") else { return text }
  guard let newline = text.firstIndex(of: "\n") else { return "" }
  return String(text[newline...])
}

func trimmed(_ s: String) -> String {
  var sub = Substring(s)
  while let c = sub.first, c.isWhitespace { sub.removeFirst() }
  while let c = sub.last, c.isWhitespace { sub.removeLast() }
  return String(sub)
}

func ensureNewline(_ s: String) -> String { s.hasSuffix("\n") ? s : s + "\n" }

/// A path argument with surrounding quotes removed.
func unquote(_ s: String) -> String {
  if s.count >= 2, let f = s.first, let l = s.last, f == l, f == "\"" || f == "'" {
    return String(s.dropFirst().dropLast())
  }
  return s
}

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// A duration with three significant digits and a unit: `"812 µs"`, `"12.3 ms"`, `"4.56 s"`.
public func formatDuration(_ seconds: Double) -> String {
  let (value, unit): (Double, String) =
    seconds < 1e-3 ? (seconds * 1e6, "µs") : seconds < 1 ? (seconds * 1e3, "ms") : (seconds, "s")
  let decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2
  var scale = 1.0
  for _ in 0..<decimals { scale *= 10 }
  let rounded = (value * scale).rounded()
  let whole = Int(rounded / scale)
  guard decimals > 0 else { return "\(whole) \(unit)" }
  var fraction = String(Int(rounded) - whole * Int(scale))
  while fraction.count < decimals { fraction = "0" + fraction }
  return "\(whole).\(fraction) \(unit)"
}
