// Support's file helpers: regular files only, a size limit, errors naming the path.
import Glibc
import Support
import Testing

/// A fresh folder for one test, removed by `body`'s caller afterwards.
func withScratch(_ body: (String) throws -> Void) throws {
  let dir = try makeTemporaryDirectory(prefix: "lebm-support-tests")
  defer { try? removeTree(dir) }
  try body(dir)
}

@Suite struct FileTests {
  @Test func writesAndReadsWholeFiles() throws {
    try withScratch { dir in
      try writeFile(dir + "/a.txt", "héllo\n")
      #expect(try readTextFile(dir + "/a.txt") == "héllo\n")
      #expect(try readFileBytes(dir + "/a.txt") == Array("héllo\n".utf8))
      #expect(try readFilePrefix(dir + "/a.txt", count: 2) == Array("h".utf8) + [0xC3])
      #expect(try readFilePrefix(dir + "/a.txt", count: 100).count == 7)
      try writeFile(dir + "/empty", [UInt8]())
      #expect(try readFileBytes(dir + "/empty") == [])
    }
  }

  @Test func atomicWritesReplaceTheFileWhole() throws {
    try withScratch { dir in
      let path = dir + "/model.bin"
      try writeFile(path, "old")
      try writeFileAtomically(path, Array("new".utf8))
      #expect(try readTextFile(path) == "new")
      #expect(try listDirectory(dir).map(\.name) == ["model.bin"])  // no temporary file left
      #expect(throws: FileError.self) { try writeFileAtomically(dir + "/missing/x", [1]) }
    }
  }

  @Test func missingFilesAreNotFound() {
    #expect(throws: FileError(path: "/nonexistent/x", problem: "No such file or directory", kind: .notFound)) {
      try readFileBytes("/nonexistent/x")
    }
    #expect(throws: FileError.self) { try writeFile("/nonexistent/dir/x", "text") }
  }

  @Test func foldersFIFOsAndDevicesAreRefused() throws {
    try withScratch { dir in
      #expect(throws: FileError(path: dir, problem: "is a folder, not a file", kind: .wrongType)) {
        try readFileBytes(dir)
      }
      let fifo = dir + "/pipe"
      #expect(mkfifo(fifo, 0o600) == 0)
      // Refused at once: opening does not wait for a writer, nothing is read.
      #expect(throws: FileError(path: fifo, problem: "is a FIFO (named pipe), not a regular file", kind: .wrongType)) {
        try readTextFile(fifo)
      }
      #expect(throws: FileError.self) { try readFilePrefix(fifo, count: 4) }
    }
    #expect(throws: FileError(path: "/dev/zero", problem: "is a character device, not a regular file", kind: .wrongType)) {
      try readFileBytes("/dev/zero")
    }
  }

  @Test func filesOverTheLimitAreRefused() throws {
    try withScratch { dir in
      try writeFile(dir + "/ten", Array(repeating: UInt8(7), count: 10))
      #expect(try readFileBytes(dir + "/ten", limit: 10).count == 10)
      do throws(FileError) {
        _ = try readFileBytes(dir + "/ten", limit: 9)
        Issue.record("a 10-byte file was read under a 9-byte limit")
      } catch {
        #expect(error.kind == .tooLarge)
        #expect(error.description == "'\(dir)/ten': is 10 bytes, more than the limit of 9")
      }
    }
  }

  @Test func foldersAreListedSortedAndRemovedWhole() throws {
    let dir = try makeTemporaryDirectory(prefix: "lebm-support-tests")
    #expect(isDirectory(dir))
    try writeFile(dir + "/b", "b")
    try writeFile(dir + "/.hidden", "h")
    #expect(mkdir(dir + "/a", 0o755) == 0)
    try writeFile(dir + "/a/inner", "i")
    #expect(try listDirectory(dir) == [
      DirectoryEntry(name: ".hidden", isDirectory: false),
      DirectoryEntry(name: "a", isDirectory: true),
      DirectoryEntry(name: "b", isDirectory: false),
    ])
    try removeTree(dir)
    #expect(!isDirectory(dir))
    try removeTree(dir)  // already gone: not an error
    #expect(throws: FileError.self) { try listDirectory(dir) }
  }

  @Test func pathsAndClock() {
    #expect(baseName("a/b/c.lebm") == "c.lebm")
    #expect(baseName("a/b/") == "b")
    #expect(baseName("c") == "c")
    let t0 = monotonicSeconds()
    #expect(monotonicSeconds() >= t0)
    #expect(environmentValue("LEBM_SURELY_UNSET_VARIABLE") == nil)
  }
}
