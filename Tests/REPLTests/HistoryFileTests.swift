// The REPL's history file: encoding, appending, compacting.
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
@Suite struct HistoryFileTests {
  @Test func entriesRoundTripIncludingBlocks() {
    let path = temporaryPath("history")
    defer { unlink(path) }
    let h = HistoryFile(path: path)
    #expect(h.load() == [])
    h.append("x = 1")
    h.append("fn f(a) {\n  a \\ 2\n}")
    h.append("s = \"a\\nb\"")
    h.append("# a comment")
    #expect(HistoryFile(path: path).load()
      == ["x = 1", "fn f(a) {\n  a \\ 2\n}", "s = \"a\\nb\"", "# a comment"])
    #expect((try? readTextFile(path))?.hasPrefix("#lebm-history-v1\nx = 1\nfn f(a) {\\n  a \\\\ 2\\n}\n") == true)
  }

  @Test func aFIFOOrDeviceIsAProblemNotAWait() throws {
    let fifo = temporaryPath("history-fifo")
    defer { unlink(fifo) }
    #expect(mkfifo(fifo, 0o600) == 0)
    let h = HistoryFile(path: fifo)
    #expect(h.problem()?.description == "'\(fifo)': is a FIFO (named pipe), not a regular file")
    #expect(h.load() == [])
    h.append("x = 1")  // returns at once: no reader is waited for, nothing is written
    #expect(HistoryFile(path: "/dev/zero").problem()?.description
      == "'/dev/zero': is a character device, not a regular file")
    #expect(HistoryFile(path: temporaryPath("history-none")).problem() == nil)
  }

  @Test func loadCompactsToTheLimit() {
    let path = temporaryPath("history-compact")
    defer { unlink(path) }
    let h = HistoryFile(path: path, limit: 4)
    for i in 0..<10 { h.append("e\(i)") }
    #expect(h.load() == ["e6", "e7", "e8", "e9"])
    #expect((try? readTextFile(path)) == "#lebm-history-v1\ne6\ne7\ne8\ne9\n")
  }

  @Test func defaultPathHonoursTheEnvironment() {
    // Read-only check: LEBM_HISTORY may be set by whoever runs the tests.
    let path = HistoryFile.defaultPath()
    if let env = getenv("LEBM_HISTORY"), env.pointee != 0 {
      #expect(path == String(cString: env))
    } else if let home = getenv("HOME") {
      #expect(path == String(cString: home) + "/.lebm_history")
    }
  }
}
}
