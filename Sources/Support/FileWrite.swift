// Writing whole files without Foundation; failures are ``FileError`` values naming the path.
// Every writer in lebm goes through `writeFile` or `writeFileAtomically`, so the rule "only
// regular files are written; a FIFO, device, socket or folder at the target is refused, and
// opening never blocks" lives here once.
import Glibc

/// Writes `bytes` to `path`, creating it (with `mode`) or truncating it.
///
/// Only a regular file is written: a FIFO, device, socket or folder at `path` (or named by a
/// link there) is refused before it is opened, and the open itself never waits (O_NONBLOCK) and
/// is checked again with `fstat` before anything is truncated.
public func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(FileError) {
  try refuseNonRegularTarget(path)
  let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, mode)
  guard fd >= 0 else { throw openError(path) }
  defer { close(fd) }
  try requireRegular(fd, path)
  guard ftruncate(fd, 0) == 0, writeAll(fd, bytes) else { throw FileError.errno(path) }
}

/// Refuses `path` when something other than a regular file is there (links followed): lebm
/// never replaces or writes into a FIFO, a device, a socket or a folder. Nothing there is fine.
public func refuseNonRegularTarget(_ path: String) throws(FileError) {
  var st = stat()
  guard stat(path, &st) == 0 else { return }
  guard (st.st_mode & S_IFMT) != S_IFREG else { return }
  throw notRegular(path, st.st_mode)
}

/// The error for a write target of type `mode`: "is a FIFO (named pipe), not a regular file;
/// lebm writes only regular files".
func notRegular(_ path: String, _ mode: mode_t) -> FileError {
  let what = (mode & S_IFMT) == S_IFDIR ? "is a folder, not a file" : "is \(fileTypeName(mode)), not a regular file"
  return FileError(path: path, problem: what + "; lebm writes only regular files", kind: .wrongType)
}

/// Throws unless the open descriptor `fd` is a regular file (the target may have been swapped
/// between the check by name and the open).
func requireRegular(_ fd: Int32, _ path: String) throws(FileError) {
  var st = stat()
  guard fstat(fd, &st) == 0 else { throw FileError.errno(path) }
  guard (st.st_mode & S_IFMT) == S_IFREG else { throw notRegular(path, st.st_mode) }
}

/// The error for a failed `open` for writing: ENXIO is a FIFO without a reader (O_NONBLOCK),
/// said as such.
func openError(_ path: String) -> FileError {
  let code = errno
  if code == ENXIO { return notRegular(path, S_IFIFO) }
  return FileError.errno(path, code)
}

/// Writes `bytes` to `path` all at once for readers: into a temporary file beside it, synced,
/// then renamed over it and the folder synced, so `path` holds either the old contents or all of
/// the new ones, even across a crash or a power cut.
///
/// - The temporary file has a name of its own, `.NAME.<pid>-<random>.lebm-tmp` (NAME shortened
///   with a hash when long), made with O_EXCL: two writers, lebm or not, never share it.
/// - Saves of one path by lebm take turns on a lock, the file `.NAME.lebm-tmp` (removed after
///   each save). While holding it a save reclaims the temporaries of NAME that a save killed
///   midway left behind: those no live writer holds locked (the old fixed name included).
/// - A symbolic link at `path` stays a link: the file it names is replaced.
/// - A FIFO, device, socket or folder at the target (or named by the link) is refused.
public func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(FileError) {
  guard !path.isEmpty else { throw FileError(path: path, problem: "no file name given (the path is empty)", kind: .notFound) }
  let target = resolvingLinks(path)
  do { try refuseNonRegularTarget(target) } catch { throw FileError(path: path, problem: error.problem, kind: error.kind) }
  let (folder, name) = splitPath(target)
  let prefix = folder.isEmpty ? "" : folder + "/"
  func fail(_ what: String, _ e: FileError) -> FileError {
    FileError(path: path, problem: "\(what): \(e.problem)", kind: e.kind)
  }
  let lock = try lockTurn(prefix + temporaryName(name), fail)
  defer {
    unlink(prefix + temporaryName(name))
    close(lock)
  }
  reclaimLeftovers(folder: folder, name: name)
  let (fd, tmp) = try createTemporary(prefix: prefix, name: name, mode: mode, fail)
  defer { close(fd) }
  guard writeAll(fd, bytes), fsync(fd) == 0 else {
    let e = fail("cannot write", FileError.errno(tmp))
    unlink(tmp)
    throw e
  }
  // Checked again just before the rename: a FIFO or device put there meanwhile is not replaced.
  do { try refuseNonRegularTarget(target) } catch { unlink(tmp); throw FileError(path: path, problem: error.problem, kind: error.kind) }
  guard rename(tmp, target) == 0 else {
    let e = fail("cannot replace the file", FileError.errno(target))
    unlink(tmp)
    throw e
  }
  syncFolder(folder.isEmpty ? "." : folder)
}

/// Takes the turn of one path among lebm's saves: the lock file `lockPath` opened (made when
/// missing) and locked. A lock file that another save removed while this one waited is opened
/// again, so the lock held is always the one the name refers to.
func lockTurn(_ lockPath: String, _ fail: (String, FileError) -> FileError) throws(FileError) -> Int32 {
  while true {
    let fd = open(lockPath, O_RDONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW, 0o644)
    guard fd >= 0 else { throw fail("cannot make the lock file", FileError.errno(lockPath)) }
    var a = stat()
    guard fstat(fd, &a) == 0, (a.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      throw fail("cannot use the lock file", notRegular(lockPath, a.st_mode))
    }
    var rc: Int32
    repeat { rc = flock(fd, LOCK_EX) } while rc != 0 && errno == EINTR
    guard rc == 0 else { let e = fail("cannot lock", FileError.errno(lockPath)); close(fd); throw e }
    var b = stat()
    if fstat(fd, &a) == 0, stat(lockPath, &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino { return fd }
    close(fd)
  }
}

/// Makes and locks a new temporary file `.NAME.<pid>-<random>.lebm-tmp` beside the target
/// (O_EXCL: never one that exists); its descriptor and path.
func createTemporary(
  prefix: String, name: String, mode: mode_t, _ fail: (String, FileError) -> FileError
) throws(FileError) -> (fd: Int32, path: String) {
  var attempts = 0
  while true {
    let tmp = prefix + uniqueTemporaryName(name)
    let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
    if fd >= 0 {
      _ = flock(fd, LOCK_EX | LOCK_NB)
      return (fd, tmp)
    }
    attempts += 1
    guard errno == EEXIST, attempts < 100 else { throw fail("cannot write", FileError.errno(tmp)) }
  }
}

/// Removes the temporaries of `name` in `folder` that no live writer holds: leftovers of saves
/// killed midway (a non-blocking lock on them succeeds). Failures are ignored: a leftover that
/// cannot be removed does no harm to this save.
func reclaimLeftovers(folder: String, name: String) {
  guard let entries = try? listDirectory(folder.isEmpty ? "." : folder) else { return }
  let prefix = folder.isEmpty ? "" : folder + "/"
  for entry in entries where isTemporaryName(entry.name, of: name) {
    let path = prefix + entry.name
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
    guard fd >= 0 else { continue }
    var st = stat()
    if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, flock(fd, LOCK_EX | LOCK_NB) == 0 {
      unlink(path)
    }
    close(fd)
  }
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
public func resolvingLinks(_ path: String) -> String {
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
public func splitPath(_ path: String) -> (folder: String, name: String) {
  guard let slash = path.lastIndex(of: "/") else { return ("", path) }
  let folder = String(path[..<slash])
  return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
}

/// `.NAME.lebm-tmp`: the lock file of saves of NAME (and the temporary name of lebm before
/// temporaries had names of their own), or for a name too long to take the affixes (file names
/// hold at most 255 bytes) its first 200 bytes and a hash of the whole.
func temporaryName(_ name: String) -> String {
  "." + temporaryStem(name, affixes: 10) + ".lebm-tmp"
}

/// `.NAME.<pid>-<random>.lebm-tmp`: a temporary file of NAME no other writer uses.
func uniqueTemporaryName(_ name: String) -> String {
  let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
  return "." + temporaryStem(name, affixes: 46) + ".\(getpid())-\(random).lebm-tmp"
}

/// Whether `entry` is a unique temporary of `name` (``uniqueTemporaryName(_:)``'s pattern).
func isTemporaryName(_ entry: String, of name: String) -> Bool {
  let head = "." + temporaryStem(name, affixes: 46) + ".", tail = ".lebm-tmp"
  guard entry.hasPrefix(head), entry.hasSuffix(tail), entry.utf8.count > head.utf8.count + tail.utf8.count else { return false }
  let middle = entry.dropFirst(head.count).dropLast(tail.count)
  let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
  return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
    && parts[0].allSatisfy(\.isASCII) && parts[0].allSatisfy(\.isNumber)
    && parts[1].allSatisfy { $0.isASCII && $0.isHexDigit }
}

/// NAME, or when NAME and `affixes` more bytes would pass 255 bytes, its first 200 bytes and a
/// hash of the whole.
func temporaryStem(_ name: String, affixes: Int) -> String {
  guard name.utf8.count + affixes > 255 else { return name }
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
  for b in name.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
  let prefix = String(decoding: Array(name.utf8.prefix(200)), as: UTF8.self)
  return prefix + "-" + String(hash, radix: 16)
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
