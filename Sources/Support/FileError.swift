// FileError: what went wrong with a file or folder, naming it. Every helper in Support reports
// failures as this value instead of returning nil and leaving the reason in `errno`.
import Glibc

/// A failure to read, write or list `path`: `"'data/x.csv': No such file or directory"`.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What kind of failure it was, for callers that react differently (e.g. "not found").
  public enum Kind: Equatable, Sendable {
    /// Nothing exists at the path (or a folder on the way is missing).
    case notFound
    /// The path exists but is not what was asked for: a folder, FIFO, device or socket where a
    /// regular file was needed, or a file where a folder was needed.
    case wrongType
    /// The file is larger than the caller's limit.
    case tooLarge
    /// The system refused or failed (permissions, I/O errors…); ``FileError/problem`` says how.
    case system
  }

  /// The file or folder.
  public let path: String
  /// What was wrong, in words: `"No such file or directory"`, `"is a folder, not a file"`.
  public let problem: String
  /// The kind of failure.
  public let kind: Kind

  /// An error about `path`.
  public init(path: String, problem: String, kind: Kind = .system) {
    self.path = path
    self.problem = problem
    self.kind = kind
  }

  /// The error for the current `errno` about `path`.
  public static func errno(_ path: String, _ code: Int32 = Glibc.errno) -> FileError {
    let kind: Kind = code == ENOENT || code == ENOTDIR ? .notFound : code == EISDIR ? .wrongType : .system
    return FileError(path: path, problem: String(cString: strerror(code)), kind: kind)
  }

  /// `'path': problem`.
  public var description: String { "'\(path)': \(problem)" }
}

/// What a file-type bit pattern of `st_mode` is, in words, for messages.
func fileTypeName(_ mode: mode_t) -> String {
  switch mode & S_IFMT {
  case S_IFDIR: return "a folder"
  case S_IFIFO: return "a FIFO (named pipe)"
  case S_IFCHR: return "a character device"
  case S_IFBLK: return "a block device"
  case S_IFSOCK: return "a socket"
  case S_IFLNK: return "a symbolic link"
  default: return "not a regular file"
  }
}
