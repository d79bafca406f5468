// A file's end (history files) and whether a path can be written before long work starts.
import Glibc
import Support
import Testing

@Suite struct WriteTargetTests {
  @Test func readsOnlyTheEndOfAFile() throws {
    try withScratch { dir in
      try writeFile(dir + "/h", "0123456789")
      #expect(try readFileSuffix(dir + "/h", count: 4) == (Array("6789".utf8), true))
      let whole = try readFileSuffix(dir + "/h", count: 100)
      #expect(whole.bytes == Array("0123456789".utf8) && !whole.truncated)
      #expect(throws: FileError.self) { try readFileSuffix(dir, count: 4) }
      #expect(throws: FileError.self) { try readFileSuffix("/dev/zero", count: 4) }
    }
  }

  @Test func writeTargetsAreCheckedBeforeWork() throws {
    try withScratch { dir in
      #expect(writeTargetProblem(dir + "/new.html") == nil)
      try writeFile(dir + "/old.html", "x")
      #expect(writeTargetProblem(dir + "/old.html") == nil)
      #expect(writeTargetProblem(dir + "/no/such/x.html")?.description
        == "'\(dir)/no/such': the folder does not exist (No such file or directory)")
      #expect(writeTargetProblem(dir + "/old.html/x.html")?.description == "'\(dir)/old.html': is a file, not a folder")
      #expect(writeTargetProblem(dir)?.description == "'\(dir)': is a folder, not a file")
      #expect(mkfifo(dir + "/fifo", 0o600) == 0)
      #expect(writeTargetProblem(dir + "/fifo")?.description == "'\(dir)/fifo': is a FIFO (named pipe), not a regular file")
      #expect(writeTargetProblem("/dev/null")?.description == "'/dev/null': is a character device, not a regular file")
      #expect(writeTargetProblem("")?.kind == .notFound)
    }
  }
}
