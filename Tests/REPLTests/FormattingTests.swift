// Durations and sizes as the REPL prints them.
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
@Suite struct FormattingTests {
  @Test func durations() {
    #expect(formatDuration(0.000_812) == "812 µs")
    #expect(formatDuration(0.012_34) == "12.3 ms")
    #expect(formatDuration(0.001_005) == "1.01 ms")
    #expect(formatDuration(4.561) == "4.56 s")
    #expect(formatDuration(125.4) == "125 s")
  }

  @Test func shebangLineIsEmptiedKeepingLineNumbers() {
    #expect(stripShebang("#!/usr/bin/env lebm\nx = 1\n") == "\nx = 1\n")
    #expect(stripShebang("#!/usr/bin/env lebm") == "")
    #expect(stripShebang("x = 1\n#!y") == "x = 1\n#!y")
  }
}
}
