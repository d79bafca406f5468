// The read → check → evaluate → print loop (after Lua's `doREPL`: loadline, docall, print or
// report, never exit). Input continues while the backend says `.incomplete`; lines starting with
// `:` on the first line of an entry are REPL commands.
import Glibc
import Support

/// One REPL session over a ``LineReader`` and a ``REPLBackend``.
public final class Session {
  /// The language.
  public let backend: REPLBackend
  /// Where lines come from.
  public let reader: LineReader
  /// Where results, figures and errors go.
  public let console: Console
  /// How figures are drawn inline (in addition to their `[figure]` line).
  public var images: ImageProtocol
  /// The name errors carry for typed input: `<repl>` interactively, `<stdin>` otherwise.
  public var fileName: String
  /// The exit status a non-interactive run ends with: 0, or 65/70 for the first syntax/runtime
  /// error.
  public private(set) var status: Int32 = 0
  /// Entries that ran without error, for `:save`.
  public private(set) var transcript: [String] = []

  /// Files `:load` ran, as absolute paths, so `:save` writes each once as an `import`.
  private var loadedFiles: Set<String> = []

  /// Records a file `:load` ran for `:save`: `import "PATH"` the first time (an import runs a
  /// file once per session, as `:load` ran it), a comment when it is loaded again.
  func rememberLoad(_ path: String, result: EvalResult) {
    guard !result.failed else {
      let why = result.interrupted ? "was interrupted (Ctrl-C)" : "stopped with an error"
      transcript.append("# :load \(path) \(why); not replayed")
      return
    }
    let absolute = absolutePath(path)
    if loadedFiles.insert(absolute).inserted {
      transcript.append("import \"\(absolute)\"")
    } else {
      transcript.append("# :load \(path) again (its definitions come from the import above)")
    }
  }

  /// The transcript as `:save` writes it to `file`: imports of files in the saved file's folder
  /// (or below) relative to it, as `import` resolves them.
  func savedText(for file: String) -> String {
    let folder = absolutePath(file).split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/"
    return transcript.map { entry -> String in
      let prefix = "import \"" + folder
      return ensureNewline(entry.hasPrefix(prefix) ? "import \"" + entry.dropFirst(prefix.count) : entry)
    }.joined()
  }

  /// Empties ``transcript`` (`:reset`).
  func forgetTranscript() { transcript.removeAll(); loadedFiles.removeAll() }

  /// A session; nothing is read until ``run()``.
  public init(
    backend: REPLBackend, reader: LineReader, console: Console, images: ImageProtocol = .none
  ) {
    self.backend = backend
    self.reader = reader
    self.console = console
    self.images = images
    self.fileName = reader.isInteractive ? Session.promptFileName : "<stdin>"
  }

  /// The name errors carry for input typed at an interactive prompt (``fileName``); a backend
  /// that keeps `_` keeps it for these.
  public static let promptFileName = "<repl>"

  /// The REPL commands, for `:help`: generated from ``SessionCommand/all``.
  public static var commandHelp: String { commandHelp(width: nil) }

  /// ``commandHelp`` with each summary wrapped at `width` columns (when given) under its column.
  static func commandHelp(width: Int?) -> String {
    let rows = SessionCommand.all.map { c in (":" + c.names[0] + (c.argument.isEmpty ? "" : " " + c.argument), c.summary) }
    let column = max(14, rows.map(\.0.count).max() ?? 0) + 4
    func wrapped(_ summary: String) -> String {
      guard let width, column + summary.count > width else { return summary }
      var lines: [String] = [], line = ""
      for word in summary.split(separator: " ") {
        if !line.isEmpty, column + line.count + 1 + word.count > width { lines.append(line); line = String(word) } else { line += (line.isEmpty ? "" : " ") + word }
      }
      lines.append(line)
      return lines.joined(separator: "\n" + String(repeating: " ", count: column))
    }
    return "REPL commands:\n"
      + rows.map { "  " + $0.0 + String(repeating: " ", count: column - 2 - $0.0.count) + wrapped($0.1) }.joined(separator: "\n")
      + "\nCtrl-C stops a running loop between steps; at the prompt it clears the line."
  }

  /// Reads and runs entries until end of input or `:quit`. Returns ``status``.
  @discardableResult
  public func run() -> Int32 {
    let console = self.console
    let tracker = self.outputTracker
    backend.output = { text in
      if let last = text.utf8.last { tracker.endsWithNewline = last == UInt8(ascii: "\n") }
      console.out(text)
    }
    showFiguresAsWritten()
    while true {
      switch readEntry() {
      case .end:
        if reader.isInteractive { console.out("\n") }
        return status
      case .cancelled:
        console.out("\n")
      case .code(let source):
        reader.addHistory(source)
        run(source, file: fileName)
      case .command(let line):
        if !command(line) { return status }
      }
    }
  }

  // MARK: - Reading

  enum Entry: Equatable {
    case code(String), command(String), cancelled, end
  }

  /// Reads one entry: a command line, or code lines until the backend stops saying `.incomplete`.
  /// `name?` is `:help name` (IPython's habit).
  func readEntry() -> Entry {
    switch readCode(reader, backend, firstLine: { (t: String) -> FirstLine<Entry> in
      if t.isEmpty { return .skip }
      if t.hasPrefix(":") { return .take(Entry.command(t)) }
      if let name = Session.helpQuery(t) { return .take(Entry.command(":help " + name)) }
      return .code
    }) {
    case .taken(let e): return e
    case .code(let source): return .code(source)
    case .cancelled: return .cancelled
    case .end: return .end
    }
  }

  /// The name in `name?` (an identifier, then `?`), which asks for help on it; nil for other lines.
  static func helpQuery(_ line: String) -> String? {
    guard line.count > 1, line.last == "?" else { return nil }
    let name = trimmed(String(line.dropLast()))
    guard let first = name.first, first.isLetter || first == "_",
      name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
    else { return nil }
    return name
  }

  /// Reads further lines of `first` until it is complete (used by `:time`).
  func readRest(of first: String) -> String? {
    var source = first
    while backend.check(source) == .incomplete {
      switch reader.readLine(.continuation) {
      case .line(let line): source += "\n" + line
      case .interrupted: return nil
      case .end: return source
      }
    }
    return source
  }

  // MARK: - Evaluating

  /// Evaluates `source` as interruptible work and shows the result. Returns the result.
  @discardableResult
  public func run(_ source: String, file: String) -> EvalResult {
    let backend = self.backend
    let result = InterruptSignal.runEvaluation { backend.evaluate(source, file: file) }
    show(result)
    if file == fileName {
      if !result.failed {
        transcript.append(source)
      } else if result.interrupted {
        // Kept for `:save` as a comment: what ran before Ctrl-C stays in the session but would
        // not replay the same way.
        // What the work kept (the steps `train` finished) stays in the session too, so the
        // comment says so: replaying the file does not redo it.
        let kept = result.interruption.map {
          "\n# \($0)\n# (this session kept them; replaying this file does not redo them, so its results differ)"
        } ?? ""
        transcript.append("# interrupted (Ctrl-C) before it finished; not replayed:\n"
          + source.split(separator: "\n", omittingEmptySubsequences: false).map { "# " + $0 }.joined(separator: "\n") + kept)
      }
    }
    if status == 0, result.failed {
      status = result.interrupted ? 130 : result.isSyntaxError ? 65 : 70
    }
    return result
  }

  /// Whether the program's own output ended with a newline (so the echo and the next prompt
  /// start a line of their own).
  final class OutputTracker { var endsWithNewline = true }
  let outputTracker = OutputTracker()

  /// How many of the current evaluation's figures were already shown as they were written.
  var figuresShown = 0

  /// Shows each figure as the backend writes it (in order with the program's output) instead of
  /// after the evaluation.
  public func showFiguresAsWritten() {
    let tracker = outputTracker
    backend.onFigure = { [weak self] figure in
      guard let self else { return }
      if !tracker.endsWithNewline {
        self.console.out("\n")
        tracker.endsWithNewline = true
      }
      self.showFigure(figure)
      self.figuresShown += 1
    }
  }

  /// Prints a result: the error (or the interruption's message) to the error sink, else the echo; then the
  /// figures not yet shown.
  public func show(_ result: EvalResult) {
    if !outputTracker.endsWithNewline {
      console.out("\n")
      outputTracker.endsWithNewline = true
    }
    if result.interrupted {
      console.err((result.interruption ?? "interrupted") + "\n")
    } else if let error = result.error {
      console.err(error.hasSuffix("\n") ? error : error + "\n")
    } else if let echo = result.echo {
      console.out(echo.hasSuffix("\n") ? echo : echo + "\n")
    }
    for figure in result.figures.dropFirst(figuresShown) { showFigure(figure) }
    figuresShown = 0
  }

  /// Draws a PNG figure inline when ``images`` allows it, then prints its `[figure]` line.
  public func showFigure(_ figure: FigureOutput) {
    if images != .none, figure.format == .png, let png = try? readFileBytes(figure.path) {
      console.out(images.escape(forPNG: png))
    }
    console.out(figure.line + "\n")
  }

  // MARK: - Commands

  /// Runs a `:command` line. Returns false when the session should end.
  func command(_ line: String) -> Bool {
    let body = line.dropFirst()
    let name = String(body.prefix { !$0.isWhitespace })
    let argument = trimmed(String(body.dropFirst(name.count)))
    guard let command = SessionCommand.named(name) else {
      reader.addHistory(line)
      console.err("unknown command ':\(name)'; :help lists the commands\n")
      return true
    }
    let outcome = command.run(self, argument)
    switch outcome {
    case .quit:
      reader.addHistory(line)
      return false
    case .done:
      reader.addHistory(line)
    case .doneRemembering(let entry):  // what Up recalls: `:time` extends the line, `:paste` replaces it
      reader.addHistory(entry)
    }
    return true
  }
}

// MARK: - Helpers

/// `text` with a leading `#!` line emptied (line numbers stay the same), for scripts run with
/// `#!/usr/bin/env lebm`.
public func stripShebang(_ text: String) -> String {
  guard text.hasPrefix("#!") else { return text }
  guard let newline = text.firstIndex(of: "\n") else { return "" }
  return String(text[newline...])
}

func trimmed(_ s: String) -> String {
  var sub = Substring(s)
  while let c = sub.first, c.isWhitespace { sub.removeFirst() }
  while let c = sub.last, c.isWhitespace { sub.removeLast() }
  return String(sub)
}

func ensureNewline(_ s: String) -> String { s.hasSuffix("\n") ? s : s + "\n" }

/// `path` from the root: relative paths are taken from the current folder.
func absolutePath(_ path: String) -> String {
  guard !path.hasPrefix("/") else { return path }
  var buffer = [CChar](repeating: 0, count: 4096)
  guard getcwd(&buffer, buffer.count) != nil else { return path }
  let folder = String(cString: buffer)
  return (folder.hasSuffix("/") ? folder : folder + "/") + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
}

/// A path argument with surrounding quotes removed.
func unquote(_ s: String) -> String {
  if s.count >= 2, let f = s.first, let l = s.last, f == l, f == "\"" || f == "'" {
    return String(s.dropFirst().dropLast())
  }
  return s
}

/// A duration with three significant digits and a unit: `"812 µs"`, `"12.3 ms"`, `"4.56 s"`.
public func formatDuration(_ seconds: Double) -> String {
  let (value, unit): (Double, String) =
    seconds < 1e-3 ? (seconds * 1e6, "µs") : seconds < 1 ? (seconds * 1e3, "ms") : (seconds, "s")
  let decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2
  var scale = 1.0
  for _ in 0..<decimals { scale *= 10 }
  let rounded = (value * scale).rounded()
  let whole = Int(rounded / scale)
  guard decimals > 0 else { return "\(whole) \(unit)" }
  var fraction = String(Int(rounded) - whole * Int(scale))
  while fraction.count < decimals { fraction = "0" + fraction }
  return "\(whole).\(fraction) \(unit)"
}

/// What the first line of an entry is to the reader: skipped (read another), taken whole (a
/// command), or the start of code.
enum FirstLine<Taken> { case skip, take(Taken), code }

/// What ``readCode(_:_:firstLine:)`` read.
enum ReadCode<Taken> { case taken(Taken), code(String), cancelled, end }

/// Reads one entry at a prompt: `firstLine` looks at the trimmed first line (and may take it as
/// a command); otherwise code lines are read until the backend no longer says `.incomplete`. At
/// the end of input inside a block the block is returned, so the parser reports what is missing.
func readCode<T>(_ reader: LineReader, _ backend: REPLBackend, firstLine: (String) -> FirstLine<T>) -> ReadCode<T> {
  var lines: [String] = []
  while true {
    switch reader.readLine(lines.isEmpty ? .primary : .continuation) {
    case .end:
      return lines.isEmpty ? .end : .code(lines.joined(separator: "\n"))
    case .interrupted:
      return .cancelled
    case .line(let line):
      if lines.isEmpty {
        switch firstLine(trimmed(line)) {
        case .skip: continue
        case .take(let t): return .taken(t)
        case .code: break
        }
      }
      lines.append(line)
      let source = lines.joined(separator: "\n")
      if backend.check(source) != .incomplete { return .code(source) }
    }
  }
}
