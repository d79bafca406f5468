// `lebm tutorial` and `:tutorial`: lessons are percent-format notebooks in `<stdlib>/tutorial/`
// (or `LEBM_TUTORIAL_DIR`), played one step at a time. A step is a cell's text and the code cell
// after it; Enter runs the code and moves on, and between steps the learner types lebm code at the
// prompt, in the lesson's session. This file finds and lists the lessons and holds the command;
// TutorialPlayer.swift plays them, TerminalMarkdown.swift and TerminalStyle.swift draw the text.
import Glibc
import Support

/// One lesson file.
public struct Lesson: Equatable, Sendable {
  /// The file name without `.lebm`, e.g. `01-generator`.
  public var name: String
  public var path: String

  /// The number the file name starts with, if any (`01-generator` → 1).
  public var number: Int? { Int(name.prefix { $0.isASCII && $0.isNumber }) }
  /// The name without its number: `01-generator` → `generator`.
  public var shortName: String {
    let rest = name.drop { $0.isASCII && $0.isNumber }
    return rest.first == "-" || rest.first == "_" ? String(rest.dropFirst()) : String(rest)
  }
}

/// One step of a lesson: text (markdown, possibly empty) and code (possibly none).
public struct TutorialStep: Equatable, Sendable {
  public var text: String
  public var code: NotebookCell?
}

public enum Tutorial {
  /// The lessons folder: `LEBM_TUTORIAL_DIR`, else `<stdlib>/tutorial`.
  public static func folder() -> String? {
    if let dir = environmentValue("LEBM_TUTORIAL_DIR"), !dir.isEmpty { return dir }
    return Stdlib.folder.map { $0 + "/tutorial" }
  }

  /// The `.lebm` files of `folder`, sorted by file name.
  public static func lessons(in folder: String) -> [Lesson] {
    guard let entries = try? listDirectory(folder) else { return [] }
    return entries.map(\.name).filter { $0.hasSuffix(".lebm") && !$0.hasPrefix(".") }
      .map { Lesson(name: String($0.dropLast(5)), path: folder + "/" + $0) }
      .sorted { $0.name < $1.name }
  }

  /// The index of the lesson `query` names: a number (`2`, `02`), or a prefix of the name with or
  /// without its number (`gen`, `01-gen`).
  public static func pick(_ query: String, from lessons: [Lesson]) -> Int? {
    let q = trimmed(query).lowercased()
    guard !q.isEmpty else { return lessons.isEmpty ? nil : 0 }
    if let n = Int(q) {
      if let i = lessons.firstIndex(where: { $0.number == n }) { return i }
      return n >= 1 && n <= lessons.count ? n - 1 : nil
    }
    if let i = lessons.firstIndex(where: { $0.name.lowercased() == q || $0.shortName.lowercased() == q }) { return i }
    return lessons.firstIndex { $0.name.lowercased().hasPrefix(q) || $0.shortName.lowercased().hasPrefix(q) }
  }

  /// A lesson's steps: each run of markdown cells with the code cell after it.
  public static func steps(_ notebook: Notebook) -> [TutorialStep] {
    var steps: [TutorialStep] = []
    var text: [String] = []
    for cell in notebook.cells {
      switch cell.kind {
      case .markdown:
        text.append((cell.title.isEmpty ? "" : "## \(cell.title)\n\n") + cell.source)
      case .code:
        steps.append(TutorialStep(text: text.joined(separator: "\n\n"), code: cell))
        text = []
      }
    }
    if !text.isEmpty { steps.append(TutorialStep(text: text.joined(separator: "\n\n"), code: nil)) }
    return steps
  }

  /// A lesson's title: the first heading of its text, else its name.
  public static func title(of lesson: Lesson) -> String {
    guard let text = try? readTextFile(lesson.path) else { return lesson.shortName }
    for cell in Notebook.parse(text).cells where cell.kind == .markdown {
      if !cell.title.isEmpty { return cell.title }
      for line in cell.source.split(separator: "\n") {
        if let (_, h) = MarkdownHTML.heading(String(line)) { return h }
      }
    }
    return lesson.shortName
  }

  /// The lesson list as text.
  public static func listing(_ lessons: [Lesson], current: Int? = nil) -> String {
    var out = "Lessons:\n"
    for (i, l) in lessons.enumerated() {
      out += (i == current ? "  > " : "    ") + "\(l.number.map(String.init) ?? String(i + 1)). \(l.name) — \(title(of: l))\n"
    }
    return out
  }

  /// Its row in the command table.
  public static let commandRow = Command(
    "tutorial", summary: "learn latent EBMs step by step", arguments: [.optional("LESSON")],
    options: [Option("-l", "--list", help: "list the lessons and stop"), .quick],
    details: """
      Plays a lesson from the tutorial folder (<stdlib>/tutorial, or env LEBM_TUTORIAL_DIR) one step
      at a time. LESSON is a number (2) or the start of a name (gen); without one the lessons are
      listed and the first starts.
      """
  ) { args, context in
    command(lesson: args.positionals.first, listOnly: args.has("--list"), context: context)
  }

  /// `lebm tutorial [LESSON] [--list]`.
  public static func command(lesson query: String?, listOnly: Bool, context: CommandContext) -> Int32 {
    let console = context.console
    guard let folder = folder() else {
      console.err("lebm tutorial: the stdlib folder was not found (set LEBM_STDLIB or LEBM_TUTORIAL_DIR)\n")
      return 69
    }
    let lessons = lessons(in: folder)
    guard !lessons.isEmpty else {
      console.err("lebm tutorial: no lessons in \(folder)\n")
      return 69
    }
    if listOnly {
      console.out(listing(lessons))
      return 0
    }
    guard let start = pick(query ?? "", from: lessons) else {
      console.err("lebm tutorial: no lesson '\(query ?? "")'\n" + listing(lessons))
      return 64
    }
    if query == nil { console.out(listing(lessons, current: start) + "\n") }
    let interactive = isatty(0) != 0
    let backend = context.backend()
    let reader: LineReader = interactive
      ? EditLineReader(completer: { [unowned backend] line, cursor in backend.completions(for: line, cursor: cursor) })
      : StdinReader()
    let player = TutorialPlayer(
      lessons: lessons, start: start, backend: backend, reader: reader,
      console: interactive ? Console.standard(flushEachWrite: true) : console,
      images: interactive ? ImageProtocol.current() : .none,
      style: TerminalStyle(color: interactive && TerminalStyle.colorAllowed(), width: TerminalStyle.terminalWidth()))
    return player.run()
  }

  /// `:tutorial [LESSON]` in the REPL: plays in the REPL's own session.
  static func fromREPL(
    _ argument: String, backend: REPLBackend, reader: LineReader, console: Console, images: ImageProtocol
  ) {
    guard let folder = folder() else {
      console.err("the tutorial folder was not found (set LEBM_TUTORIAL_DIR)\n")
      return
    }
    let lessons = lessons(in: folder)
    guard !lessons.isEmpty else {
      console.err("no lessons in \(folder)\n")
      return
    }
    guard let start = pick(argument, from: lessons) else {
      console.err("no lesson '\(argument)'\n" + listing(lessons))
      return
    }
    if argument.isEmpty { console.out(listing(lessons, current: start) + "\n") }
    let player = TutorialPlayer(
      lessons: lessons, start: start, backend: backend, reader: reader, console: console, images: images,
      style: TerminalStyle(color: reader.isInteractive && TerminalStyle.colorAllowed(), width: TerminalStyle.terminalWidth()))
    player.run()
    console.out("(tutorial ended; the lesson's variables are still here)\n")
  }
}
