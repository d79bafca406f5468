// Whether a file can be written at a path, asked before long work whose result goes there (a
// notebook runs every cell before its page is written): the folder must exist and take new
// files, and what is at the path must be a regular file that can be replaced.
import Glibc

/// Why a file cannot be written at `path`, or nil when it likely can: its folder is missing, not a
/// folder or not writable; or the path names a folder, a FIFO, a device or a socket, or a file
/// that is not writable. The write itself can still fail (a full disk); this only catches early
/// what is already certain.
public func writeTargetProblem(_ path: String) -> FileError? {
  guard !path.isEmpty else { return FileError(path: path, problem: "is an empty path", kind: .notFound) }
  let folder = parentFolder(path)
  var st = stat()
  guard stat(folder, &st) == 0 else {
    return FileError(path: folder, problem: "the folder does not exist (\(errnoMessage()))", kind: .notFound)
  }
  guard (st.st_mode & S_IFMT) == S_IFDIR else {
    let what = (st.st_mode & S_IFMT) == S_IFREG ? "a file" : fileTypeName(st.st_mode)
    return FileError(path: folder, problem: "is \(what), not a folder", kind: .wrongType)
  }
  if stat(path, &st) == 0 {
    let type = st.st_mode & S_IFMT
    if type == S_IFDIR { return FileError(path: path, problem: "is a folder, not a file", kind: .wrongType) }
    if type != S_IFREG {
      return FileError(path: path, problem: "is \(fileTypeName(st.st_mode)), not a regular file", kind: .wrongType)
    }
    if access(path, W_OK) != 0 { return FileError(path: path, problem: "is not writable (\(errnoMessage()))") }
  } else if access(folder, W_OK | X_OK) != 0 {
    return FileError(path: folder, problem: "the folder is not writable (\(errnoMessage()))")
  }
  return nil
}

/// The folder holding `path`'s last component: `.` for a bare name, `/` for `/name`.
func parentFolder(_ path: String) -> String {
  var p = Substring(path)
  while p.count > 1, p.hasSuffix("/") { p.removeLast() }
  guard let slash = p.lastIndex(of: "/") else { return "." }
  return slash == p.startIndex ? "/" : String(p[..<slash])
}
