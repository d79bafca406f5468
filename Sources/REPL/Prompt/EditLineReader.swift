// Line editing on a terminal through libedit's readline-compatible API. The only
// file that imports CEditLine. libedit keeps global state, so one reader is active at a time.
import CEditLine
import Glibc
import Support

/// Reads lines with libedit: editing keys, history (Up arrow recalls whole blocks) kept in a
/// ``HistoryFile`` across sessions, and Tab completion from a completer (usually the backend).
///
/// Ctrl-C at the prompt gives `.interrupted` when ``InterruptSignal/install()`` has been called
/// (libedit's `readline()` returns NULL and the handler's flag tells it from Ctrl-D).
public final class EditLineReader: LineReader {
  /// Candidates for the word before the cursor: `(line, cursor)` as in
  /// ``REPLBackend/completions(for:cursor:)``.
  public typealias Completer = (_ line: String, _ cursor: Int) -> [String]

  private let history: HistoryFile.Recorder
  private var lastEntry: String?
  public var isInteractive: Bool { true }

  /// A reader keeping history in `historyPath` (nil: no history file) and completing with
  /// `completer`.
  /// A history path that is not a regular file (a FIFO, `/dev/zero`, a folder) gets a warning on
  /// standard error, and the session goes on without history.
  /// A history file that cannot be written (a missing folder, a read-only file) is loaded all the
  /// same, with one warning that the session's entries will not be saved.
  public init(historyPath: String? = HistoryFile.defaultPath(), completer: Completer? = nil) {
    history = HistoryFile.Recorder(historyPath.map { HistoryFile(path: $0) }) { fputs($0, stderr) }
    EditLineState.completer = completer
    // libedit edits wide characters and converts with the C locale's codeset: without a UTF-8
    // LC_CTYPE, "é" is dropped. Only LC_CTYPE changes, so number formatting is untouched.
    setlocale(LC_CTYPE, "")
    if String(cString: nl_langinfo(nl_item(CODESET))) != "UTF-8" { setlocale(LC_CTYPE, "C.UTF-8") }
    // What `rl_initialize` reads must be set first: `using_history` runs it.
    rl_readline_name = UnsafePointer(EditLineState.appName)
    // Ctrl-C: libedit's own handler would switch the terminal to cooked mode and re-raise the
    // signal to the whole process group, and its read loop retries after the first EINTR. So
    // libedit catches nothing and reads through `readKey`, which watches the handler's flag.
    rl_catch_signals = 0
    // Prompts and editing go to the terminal even when stdout is redirected (`lebm > log`).
    if isatty(1) == 0, isatty(2) != 0 { rl_outstream = stderr }
    rl_getc_function = { stream in EditLineState.readKey(fd: stream.map { fileno($0) } ?? 0) }
    using_history()
    rl_attempted_completion_function = { text, start, end in
      EditLineState.complete(text: text, start: start, end: end)
    }
    // Break words on operators and brackets; '/' and '.' stay inside words so that paths in
    // strings reach the completer whole (the completer re-splits, see `complete`).
    rl_basic_word_break_characters = UnsafePointer(EditLineState.wordBreaks)
    rl_completion_append_character = 0
    // libedit keeps as many entries as the file does.
    stifle_history(Int32(history.file?.limit ?? 2000))
    for entry in history.load() {
      add_history(entry)
      lastEntry = entry
    }
  }

  public func readLine(_ prompt: Prompt) -> LineInput {
    InterruptSignal.clearPrompt()
    guard let raw = readline(prompt.text) else {
      return InterruptSignal.takePrompt() ? .interrupted : .end
    }
    defer { free(raw) }
    if InterruptSignal.takePrompt() { return .interrupted }
    return .line(String(cString: raw))
  }

  public func addHistory(_ entry: String) {
    guard !entry.isEmpty, entry != lastEntry else { return }
    lastEntry = entry
    add_history(entry)
    history.record(entry)
  }
}

/// libedit's callbacks are C function pointers, so their state is global.
enum EditLineState {
  nonisolated(unsafe) static var completer: EditLineReader.Completer?
  nonisolated(unsafe) static var pending: [String] = []
  static let appName: UnsafeMutablePointer<CChar> = strdup("lebm")!
  static let wordBreaks: UnsafeMutablePointer<CChar> = strdup(" \t\n\"'`@$><=;|&{}()[],+-*%!^~:")!

  /// Turns candidates for ``CompletionWord``'s word into replacements for libedit's word (which
  /// ends at the cursor too, so one is a suffix of the other), keeping those that extend it.
  static func replacements(
    for candidates: [String], line: String, cursor: Int, libeditWord theirs: String
  ) -> [String] {
    let ours = CompletionWord.find(in: line, cursor: cursor).word
    var out: [String] = []
    for candidate in candidates {
      if theirs.hasSuffix(ours) {
        out.append(String(theirs.dropLast(ours.count)) + candidate)
      } else if ours.hasSuffix(theirs) {
        let extra = ours.dropLast(theirs.count)
        if candidate.hasPrefix(extra) { out.append(String(candidate.dropFirst(extra.count))) }
      }
    }
    return out.filter { $0.hasPrefix(theirs) }
  }

  /// Reads one key for libedit as a Unicode scalar (libedit's readline layer does not decode
  /// UTF-8 from a custom reader), or -1 (end of input) when Ctrl-C was pressed at the prompt.
  /// Polls in 100 ms steps so a Ctrl-C that lands before the read starts is still seen.
  static func readKey(fd: Int32) -> Int32 {
    func byte() -> Int32 {
      while true {
        if InterruptSignal.promptRequested { return -1 }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, 100)
        if ready == 0 || (ready < 0 && errno == EINTR) { continue }
        var b: UInt8 = 0
        let n = read(fd, &b, 1)
        if n == 1 { return Int32(b) }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
        return -1
      }
    }
    let first = byte()
    guard first >= 0x80 else { return first }
    let extra = first >= 0xF0 ? 3 : first >= 0xE0 ? 2 : first >= 0xC0 ? 1 : 0
    guard extra > 0 else { return 0xFFFD }
    var scalar = first & (0x3F >> extra)
    for _ in 0..<extra {
      let next = byte()
      if next < 0 { return -1 }
      guard next & 0xC0 == 0x80 else { return 0xFFFD }
      scalar = scalar << 6 | (next & 0x3F)
    }
    return scalar
  }

  /// The attempted-completion hook: asks the completer about the whole line, then converts its
  /// candidates (which replace ``CompletionWord``'s word) into replacements for libedit's word
  /// `text`; both words end at the cursor, so one is a suffix of the other.
  static func complete(
    text: UnsafePointer<CChar>?, start: Int32, end: Int32
  ) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    rl_attempted_completion_over = 1  // never fall back to libedit's file-name completion
    guard let completer, let text, let buffer = rl_line_buffer else { return nil }
    let line = String(cString: buffer)
    // rl_point is a byte offset; the protocol counts Characters.
    let bytes = Array(line.utf8)
    let point = min(max(0, Int(rl_point)), bytes.count)
    let cursor = String(decoding: bytes[0..<point], as: UTF8.self).count
    let theirs = String(cString: text)
    let replacements = Self.replacements(
      for: completer(line, cursor), line: line, cursor: cursor, libeditWord: theirs)
    guard !replacements.isEmpty else { return nil }
    pending = replacements
    return rl_completion_matches(text) { _, state in
      let i = Int(state)
      guard i < EditLineState.pending.count else { return nil }
      return strdup(EditLineState.pending[i])
    }
  }
}
