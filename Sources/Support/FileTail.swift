// The end of a file, for files that only grow at the end (the REPL's history): a start-up reads
// what it keeps, never the whole file.
import Glibc

/// The last `count` bytes (all of them when the file is shorter) of the regular file at `path`,
/// and whether the file holds more before them. FIFOs, devices and folders are refused as
/// ``readFileBytes(_:limit:)`` refuses them.
public func readFileSuffix(_ path: String, count: Int) throws(FileError) -> (bytes: [UInt8], truncated: Bool) {
  let (fd, size) = try openRegularFile(path)
  defer { close(fd) }
  let start = max(0, size - max(0, count))
  guard lseek(fd, off_t(start), SEEK_SET) == off_t(start) else { throw FileError.errno(path) }
  var bytes = [UInt8](repeating: 0, count: size - start)
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
  return (Array(bytes[0..<got]), start > 0)
}
