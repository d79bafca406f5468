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

  /// A history that cannot be saved is said once: at start-up for a missing folder, at the first
  /// failed save when the folder goes away later; the session goes on either way.
  @Test func anUnsavableHistoryIsToldOnce() {
    var said: [String] = []
    let missing = temporaryPath("history-missing") + "/no/such/folder/history"
    let recorder = HistoryFile.Recorder(HistoryFile(path: missing)) { said.append($0) }
    #expect(recorder.load() == [])
    recorder.record("x = 1")
    recorder.record("x = 2")
    #expect(said.count == 1, "\(said)")
    #expect(said.first?.hasPrefix("lebm: warning: history file '\(missing.dropLast(8))': the folder does not exist") == true, "\(said)")
    #expect(said.first?.hasSuffix("this session's history will not be saved\n") == true)

    said = []
    let dir = temporaryFolder("history-gone")
    let gone = HistoryFile.Recorder(HistoryFile(path: dir + "/history")) { said.append($0) }
    gone.record("a = 1")
    #expect(said.isEmpty)
    removeFolder(dir)
    gone.record("a = 2")
    gone.record("a = 3")
    #expect(said == ["lebm: warning: history file '\(dir)/history': No such file or directory; this session's history will not be saved\n"])
  }

  /// A read-only history file is loaded, with one warning that it will not be saved to.
  @Test func aReadOnlyHistoryIsLoadedAndToldOnce() throws {
    let path = temporaryPath("history-ro")
    defer { unlink(path) }
    HistoryFile(path: path).append("kept")
    #expect(chmod(path, 0o400) == 0)
    // root may write any file: there is nothing to tell then
    guard geteuid() != 0 else { return }
    var said: [String] = []
    let recorder = HistoryFile.Recorder(HistoryFile(path: path)) { said.append($0) }
    #expect(recorder.load() == ["kept"])
    recorder.record("new")
    #expect(said.count == 1 && said[0].contains("is not writable"), "\(said)")
    #expect(HistoryFile(path: path).load() == ["kept"])
  }

  /// A huge history file: only its end is read, the newest `limit` entries are kept, and the file
  /// is compacted to them; a file grown past twice what a load reads is compacted when saving.
  @Test func aHugeHistoryIsReadFromItsEndAndTrimmed() throws {
    let path = temporaryPath("history-huge")
    defer { unlink(path) }
    let h = HistoryFile(path: path, limit: 1000)
    var text = HistoryFile.header + "\n"
    let filler = String(repeating: "z", count: 90)
    for i in 0..<60_000 { text += "e\(i) \(filler)\n" }  // about 5.7 MB
    try writeFile(path, text)
    let entries = h.load()
    #expect(entries.count == 1000)
    #expect(entries.first == "e59000 \(filler)" && entries.last == "e59999 \(filler)")
    let size = (try? readFileBytes(path).count) ?? 0
    #expect(size < 200_000, "compacted to the kept entries: \(size) bytes")
    #expect(HistoryFile(path: path, limit: 1000).load() == entries)

    // appending: once past twice the bytes a load reads, the file is trimmed to the limit
    try writeFile(path, text)
    h.append("newest")
    let after = HistoryFile(path: path, limit: 1000).load()
    #expect(after.count == 1000 && after.last == "newest")
    #expect(((try? readFileBytes(path).count) ?? 0) < 200_000)
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
