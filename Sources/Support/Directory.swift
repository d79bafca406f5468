// Listing folders without Foundation.
import Glibc

/// One name in a folder.
public struct DirectoryEntry: Equatable, Sendable {
  /// The name within the folder (no path).
  public var name: String
  /// Whether the entry is a folder (as the listing reports it; symbolic links are not followed).
  public var isDirectory: Bool

  /// An entry called `name`.
  public init(name: String, isDirectory: Bool) {
    self.name = name
    self.isDirectory = isDirectory
  }
}

/// The entries of the folder at `path`, without `.` and `..`, sorted by name.
public func listDirectory(_ path: String) throws(FileError) -> [DirectoryEntry] {
  guard let dir = opendir(path) else { throw FileError.errno(path) }
  defer { closedir(dir) }
  var out: [DirectoryEntry] = []
  while let e = readdir(dir) {
    let name = withUnsafeBytes(of: e.pointee.d_name) {
      String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
    }
    guard name != ".", name != ".." else { continue }
    out.append(DirectoryEntry(name: name, isDirectory: e.pointee.d_type == UInt8(DT_DIR)))
  }
  return out.sorted { $0.name < $1.name }
}

/// Whether `path` names an existing folder (following symbolic links).
public func isDirectory(_ path: String) -> Bool {
  var st = stat()
  return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

/// Makes the folder `path` and any missing folders above it (like `mkdir -p`).
public func makeFolders(_ path: String, mode: mode_t = 0o755) throws(FileError) {
  var built = path.hasPrefix("/") ? "" : "."
  for part in path.split(separator: "/") {
    built += "/" + part
    if mkdir(built, mode) != 0 && errno != EEXIST { throw FileError.errno(built) }
  }
}
