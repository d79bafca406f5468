import Glibc

/// Reads whole files into memory with `fopen`/`fread`, turning every failure into a ``DatasetError``
/// that names the file.
enum FileIO {
  /// The bytes of the file at `path`.
  static func read(_ path: String) throws -> [UInt8] {
    var st = stat()
    guard stat(path, &st) == 0 else {
      let e = errno
      if e == ENOENT || e == ENOTDIR { throw DatasetError.fileNotFound(path: path) }
      throw DatasetError.unreadable(path: path, reason: String(cString: strerror(e)))
    }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
      let what = (st.st_mode & S_IFMT) == S_IFDIR ? "is a folder, not a file" : "is not a regular file"
      throw DatasetError.unreadable(path: path, reason: what)
    }
    guard let f = fopen(path, "rb") else {
      throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    defer { fclose(f) }
    let size = Int(st.st_size)
    var bytes = [UInt8](repeating: 0, count: size)
    let got = bytes.withUnsafeMutableBytes { b in size == 0 ? 0 : fread(b.baseAddress, 1, size, f) }
    guard got == size else {
      throw DatasetError.unreadable(path: path, reason: "read \(got) of \(size) bytes")
    }
    return bytes
  }

  /// Whether `path` names an existing folder.
  static func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
  }

  /// Whether anything exists at `path`.
  static func exists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
  }

  /// Writes `bytes` to `path`, replacing the file.
  static func write(_ bytes: [UInt8], to path: String) throws {
    guard let f = fopen(path, "wb") else {
      throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    defer { fclose(f) }
    let put = bytes.withUnsafeBytes { b in bytes.isEmpty ? 0 : fwrite(b.baseAddress, 1, bytes.count, f) }
    guard put == bytes.count else {
      throw DatasetError.unreadable(path: path, reason: "wrote \(put) of \(bytes.count) bytes")
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
