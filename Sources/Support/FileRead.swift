// Reading whole files without Foundation (start-up stays fast): regular files only, up to a
// size limit, every failure a ``FileError`` naming the path.
import Glibc

/// The bytes of the regular file at `path`.
///
/// FIFOs, devices, sockets and folders are refused before anything is read (a FIFO would block,
/// `/dev/zero` would never end). A file larger than `limit` bytes is refused too, so a caller
/// that expects a small file never loads a huge one.
public func readFileBytes(_ path: String, limit: Int = Int.max) throws(FileError) -> [UInt8] {
  let (fd, size) = try openRegularFile(path)
  defer { close(fd) }
  guard size <= limit else {
    throw FileError(path: path, problem: "is \(size) bytes, more than the limit of \(limit)", kind: .tooLarge)
  }
  var bytes: [UInt8] = []
  bytes.reserveCapacity(size)
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n < 0 {
      if errno == EINTR { continue }
      throw FileError.errno(path)
    }
    if n == 0 { break }
    bytes.append(contentsOf: chunk[0..<n])
    // The file grew while being read: still keep to the limit.
    guard bytes.count <= limit else {
      throw FileError(path: path, problem: "grew past the limit of \(limit) bytes while being read", kind: .tooLarge)
    }
  }
  return bytes
}

/// The regular file at `path` as UTF-8 text (invalid bytes repaired); see ``readFileBytes(_:limit:)``.
public func readTextFile(_ path: String, limit: Int = Int.max) throws(FileError) -> String {
  String(decoding: try readFileBytes(path, limit: limit), as: UTF8.self)
}

/// The first `count` bytes (fewer when the file is shorter) of the regular file at `path`, e.g. a
/// header to recognise the format by.
public func readFilePrefix(_ path: String, count: Int) throws(FileError) -> [UInt8] {
  let (fd, _) = try openRegularFile(path)
  defer { close(fd) }
  return try readUpTo(max(0, count), from: fd, path: path)
}

/// Up to `count` bytes from the descriptor `fd` (fewer at the file's end), retrying short and
/// interrupted reads; a failure names `path`.
func readUpTo(_ count: Int, from fd: Int32, path: String) throws(FileError) -> [UInt8] {
  var bytes = [UInt8](repeating: 0, count: count)
  var got = 0
  while got < bytes.count {
    let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, $0.count - got) }
    if n < 0 {
      if errno == EINTR { continue }
      throw FileError.errno(path)
    }
    if n == 0 { break }
    got += n
  }
  return Array(bytes[0..<got])
}

/// Opens the regular file at `path` for reading: its descriptor (the caller closes it) and size.
/// FIFOs, devices, sockets and folders are refused before anything is read; O_NONBLOCK keeps
/// the open of a FIFO from waiting for a writer.
func openRegularFile(_ path: String) throws(FileError) -> (fd: Int32, size: Int) {
  let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
  guard fd >= 0 else { throw FileError.errno(path) }
  var st = stat()
  guard fstat(fd, &st) == 0 else { let e = FileError.errno(path); close(fd); throw e }
  guard (st.st_mode & S_IFMT) == S_IFREG else {
    close(fd)
    let what = (st.st_mode & S_IFMT) == S_IFDIR
      ? "is a folder, not a file" : "is \(fileTypeName(st.st_mode)), not a regular file"
    throw FileError(path: path, problem: what, kind: .wrongType)
  }
  return (fd, Int(st.st_size))
}
