import Glibc
import Support

/// Whole files for the loaders, through Support's readers, with every failure turned into a
/// ``DatasetError`` that names the file.
enum FileIO {
  /// The bytes of the regular file at `path`, refused when larger than `limit` bytes.
  static func read(_ path: String, limit: Int) throws -> [UInt8] {
    do throws(FileError) {
      return try readFileBytes(path, limit: limit)
    } catch {
      throw DatasetError(error)
    }
  }

  /// Whether `path` names an existing folder.
  static func isDirectory(_ path: String) -> Bool { Support.isDirectory(path) }

  /// Whether anything exists at `path`.
  static func exists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
  }

  /// Writes `bytes` to `path`, replacing the file.
  static func write(_ bytes: [UInt8], to path: String) throws {
    do throws(FileError) {
      try writeFile(path, bytes)
    } catch {
      throw DatasetError.unreadable(path: path, reason: error.problem)
    }
  }

  /// The names in `folder` that do not start with `.`, sorted.
  static func listing(_ folder: String) throws -> [String] {
    do throws(FileError) {
      return try listDirectory(folder).map(\.name).filter { !$0.hasPrefix(".") }
    } catch {
      throw DatasetError.unreadable(path: folder, reason: "cannot list the folder: \(error.problem)")
    }
  }
}

extension FileIO {
  /// Creates the folder `path` (its parent must exist).
  static func mkdir(_ path: String) throws {
    guard Glibc.mkdir(path, 0o755) == 0 else {
      throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
  }
}

extension DatasetError {
  /// The loader's error for a file Support could not read.
  init(_ error: FileError) {
    self = error.kind == .notFound
      ? .fileNotFound(path: error.path) : .unreadable(path: error.path, reason: error.problem)
  }
}
