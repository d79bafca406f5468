// ScriptError: every failure a script can cause, as a value with a source span and a call stack.

/// A position in a source file: 1-based line and column (columns count characters).
public struct SourceSpan: Equatable, Sendable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  /// How many characters the span covers on its line (at least 1), for the caret.
  public var length: Int

  public init(line: Int, column: Int, length: Int = 1) {
    self.line = line
    self.column = column
    self.length = max(1, length)
  }

  public static let unknown = SourceSpan(line: 0, column: 0)

  public var description: String { "\(line):\(column)" }
}

/// One frame of the call stack at the moment an error was raised.
public struct StackFrame: Equatable, Sendable {
  /// The function's name (`<fn>` for an anonymous one).
  public var function: String
  /// Where the call was made.
  public var file: String
  public var span: SourceSpan
}

/// An error from a script: a syntax error found before running, a runtime error, or an
/// interruption (Ctrl-C). It carries the file and span it points at, the text of that line, and
/// the call stack (innermost call first).
public struct ScriptError: Error, Equatable, Sendable, CustomStringConvertible {
  public enum Kind: Equatable, Sendable {
    case syntax
    case runtime
    case interrupted
  }

  public var kind: Kind
  public var message: String
  public var file: String
  public var span: SourceSpan
  /// The source line the span points into, when known.
  public var lineText: String?
  /// The calls that led here, innermost first.
  public var stack: [StackFrame]
  /// True for a syntax error caused only by the input ending early (an open bracket, a trailing
  /// operator): a REPL should read another line rather than report it.
  public var isIncomplete: Bool
  /// Further syntax errors found after this one (the parser recovers and keeps going).
  public var others: [ScriptError]

  public init(
    _ kind: Kind, _ message: String, file: String = "<input>", span: SourceSpan = .unknown,
    lineText: String? = nil, stack: [StackFrame] = [], isIncomplete: Bool = false, others: [ScriptError] = []
  ) {
    self.kind = kind
    self.message = message
    self.file = file
    self.span = span
    self.lineText = lineText
    self.stack = stack
    self.isIncomplete = isIncomplete
    self.others = others
  }

  /// `file:line:col: error: message`, the one-line form.
  public var description: String {
    span == .unknown ? "\(file): error: \(message)" : "\(file):\(span): error: \(message)"
  }

  /// The full report: `file:line:col: error: message`, the source line, a caret under the span,
  /// then one `  in NAME at file:line:col` line per call, innermost first, then any further
  /// syntax errors. `source` is used for the line text when the error did not record it.
  public func rendered(source: String? = nil) -> String {
    var out = description
    let text = lineText ?? source.flatMap { ScriptError.line(span.line, of: $0) }
    if let text, span.line > 0 {
      let (shown, column) = ScriptError.window(text, column: span.column)
      out += "\n    " + shown
      let pad = String(repeating: " ", count: max(0, column - 1))
      let width = max(1, min(span.length, max(1, shown.count - column + 1)))
      out += "\n    " + pad + String(repeating: "^", count: width)
    }
    for f in stack { out += "\n  in \(f.function) at \(f.file):\(f.span)" }
    for e in others { out += "\n" + e.rendered(source: source) }
    return out
  }

  /// The most characters of a source line an error shows.
  static let windowWidth = 120

  /// `text` cut to at most ``windowWidth`` characters around `column` (with `…` where it was cut),
  /// and the column in what is shown: an error on a 200 KB line shows the part that matters.
  static func window(_ text: String, column: Int) -> (text: String, column: Int) {
    let count = text.count
    guard count > windowWidth else { return (text, column) }
    let start = min(max(0, column - 1 - windowWidth / 3), count - (windowWidth - 2))
    let end = min(count, start + windowWidth - 2)
    let from = text.index(text.startIndex, offsetBy: start), to = text.index(from, offsetBy: end - start)
    let head = start > 0 ? "…" : "", tail = end < count ? "…" : ""
    return (head + text[from..<to] + tail, column - start + head.count)
  }

  /// The `n`th line (1-based) of `source`, without its newline.
  static func line(_ n: Int, of source: String) -> String? {
    guard n >= 1 else { return nil }
    var i = 1
    for l in source.split(separator: "\n", omittingEmptySubsequences: false) {
      if i == n { return String(l.hasSuffix("\r") ? l.dropLast() : l) }
      i += 1
    }
    return nil
  }
}

/// An error a builtin throws: a message for the user, attached to the call's span by the
/// interpreter. `BuiltinError("zeros: expected 1 to 2 arguments, got 4")`.
public struct BuiltinError: Error, CustomStringConvertible {
  public var message: String
  /// The keyword argument the error is about, when it is one: the caret then points at it.
  public var keyword: String?
  public init(_ message: String, keyword: String? = nil) { self.message = message; self.keyword = keyword }
  public var description: String { message }
}
