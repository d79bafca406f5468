// Writing whole files without Foundation; failures are ``FileError`` values naming the path.
import Glibc

/// Writes `bytes` to `path`, creating it (with `mode`) or truncating it.
public func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(FileError) {
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
  guard fd >= 0 else { throw FileError.errno(path) }
  defer { close(fd) }
  guard writeAll(fd, bytes) else { throw FileError.errno(path) }
}

/// Writes `bytes` to `path` all at once for readers: into a temporary file beside it, synced,
/// then renamed over it and the folder synced, so `path` holds either the old contents or all of
/// the new ones, even across a crash or a power cut.
///
/// - The temporary file has a predictable name (`.NAME.lebm-tmp`, shortened with a hash when
///   NAME is long), locked while it is written: two saves of one path take turns, and the
///   leftover of a save killed midway is reclaimed by the next one.
/// - A symbolic link at `path` stays a link: the file it names is replaced.
public func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(FileError) {
  guard !path.isEmpty else { throw FileError(path: path, problem: "no file name given (the path is empty)", kind: .notFound) }
  let target = resolvingLinks(path)
  let (folder, name) = splitPath(target)
  let tmp = (folder.isEmpty ? "" : folder + "/") + temporaryName(name)
  func fail(_ what: String, _ e: FileError = FileError.errno(target)) -> FileError {
    FileError(path: path, problem: "\(what): \(e.problem)", kind: e.kind)
  }
  var fd: Int32 = -1
  while true {
    fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, mode)
    guard fd >= 0 else { throw fail("cannot write", FileError.errno(tmp)) }
    guard flock(fd, LOCK_EX) == 0 else { let e = fail("cannot lock", FileError.errno(tmp)); close(fd); throw e }
    // The file locked may meanwhile have been renamed into place by another save: if the name
    // no longer refers to it, start again.
    var a = stat(), b = stat()
    if fstat(fd, &a) == 0, stat(tmp, &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino { break }
    close(fd)
  }
  defer { close(fd) }
  guard ftruncate(fd, 0) == 0, writeAll(fd, bytes), fsync(fd) == 0 else {
    let e = fail("cannot write", FileError.errno(tmp))
    unlink(tmp)
    throw e
  }
  guard rename(tmp, target) == 0 else {
    let e = fail("cannot replace the file")
    unlink(tmp)
    throw e
  }
  syncFolder(folder.isEmpty ? "." : folder)
}

/// Syncs a folder's entries (a rename in it) to disk; file systems that cannot are left as they are.
func syncFolder(_ folder: String) {
  let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
  guard fd >= 0 else { return }
  _ = fsync(fd)
  close(fd)
}

/// `path` with symbolic links at its end followed to the file they name (up to 40 links; a
/// dangling link gives the path it points to).
func resolvingLinks(_ path: String) -> String {
  var current = path
  for _ in 0..<40 {
    var st = stat()
    guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return current }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink(current, &buffer, buffer.count - 1)
    guard n > 0 else { return current }
    let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let folder = splitPath(current).folder
    current = link.hasPrefix("/") || folder.isEmpty ? link : folder + "/" + link
  }
  return current
}

/// The folder (empty for the current one) and the last component of `path`.
func splitPath(_ path: String) -> (folder: String, name: String) {
  guard let slash = path.lastIndex(of: "/") else { return ("", path) }
  let folder = String(path[..<slash])
  return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
}

/// `.NAME.lebm-tmp`, or for a name too long to take the affixes (file names hold at most 255
/// bytes) its first 200 bytes and a hash of the whole.
func temporaryName(_ name: String) -> String {
  let full = "." + name + ".lebm-tmp"
  guard full.utf8.count > 255 else { return full }
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
  for b in name.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
  let prefix = String(decoding: Array(name.utf8.prefix(200)), as: UTF8.self)
  return "." + prefix + "-" + String(hash, radix: 16) + ".lebm-tmp"
}

/// Writes `text` to `path` as UTF-8, creating or truncating it.
public func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws(FileError) {
  try writeFile(path, Array(text.utf8), mode: mode)
}

/// Writes all of `bytes` to the descriptor `fd`, retrying short writes; false on error (`errno`
/// says why).
@discardableResult
public func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
  bytes.withUnsafeBytes { buf in
    var offset = 0
    while offset < buf.count {
      let n = write(fd, buf.baseAddress! + offset, buf.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        return false
      }
      offset += n
    }
    return true
  }
}

/// Writes all of `text` to the descriptor `fd` as UTF-8; false on error.
@discardableResult
public func writeAll(_ fd: Int32, _ text: String) -> Bool { writeAll(fd, Array(text.utf8)) }

/// The message for the current `errno`: `"No such file or directory"`.
public func errnoMessage() -> String { String(cString: strerror(errno)) }
