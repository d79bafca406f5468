// Scratch folders: a fresh, uniquely named folder, and removing a folder with everything in it.
import Glibc

/// Creates a new, empty folder with a unique name in `$TMPDIR` (or `/tmp`), e.g.
/// `/tmp/lebm-tests-Ab12Cd`, readable only by the user; returns its path.
public func makeTemporaryDirectory(prefix: String = "lebm") throws(FileError) -> String {
  var base = environmentValue("TMPDIR") ?? "/tmp"
  if base.isEmpty { base = "/tmp" }
  if base.hasSuffix("/"), base.count > 1 { base.removeLast() }
  var template = Array((base + "/" + prefix + "-XXXXXX").utf8CString)
  let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
  guard made != nil else { throw FileError.errno(base) }
  return String(cString: template)
}

/// Removes `path` and, when it is a folder, everything under it. Symbolic links are removed, not
/// followed. A missing `path` is not an error.
public func removeTree(_ path: String) throws(FileError) {
  var st = stat()
  guard lstat(path, &st) == 0 else {
    if errno == ENOENT { return }
    throw FileError.errno(path)
  }
  if (st.st_mode & S_IFMT) == S_IFDIR {
    for entry in try listDirectory(path) { try removeTree(path + "/" + entry.name) }
    guard rmdir(path) == 0 else { throw FileError.errno(path) }
  } else {
    guard unlink(path) == 0 else { throw FileError.errno(path) }
  }
}
