// ANSI styling for the tutorial's text (or none, when the output is not a terminal) and the
// width to wrap at.
import Glibc
import Support

/// ANSI styling (or none) and the wrap width.
public struct TerminalStyle: Sendable {
  public var color: Bool
  public var width: Int

  public init(color: Bool, width: Int = 80) {
    self.color = color
    self.width = max(30, min(width, 100))
  }

  /// Whether output to `fd` may be coloured: it is a terminal, `NO_COLOR` is unset or empty
  /// (no-color.org) and `TERM` is not `dumb`.
  public static func colorAllowed(fd: Int32 = 1) -> Bool {
    guard isatty(fd) != 0 else { return false }
    if let v = environmentValue("NO_COLOR"), !v.isEmpty { return false }
    return environmentValue("TERM") != "dumb"
  }

  /// The terminal's width (fd 1, then `COLUMNS`), or 80.
  public static func terminalWidth() -> Int {
    var size = winsize()
    if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    if let c = environmentValue("COLUMNS"), let n = Int(c), n > 0 { return n }
    return 80
  }

  func wrap(_ code: String, _ text: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
  func bold(_ t: String) -> String { wrap("1", t) }
  func heading(_ t: String) -> String { wrap("1;4", t) }
  func dim(_ t: String) -> String { wrap("2", t) }
  func italic(_ t: String) -> String { wrap("3", t) }
  func codeSpan(_ t: String) -> String { color ? wrap("36", t) : "`\(t)`" }
  func strike(_ t: String) -> String { color ? wrap("9", t) : "~\(t)~" }
  func underline(_ t: String) -> String { wrap("4", t) }
  /// Math (already turned into Unicode): italic magenta; plain text without colour.
  func math(_ t: String) -> String { wrap("3;35", t) }
  func rule(_ title: String) -> String {
    let line = String(repeating: "═", count: max(3, min(width, 72) - title.count - 5))
    return bold("══ \(title) \(line)")
  }

  func highlight(_ kind: LebmHighlighter.Kind, _ text: String) -> String {
    guard color else { return text }
    switch kind {
    case .plain: return text
    case .keyword: return wrap("1;31", text)
    case .string: return wrap("32", text)
    case .number, .constant: return wrap("34", text)
    case .comment: return wrap("2;3", text)
    case .builtin: return wrap("35", text)
    case .function: return wrap("1;33", text)
    }
  }
}
