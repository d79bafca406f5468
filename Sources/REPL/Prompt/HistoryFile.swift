// The REPL's history file, kept in Swift rather than with libedit's `write_history`.
//
// libedit 3.1-20221030's `append_history` writes one entry too many and `history_truncate_file`
// drops the header (both seen with Debian 12's libedit), so the file is ours: one entry per line with `\` and newline
// escaped, so a multi-line block stays one entry. Each entry is appended as it is entered (one
// `write` on an `O_APPEND` descriptor: concurrent sessions interleave whole entries and a crash
// loses nothing); the file is compacted to the newest `limit` entries at load time and when it
// grows past twice what a load reads, through a temporary file renamed over the old one. A load
// reads only the file's end (``tailBytes``), so a huge history file costs nothing at start-up.
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

  /// How much of the file's end a load reads: room for `limit` entries of 500 bytes, at least
  /// 1 MiB. Older entries beyond it are dropped when the file is compacted.
  public var tailBytes: Int { max(1 << 20, limit * 500) }

  /// Why entries cannot be saved to the file, or nil when they likely can: its folder is missing
  /// or not writable, or the file is not writable.
  public func saveProblem() -> FileError? { writeTargetProblem(path) }

  /// The newest `limit` entries, oldest first; empty when the file is missing or unreadable. Only
  /// the last ``tailBytes`` of the file are read. Compacts the file when it holds more than
  /// `limit` entries by a margin, or more than was read.
  public func load() -> [String] {
    guard let (bytes, truncated) = try? readFileSuffix(path, count: tailBytes) else { return [] }
    var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
    if truncated, !lines.isEmpty { lines.removeFirst() }  // the read began inside it
    var entries: [String] = []
    for line in lines where line.first != UInt8(ascii: "#") {
      entries.append(Self.decode(Substring(String(decoding: line, as: UTF8.self))))
    }
    let over = entries.count > limit + limit / 4
    if entries.count > limit { entries.removeFirst(entries.count - limit) }
    if over || truncated { rewrite(entries) }
    return entries
  }

  /// Appends one entry to the file (creating it, readable only by the user); the error when it
  /// could not. Anything but a regular file at the path is left alone: O_NONBLOCK keeps the open
  /// of a FIFO from waiting for a reader, and the type check keeps entries out of devices. A file
  /// grown past twice ``tailBytes`` (sessions append and only a load compacts) is compacted.
  @discardableResult
  public func append(_ entry: String) -> FileError? {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o600)
    guard fd >= 0 else { return FileError.errno(path) }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      return FileError(path: path, problem: "is not a regular file", kind: .wrongType)
    }
    var text = ""
    if st.st_size == 0 { text += Self.header + "\n" }
    text += Self.encode(entry) + "\n"
    let ok = writeAll(fd, text)
    let error = ok ? nil : FileError.errno(path)
    close(fd)
    if ok, Int(st.st_size) + text.utf8.count > 2 * tailBytes { _ = load() }
    return error
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

  /// A history file as a session uses it: loaded at start-up, each entry appended, and a
  /// problem with saving told once through `warn` (at start-up, or at the first failed save).
  public final class Recorder {
    /// The file; nil when it cannot serve as history at all (a FIFO, a device, a folder).
    public let file: HistoryFile?
    private let warn: (String) -> Void
    private var warned = false

    /// A recorder for `file`; `warn` gets each warning as a line for standard error.
    public init(_ file: HistoryFile?, warn: @escaping (String) -> Void) {
      self.warn = warn
      if let problem = file?.problem() {
        warn("lebm: warning: history file \(problem); going on without history\n")
        self.file = nil
        return
      }
      self.file = file
      if let problem = file?.saveProblem() { tell(problem) }
    }

    /// The entries to start with.
    public func load() -> [String] { file?.load() ?? [] }

    /// Saves one entry.
    public func record(_ entry: String) {
      if let problem = file?.append(entry) { tell(problem) }
    }

    private func tell(_ problem: FileError) {
      guard !warned else { return }
      warned = true
      warn("lebm: warning: history file \(problem); this session's history will not be saved\n")
    }
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
