// Writers and hostile targets (#23): FIFOs, devices and folders are refused by every writer and
// never block; temporaries have names of their own, saves of one path take turns, leftovers are
// reclaimed; JSON with a key twice is refused.
import Foundation
import Glibc
import Support
import Testing

@Suite struct HostileWriteTests {
  /// Both writers, as `(name, write)`.
  static let writers: [(String, (String, [UInt8]) throws -> Void)] = [
    ("writeFile", { try writeFile($0, $1) }), ("writeFileAtomically", { try writeFileAtomically($0, $1) }),
  ]

  /// The file type bits at `path` (links not followed).
  func type(_ path: String) -> mode_t {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
  }

  @Test func writersRefuseFIFOsDevicesAndFoldersWithoutBlocking() throws {
    try withScratch { dir in
      let fifo = dir + "/f.png", link = dir + "/link.png", folder = dir + "/folder"
      #expect(mkfifo(fifo, 0o600) == 0 && symlink("f.png", link) == 0 && mkdir(folder, 0o755) == 0)
      // A device node of our own (root only), never /dev/null itself.
      let device = dir + "/null"
      let haveDevice = mknod(device, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0
      for (name, write) in Self.writers {
        for (path, what) in [(fifo, "is a FIFO (named pipe), not a regular file"), (link, "is a FIFO (named pipe), not a regular file"),
                             (folder, "is a folder, not a file")] + (haveDevice ? [(device, "is a character device, not a regular file")] : []) {
          do { try write(path, [1, 2, 3]); Issue.record("\(name) wrote into \(path)") } catch let e as FileError {
            #expect(e.path == path && e.problem.contains(what) && e.kind == .wrongType, "\(name): \(e)")
          }
        }
        #expect(type(fifo) == S_IFIFO && type(link) == S_IFLNK && type(folder) == S_IFDIR)
        if haveDevice { #expect(type(device) == S_IFCHR) }
      }
      // A FIFO with a reader: the open would succeed, the check after it still refuses, and
      // nothing reaches the reader.
      let reader = open(fifo, O_RDONLY | O_NONBLOCK)
      #expect(reader >= 0)
      defer { close(reader) }
      #expect(throws: FileError.self) { try writeFile(fifo, [1, 2, 3]) }
      var buffer = [UInt8](repeating: 0, count: 8)
      #expect(read(reader, &buffer, 8) <= 0)
      #expect(listing(dir) == ["f.png", "folder", "link.png"] + (haveDevice ? ["null"] : []))
    }
  }

  func listing(_ dir: String) -> [String] { ((try? listDirectory(dir)) ?? []).map(\.name).sorted() }

  @Test func atomicWritesReclaimLeftoversButNotLiveTemporaries() throws {
    try withScratch { dir in
      let path = dir + "/m.safetensors"
      try writeFile(path, "old")
      // Leftovers of saves killed midway: the old fixed name and a unique one.
      try writeFile(dir + "/.m.safetensors.lebm-tmp", [UInt8](repeating: 7, count: 100))
      try writeFile(dir + "/.m.safetensors.12345-abc123.lebm-tmp", [UInt8](repeating: 7, count: 100))
      // A temporary another writer holds locked, and files that only look alike.
      let live = dir + "/.m.safetensors.999-def.lebm-tmp"
      try writeFile(live, "live")
      let fd = open(live, O_RDONLY)
      #expect(fd >= 0 && flock(fd, LOCK_EX) == 0)
      defer { close(fd) }
      try writeFile(dir + "/.m.safetensors.notes.lebm-tmp", "keep")
      try writeFile(dir + "/.other.12-ab.lebm-tmp", "keep")
      let content = [UInt8]((0..<100_000).map { UInt8($0 % 251) })
      try writeFileAtomically(path, content)
      #expect(try readFileBytes(path) == content)
      #expect(listing(dir) == [".m.safetensors.999-def.lebm-tmp", ".m.safetensors.notes.lebm-tmp", ".other.12-ab.lebm-tmp", "m.safetensors"])
      #expect(try readTextFile(live) == "live")
    }
  }

  @Test func savesOfOnePathTakeTurnsOnTheLock() throws {
    try withScratch { dir in
      let path = dir + "/m.bin"
      try writeFile(path, "old")
      // Another save holds the turn: this one waits for it, then completes whole.
      let lock = open(dir + "/.m.bin.lebm-tmp", O_RDONLY | O_CREAT, 0o600)
      #expect(lock >= 0 && flock(lock, LOCK_EX) == 0)
      let content = [UInt8](repeating: 42, count: 1 << 20)
      let done = DispatchSemaphore(value: 0)
      nonisolated(unsafe) var failure: Error? = nil
      Thread.detachNewThread {
        do { try writeFileAtomically(path, content) } catch { failure = error }
        done.signal()
      }
      usleep(100_000)
      #expect(try readTextFile(path) == "old", "the save waited for its turn")
      // The holder finishes as a save does: removes the lock file, then lets go.
      unlink(dir + "/.m.bin.lebm-tmp")
      close(lock)
      done.wait()
      #expect(failure == nil)
      #expect(try readFileBytes(path) == content)
      #expect(listing(dir) == ["m.bin"])
    }
  }

  @Test func temporaryNamesAreUniqueAndFitLongNames() throws {
    try withScratch { dir in
      let long = String(repeating: "x", count: 250)
      try writeFileAtomically(dir + "/" + long, [1])
      #expect(try readFileBytes(dir + "/" + long) == [1])
      #expect(listing(dir) == [long])
    }
  }

  // MARK: - JSON

  @Test func duplicateJSONKeysAreRefused() throws {
    #expect(throws: JSONDuplicateKeyError(key: "a", offset: 7)) { try JSONValue.decode(#"{"a":1,"a":2}"#) }
    // Escapes are undone before comparing, as Python does.
    #expect(throws: JSONDuplicateKeyError(key: "slope", offset: 16)) {
      try JSONValue.decode(#"{"x":{"slope":1,"\u0073lope":2}}"#)
    }
    #expect(throws: JSONDuplicateKeyError(key: "k", offset: 16)) { try JSONValue.decode(#"[{"k":1},{"k":2,"k":3}]"#) }
    do { _ = try JSONValue.decode(#"{"a":1,"a":2}"#) } catch { #expect("\(error)" == #"duplicate key "a" (at byte 7)"#) }
    // The same key in different objects, keys as values, braces and quotes inside strings: fine.
    let ok = try JSONValue.decode(#"{"a":{"a":"a"},"b":[{"a":1},{"a":2}],"c":"\"a\":{","d":"}","e":["a","a"]}"#)
    #expect(ok["a"]?["a"] == "a" && ok["c"] == #""a":{"# && ok["b"]?.array?.count == 2)
  }
}
