// A small built-in pager for long text at the prompt (`:help`): a screenful at a time when both
// stdin and stdout are a terminal, all at once otherwise.
import Glibc

/// Shows text a screen at a time on a terminal.
enum Pager {
  /// The prompt under each screenful.
  static let prompt = "-- more: Space next page · Enter next line · q quit --"

  /// Writes `text` through `console`: paged when `interactive` and stdin and stdout are
  /// terminals taller than the text, else whole.
  static func show(_ text: String, console: Console, interactive: Bool) {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    let rows = terminalRows(), columns = TerminalStyle.terminalWidth()
    // The rows a line takes on screen (a line wider than the terminal wraps).
    let height = lines.map { max(1, ($0.count + columns - 1) / max(columns, 1)) }
    guard interactive, isatty(0) != 0, isatty(1) != 0, let rows, height.reduce(0, +) > rows - 1 else {
      console.out(text)
      return
    }
    var shown = 0
    var step = rows - 1
    while shown < lines.count {
      var end = shown, used = 0
      while end < lines.count, end == shown || used + height[end] <= step { used += height[end]; end += 1 }
      console.out(lines[shown..<end].map { $0 + "\n" }.joined())
      shown = end
      guard shown < lines.count else { break }
      console.out("\u{1B}[7m" + prompt + "\u{1B}[0m")
      let key = readKey()
      console.out("\r\u{1B}[K")
      switch key {
      case UInt8(ascii: "q"), UInt8(ascii: "Q"), 3, nil: return  // q, Ctrl-C, end of input
      case UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: "j"): step = 1
      default: step = rows - 1
      }
    }
  }

  /// The terminal's height (fd 1), or nil when it is not known.
  static func terminalRows() -> Int? {
    var size = winsize()
    guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 2 else { return nil }
    return Int(size.ws_row)
  }

  /// One key from stdin with echo and line buffering off; nil at end of input.
  static func readKey() -> UInt8? {
    var saved = termios()
    guard tcgetattr(0, &saved) == 0 else { return nil }
    var raw = saved
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
    withUnsafeMutableBytes(of: &raw.c_cc) { cc in
      cc[Int(VMIN)] = 1
      cc[Int(VTIME)] = 0
    }
    tcsetattr(0, TCSANOW, &raw)
    defer { tcsetattr(0, TCSANOW, &saved) }
    var byte: UInt8 = 0
    return read(0, &byte, 1) == 1 ? byte : nil
  }
}
