// Notebooks: `.lebm` files split into cells by `# %%` markers (Jupytext's percent format). The
// runner evaluates the code cells in order in one backend and keeps, per cell, what it printed,
// its value, its figures (the PNG bytes, read at once: a later cell may overwrite the file), its
// wall time and its error. `lebm notebook` writes the result as one HTML page or as Markdown;
// `lebm tutorial` plays the same cells one step at a time.
import Glibc
import Support

/// One cell of a percent-format notebook.
public struct NotebookCell: Equatable, Sendable {
  /// Code runs; markdown is shown.
  public enum Kind: Equatable, Sendable { case code, markdown }

  public var kind: Kind
  /// The text after `# %%` (without `[markdown]`), e.g. `Train the model`; empty when none.
  public var title: String
  /// The cell's text without its marker: code as written, markdown with the `# ` prefixes
  /// removed; leading and trailing blank lines dropped.
  public var source: String
  /// The 1-based line of the notebook file where `source` starts (for error positions).
  public var line: Int

  public init(kind: Kind, title: String = "", source: String, line: Int) {
    self.kind = kind
    self.title = title
    self.source = source
    self.line = line
  }
}

/// A parsed notebook.
public struct Notebook: Equatable, Sendable {
  public var cells: [NotebookCell]

  public init(cells: [NotebookCell]) { self.cells = cells }

  /// Whether `line` is a cell marker: `# %%` (or `#%%`) followed by nothing, a space, or `[`.
  static func isMarker(_ line: String) -> Bool {
    for prefix in ["# %%", "#%%"] where line.hasPrefix(prefix) {
      let rest = line.dropFirst(prefix.count)
      if rest.isEmpty || rest.first == " " || rest.first == "\t" || rest.first == "[" { return true }
    }
    return false
  }

  /// Whether `line` is a marker written escaped: `#`, one or more `\`, then the rest of a marker
  /// (`#\ %% [markdown]` stands for the cell line `# %% [markdown]`).
  static func isEscapedMarker(_ line: String) -> Bool {
    guard line.hasPrefix("#\\") else { return false }
    return isMarker("#" + line.dropFirst().drop { $0 == "\\" })
  }

  /// A cell's line as percent format writes it: a line that would read as a marker, or as an
  /// escaped one, gets one more `\` after its `#` (still a comment), so it stays in its cell.
  static func escapingMarker(_ line: String) -> String {
    isMarker(line) || isEscapedMarker(line) ? "#\\" + line.dropFirst() : line
  }

  /// A line of a cell as read: ``escapingMarker(_:)`` undone.
  static func unescapingMarker(_ line: String) -> String {
    isEscapedMarker(line) ? "#" + line.dropFirst(2) : line
  }

  /// Splits `text` into cells. Text before the first marker is a code cell unless it is blank;
  /// a leading `#!` line is ignored. Cells that are blank after their marker are dropped.
  public static func parse(_ text: String) -> Notebook {
    var lines = unixNewlines(text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    if let first = lines.first, first.hasPrefix("#!") { lines[0] = "" }

    var cells: [NotebookCell] = []
    var kind = NotebookCell.Kind.code
    var title = ""
    var body: [String] = []
    var bodyStart = 1  // the file line of body[0]

    func flush() {
      var start = 0, end = body.count
      while start < end, trimmed(body[start]).isEmpty { start += 1 }
      while end > start, trimmed(body[end - 1]).isEmpty { end -= 1 }
      let kept = Array(body[start..<end])
      if kind == .code {
        guard !kept.isEmpty || !title.isEmpty else { return }
        cells.append(NotebookCell(kind: .code, title: title, source: kept.joined(separator: "\n"), line: bodyStart + start))
      } else {
        let text = kept.map(uncomment).joined(separator: "\n")
        guard !trimmed(text).isEmpty || !title.isEmpty else { return }
        cells.append(NotebookCell(kind: .markdown, title: title, source: text, line: bodyStart + start))
      }
    }

    for (i, line) in lines.enumerated() {
      if isMarker(line) {
        flush()
        (kind, title) = header(line)
        body = []
        bodyStart = i + 2
      } else {
        body.append(unescapingMarker(line))
      }
    }
    flush()
    return Notebook(cells: cells)
  }

  /// The kind and title of a marker line: `# %% Title [markdown]`, `# %% [md] Title`.
  static func header(_ line: String) -> (NotebookCell.Kind, String) {
    var rest = String(line.drop { $0 != "%" }.dropFirst(2))
    var kind = NotebookCell.Kind.code
    for tag in ["[markdown]", "[md]"] {
      if let r = rest.firstRange(of: tag) {
        kind = .markdown
        rest.removeSubrange(r)
        break
      }
    }
    return (kind, trimmed(rest))
  }

  /// A markdown line without its comment prefix: `# text` → `text`, `#` → ``.
  static func uncomment(_ line: String) -> String {
    if line.hasPrefix("# ") { return String(line.dropFirst(2)) }
    if line == "#" { return "" }
    return line
  }
}

// MARK: - Running

/// A figure a cell produced: what was written (path, format, size) and its bytes at the time.
public struct NotebookFigure: Equatable, Sendable {
  public var output: FigureOutput
  /// The file's bytes, read right after the cell ran (a later cell may overwrite the file); nil
  /// when it could not be read.
  public var data: [UInt8]?
  /// How many PNG pixels make one CSS pixel on the page (2: drawn at twice the dpi for sharp screens).
  public var scale: Int = 1

  /// The figure file's absolute path: the path the plot builtin wrote, taken against the folder
  /// the cell ran in (the notebook's, not the working directory of `lebm notebook`), so a page
  /// in any folder can show it relative to itself.
  public var path: String

  /// `folder` is the absolute folder the cell ran in; nil for the working directory now.
  public init(output: FigureOutput, data: [UInt8]?, scale: Int = 1, folder: String? = nil) {
    self.output = output
    self.data = data
    self.scale = scale
    self.path = PageLinks.absolute(output.path, in: folder)
  }

  /// The `[figure]` line for a figure whose bytes could not be read, its path shown from `pageFolder`.
  public func unreadableLine(from pageFolder: String?) -> String {
    "[figure] \(PageLinks.relative(path, from: pageFolder)) \(output.summary) (could not be read)"
  }
  public var format: FigureOutput.Format { output.format }
}

/// What running one cell gave.
public struct CellOutcome: Equatable, Sendable {
  public var cell: NotebookCell
  /// Whether the cell ran (markdown cells and cells after a `--stop-on-error` stop do not).
  public var ran: Bool = false
  /// What the cell printed.
  public var output: String = ""
  /// The value of its last expression, when there is one to show.
  public var echo: String?
  /// The rendered error, or `"interrupted"`.
  public var error: String?
  public var interrupted: Bool = false
  public var figures: [NotebookFigure] = []
  /// Wall time in seconds.
  public var seconds: Double = 0

  public var failed: Bool { error != nil || interrupted }
}

/// Runs notebooks cell by cell in one backend.
public enum NotebookRunner {
  /// Evaluates one code cell in `backend`, naming it `file` in messages. The source is preceded
  /// by blank lines so error positions are the notebook's lines. What the cell prints is kept and
  /// also passed to `stream` as it comes (`lebm notebook` shows it on the terminal).
  public static func run(
    _ cell: NotebookCell, in backend: REPLBackend, file: String, stream: ((String) -> Void)? = nil
  ) -> CellOutcome {
    var outcome = CellOutcome(cell: cell)
    guard cell.kind == .code else { return outcome }
    final class Sink { var text = "" }
    let sink = Sink()
    backend.output = { text in
      sink.text += text
      stream?(text)
    }
    let source = String(repeating: "\n", count: max(0, cell.line - 1)) + cell.source
    let start = monotonicSeconds()
    let result = InterruptSignal.runEvaluation { backend.evaluate(source, file: file) }
    outcome.seconds = monotonicSeconds() - start
    outcome.ran = true
    outcome.output = sink.text
    outcome.echo = result.echo
    outcome.error = result.interrupted ? result.interruption ?? "interrupted" : result.error
    outcome.interrupted = result.interrupted
    let scale = max(1, Int(backend.figureScale.rounded()))
    // Resolved here, while the working directory is still the one the cell ran in.
    let folder = PageLinks.currentDirectory()
    outcome.figures = result.figures.map {
      NotebookFigure(output: $0, data: try? readFileBytes($0.path), scale: scale, folder: folder)
    }
    return outcome
  }

  /// Runs every code cell of `notebook` in order. After a failure the rest still run unless
  /// `stopOnError`; an interruption (Ctrl-C) always stops. `progress` hears about each cell
  /// before (`nil` outcome) and after it runs; `stream` gets what cells print as they print it.
  /// With a `folder`, cells run with it as the working directory, as Jupyter runs a notebook in
  /// the notebook's folder (relative paths, figures included, are the notebook's); the working
  /// directory is restored afterwards.
  public static func run(
    _ notebook: Notebook, in backend: REPLBackend, file: String, stopOnError: Bool = false,
    folder: String? = nil, stream: ((String) -> Void)? = nil,
    progress: (Int, CellOutcome?) -> Void = { _, _ in }
  ) -> [CellOutcome] {
    var saved: String?
    if let folder, !folder.isEmpty, folder != "." {
      saved = PageLinks.currentDirectory()
      if saved != nil, chdir(folder) != 0 { saved = nil }
    }
    defer { if let saved { _ = chdir(saved) } }
    var outcomes: [CellOutcome] = []
    var stopped = false
    for (i, cell) in notebook.cells.enumerated() {
      guard cell.kind == .code, !stopped else {
        outcomes.append(CellOutcome(cell: cell))
        continue
      }
      progress(i, nil)
      let outcome = run(cell, in: backend, file: file, stream: stream)
      progress(i, outcome)
      outcomes.append(outcome)
      if outcome.interrupted || (stopOnError && outcome.failed) { stopped = true }
    }
    return outcomes
  }
}

// MARK: - The command

/// `lebm notebook FILE [-o OUT.html|OUT.md|OUT.ipynb] [--stop-on-error] [--quick]`.
public enum NotebookCommand {
  /// Its row in the command table.
  public static let command = Command(
    "notebook", summary: "run a notebook's cells into a page (HTML, Markdown or .ipynb)",
    arguments: [.required("FILE")],
    options: [
      Option("-o", "--output", value: "OUT", help: "where the page goes: OUT.html, OUT.md (figures in OUT_files/) or OUT.ipynb"),
      Option("--stop-on-error", help: "run no more cells after one fails"),
      Option("--no-input", help: "leave the code out of the page: outputs, figures and errors only (as nbconvert's)"),
      .quick,
    ],
    details: """
      Runs the cells of FILE (split by `# %%` lines; `# %% [markdown]` cells hold text in `#`
      comments; or the cells of a Jupyter notebook FILE.ipynb whose language is lebm) in one
      session and writes a page with each cell's output, value, figures, time and error. OUT
      defaults to FILE with .html; with .md, figures go to OUT_files/; .ipynb is nbformat 4.5
      with the outputs, for JupyterLab and the lebm kernel. Cells run in FILE's folder (as
      Jupyter runs them), so relative paths are the notebook's; what they print is shown here
      as they run.
      Exit status: 0 when every cell ran, 70 when one failed (the page is written anyway).
      """
  ) { args, context in
    run(
      args.positionals[0], output: args["--output"], stopOnError: args.has("--stop-on-error"),
      hideInput: args.has("--no-input"), context: context)
  }

  /// Runs the notebook `input` (percent format, or an .ipynb) and writes its page to `outputPath`
  /// (default: ``defaultOutput(for:)``): HTML, Markdown or .ipynb by its extension. An unknown
  /// extension is a usage error (64) before anything runs.
  public static func run(
    _ input: String, output outputPath: String?, stopOnError: Bool, hideInput: Bool = false, context: CommandContext
  ) -> Int32 {
    let console = context.console
    let out = outputPath ?? defaultOutput(for: input)
    guard let format = PageFormat(path: out) else {
      return command.usageError("cannot write '\(out)': the page must end in .html, .md or .ipynb", console: console)
    }
    let notebook: Notebook
    do throws(NotebookFileError) { notebook = try Notebook.read(input) } catch {
      console.err("lebm notebook: \(error)\n")
      return error.status
    }
    // Checked before any cell runs: a run can take hours, and its page must have somewhere to go.
    if let problem = writeTargetProblem(out) {
      console.err("lebm notebook: cannot write '\(out)': \(problem); no cell was run\n")
      return 73
    }
    let backend = context.backend()
    // An HTML page shows each figure at its layout size from a PNG of twice the pixels.
    if !(out.hasSuffix(".md") || out.hasSuffix(".markdown")) { backend.figureScale = 2 }
    let codeCells = notebook.cells.filter { $0.kind == .code }.count
    var number = 0
    // Cells run in the notebook's folder, where the notebook's name is its file name.
    let slash = input.lastIndex(of: "/")
    let folder = slash.map { $0 == input.startIndex ? "/" : String(input[..<$0]) }
    let outcomes = NotebookRunner.run(
      notebook, in: backend, file: slash.map { String(input[input.index(after: $0)...]) } ?? input,
      stopOnError: stopOnError, folder: folder, stream: { console.out($0) }
    ) { _, outcome in
      guard let outcome else {
        number += 1
        return
      }
      let label = outcome.cell.title.isEmpty ? "" : " " + outcome.cell.title
      let status = outcome.interrupted ? "interrupted" : outcome.failed ? "error" : "ok"
      console.err("[\(number)/\(codeCells)]\(label): \(status) (\(formatDuration(outcome.seconds)))\n")
      if let e = outcome.error, !outcome.interrupted || e != "interrupted" { console.err(ensureNewline(e)) }
    }
    if let status = writePage(
      outcomes, format: format, to: out, title: baseName(input), backend: backend, hideInput: hideInput,
      context: context)
    {
      return status
    }
    let failures = outcomes.filter(\.failed).count
    console.err("wrote \(out)" + (failures > 0 ? " (\(failures) cell\(failures == 1 ? "" : "s") failed)" : "") + "\n")
    if outcomes.contains(where: \.interrupted) { return 130 }
    return failures > 0 ? 70 : 0
  }

  /// Writes the page of a run; the exit status when it could not (70, 73), nil when it did.
  static func writePage(
    _ outcomes: [CellOutcome], format: PageFormat, to out: String, title: String, backend: REPLBackend,
    hideInput: Bool, context: CommandContext
  ) -> Int32? {
    do throws(FileError) {
      switch format {
      case .markdown:
        try NotebookMarkdown.write(outcomes, title: title, to: out, hideInput: hideInput)
      case .ipynb:
        guard let text = try? Ipynb.document(outcomes).encodedPretty() else {
          context.console.err("lebm notebook: cannot encode '\(out)' as JSON\n")
          return 70
        }
        try writeFile(out, text)
      case .html:
        try writeFile(out, NotebookHTML.page(
          outcomes, title: title, builtins: builtinNames(backend), quick: context.quick, pageFolder: PageLinks.folder(of: out),
          hideInput: hideInput))
      }
    } catch {
      context.console.err("lebm notebook: cannot write '\(error.path)': \(error.problem)\n")
      return 73
    }
    return nil
  }

  /// `dir/name.lebm` → `dir/name.html` (and `name.ipynb` → `name.html`).
  public static func defaultOutput(for input: String) -> String {
    let name = baseName(input)
    let stem = name.hasSuffix(".lebm") ? String(input.dropLast(5))
      : name.hasSuffix(".ipynb") ? String(input.dropLast(6)) : input
    return stem + ".html"
  }

  /// What `-o` writes, by the file's extension.
  enum PageFormat {
    case html, markdown, ipynb

    init?(path: String) {
      let name = baseName(path).lowercased()
      if name.hasSuffix(".html") || name.hasSuffix(".htm") { self = .html }
      else if name.hasSuffix(".md") || name.hasSuffix(".markdown") { self = .markdown }
      else if name.hasSuffix(".ipynb") { self = .ipynb }
      else { return nil }
    }
  }

  /// Builtin and prelude names, for highlighting: the real interpreter's, else none.
  static func builtinNames(_ backend: REPLBackend) -> Set<String> {
    guard let lang = backend as? LangBackend else { return [] }
    return Set(lang.interpreter.registry.names).union(Stdlib.names)
  }
}

