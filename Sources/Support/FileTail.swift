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
  return (try readUpTo(size - start, from: fd, path: path), start > 0)
}
