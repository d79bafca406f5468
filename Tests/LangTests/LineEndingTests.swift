// Scripts saved with CRLF line endings run as they would with LF, and an error on a very long
// line shows a window of it around the caret, not the whole line.
import Testing

@testable import Lang

extension LangSuite {
  @Test func crlfScriptsRunAsLF() {
    let (out, outcome) = run("x = 1\r\nfor i in 1..2 {\r\n  x = x + i\r\n}\r\nprint(x)\r\n")
    guard case .value = outcome else { Issue.record("CRLF script failed: \(outcome)"); return }
    #expect(out == "4\n")
    // Errors point at the right line and show it without the carriage return.
    let e = errorOf("x = 1\r\ny = nope\r\n")
    #expect(e?.span.line == 2 && e?.span.column == 5)
    #expect(e?.rendered() == "test.lebm:2:5: error: undefined variable 'nope'\n    y = nope\n        ^^^^")
  }

  @Test func anErrorOnALongLineShowsAWindowAroundTheCaret() throws {
    let line = "x = [" + String(repeating: "1, ", count: 70_000) + "nope]"
    let e = try #require(errorOf(line))
    let rendered = e.rendered()
    let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 3)
    #expect(lines.allSatisfy { $0.count <= 130 }, "an error line of \(lines.map(\.count)) characters")
    // The caret still sits under `nope`.
    let text = Array(lines[1]), caret = Array(lines[2])
    let at = try #require(caret.firstIndex(of: "^"))
    #expect(String(text[at..<(at + 4)]) == "nope")
    #expect(lines[1].hasPrefix("    …"))
    // Short lines are shown whole.
    let short = try #require(errorOf("y = 1 + nope")).rendered()
    #expect(short.contains("\n    y = 1 + nope\n            ^^^^"))
    // A caret near the start of a long line: the window starts at the line's start.
    let early = try #require(errorOf("nope + " + String(repeating: "1 + ", count: 100) + "1")).rendered()
    #expect(early.contains("\n    nope + 1 + ") && early.contains("…\n    ^^^^"))
  }
}
