// Writing whole files without Foundation; failures are ``FileError`` values naming the path.
import Glibc

/// Writes `bytes` to `path`, creating it (with `mode`) or truncating it.
public func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(FileError) {
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
  guard fd >= 0 else { throw FileError.errno(path) }
  defer { close(fd) }
  guard writeAll(fd, bytes) else { throw FileError.errno(path) }
}

/// Writes `bytes` to `path` all at once for readers: into a temporary file beside it, then
/// renamed over it, so `path` holds either the old contents or all of the new ones.
public func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(FileError) {
  let tmp = path + ".tmp-\(getpid())"
  do throws(FileError) {
    try writeFile(tmp, bytes, mode: mode)
  } catch {
    unlink(tmp)
    throw FileError(path: path, problem: "cannot write: \(error.problem)", kind: error.kind)
  }
  guard rename(tmp, path) == 0 else {
    let e = FileError.errno(path)
    unlink(tmp)
    throw FileError(path: path, problem: "cannot replace the file: \(e.problem)", kind: e.kind)
  }
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
