/// An error from loading or slicing a data set. Every case names what was wrong, and the file cases
/// name the file, so a script can print the message as is: `data/x.idx: truncated: expected …`.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file or folder does not exist.
  case fileNotFound(path: String)
  /// The file exists but could not be read (permissions, a folder where a file was expected, …).
  case unreadable(path: String, reason: String)
  /// The file was read but its contents are not what the format requires.
  case malformed(path: String, reason: String)
  /// A cell of a text file is wrong; `line` and `column` count from 1.
  case badCell(path: String, line: Int, column: Int, reason: String)
  /// A toy data set name that does not exist.
  case unknownToy(name: String, known: [String])
  /// A bad argument to a data set operation (a fraction outside [0, 1], a batch size of 0, …).
  case invalidArgument(op: String, message: String)

  /// The message, starting with the file (`path: …`, `path:line:column: …`) when there is one.
  public var description: String {
    switch self {
    case let .fileNotFound(path): return "\(path): no such file or folder"
    case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
    case let .malformed(path, reason): return "\(path): \(reason)"
    case let .badCell(path, line, column, reason): return "\(path):\(line):\(column): \(reason)"
    case let .unknownToy(name, known):
      return "unknown toy data set \"\(name)\"; known: \(known.joined(separator: ", "))"
    case let .invalidArgument(op, message): return "\(op): \(message)"
    }
  }
}
