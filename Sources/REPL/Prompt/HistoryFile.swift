// The REPL's history file, kept in Swift rather than with libedit's `write_history`.
//
// libedit 3.1-20221030's `append_history` writes one entry too many and `history_truncate_file`
// drops the header (REPL-NOTES §3), so the file is ours: one entry per line with `\` and newline
// escaped, so a multi-line block stays one entry. Each entry is appended as it is entered (one
// `write` on an `O_APPEND` descriptor: concurrent sessions interleave whole entries and a crash
// loses nothing); the file is compacted to the newest `limit` entries at load time, through a
// temporary file renamed over the old one.
import Glibc
import Support

/// A history file of REPL entries.
public struct HistoryFile: Sendable {
  /// The file's path.
  public let path: String
  /// How many entries to keep when compacting.
  public let limit: Int

  static let header = "#lebm-history-v1"

  /// The history path: `$LEBM_HISTORY` if set and not empty, else `~/.lebm_history`; nil when
  /// neither is known.
  public static func defaultPath() -> String? {
    if let p = getenv("LEBM_HISTORY"), p.pointee != 0 { return String(cString: p) }
    if let h = getenv("HOME"), h.pointee != 0 { return String(cString: h) + "/.lebm_history" }
    return nil
  }

  /// A history file at `path`, keeping `limit` entries.
  public init(path: String, limit: Int = 2000) {
    self.path = path
    self.limit = max(1, limit)
  }

  /// Why the file cannot serve as history, or nil when it can (a regular file, or nothing yet: the
  /// first entry creates it). A FIFO, a device such as `/dev/zero`, a folder or an unreadable file
  /// is a problem: the REPL warns and goes on without history instead of blocking or reading forever.
  public func problem() -> FileError? {
    do throws(FileError) {
      _ = try readFilePrefix(path, count: 0)
      return nil
    } catch {
      return error.kind == .notFound ? nil : error
    }
  }

  /// The entries, oldest first; empty when the file is missing or unreadable. Compacts the file
  /// when it holds more than `limit` entries by a margin.
  public func load() -> [String] {
    guard let text = try? readTextFile(path) else { return [] }
    var entries: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      if line.hasPrefix("#") { continue }
      entries.append(Self.decode(line))
    }
    if entries.count > limit + limit / 4 {
      entries.removeFirst(entries.count - limit)
      rewrite(entries)
    }
    return entries
  }

  /// Appends one entry to the file (creating it, readable only by the user). Anything but a
  /// regular file at the path is left alone: O_NONBLOCK keeps the open of a FIFO from waiting for
  /// a reader, and the type check keeps entries out of devices.
  public func append(_ entry: String) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o600)
    guard fd >= 0 else { return }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return }
    var text = ""
    if st.st_size == 0 { text += Self.header + "\n" }
    text += Self.encode(entry) + "\n"
    _ = writeAll(fd, text)
  }

  /// Replaces the file's contents with `entries` (temporary file, then rename).
  func rewrite(_ entries: [String]) {
    let tmp = path + ".tmp.\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return }
    var text = Self.header + "\n"
    for e in entries { text += Self.encode(e) + "\n" }
    let ok = writeAll(fd, text)
    close(fd)
    if ok { rename(tmp, path) } else { unlink(tmp) }
  }

  /// One entry as one line: `\` → `\\`, newline → `\n`, carriage return → `\r`, and a
  /// leading `#` (a comment typed at the prompt) → `\#`, since `#` lines are the file's own.
  static func encode(_ entry: String) -> String {
    var out = entry.hasPrefix("#") ? "\\" : ""
    for c in entry.unicodeScalars {
      switch c {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }

  static func decode(_ line: Substring) -> String {
    var out = ""
    var escaped = false
    for c in line.unicodeScalars {
      if escaped {
        switch c {
        case "n": out += "\n"
        case "r": out += "\r"
        default: out.unicodeScalars.append(c)
        }
        escaped = false
      } else if c == "\\" {
        escaped = true
      } else {
        out.unicodeScalars.append(c)
      }
    }
    return out
  }
}
