// `lebm tutorial` and `:tutorial`: lessons are percent-format notebooks in `<stdlib>/tutorial/`
// (or `LEBM_TUTORIAL_DIR`), played one step at a time. A step is a cell's text and the code cell
// after it; Enter runs the code and moves on, and between steps the learner types lebm code at the
// prompt, in the lesson's session.
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
      style: TerminalStyle(color: interactive && isatty(1) != 0, width: TerminalStyle.terminalWidth()))
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
      style: TerminalStyle(color: reader.isInteractive && isatty(1) != 0, width: TerminalStyle.terminalWidth()))
    player.run()
    console.out("(tutorial ended; the lesson's variables are still here)\n")
  }
}

// MARK: - The player

/// Plays lessons step by step over a ``LineReader``.
public final class TutorialPlayer {
  public let lessons: [Lesson]
  public private(set) var lessonIndex: Int
  public private(set) var steps: [TutorialStep] = []
  /// The step on screen.
  public private(set) var current = 0
  /// Steps whose code has run.
  public private(set) var ran: Set<Int> = []
  private var lastRun: Int?
  let backend: REPLBackend
  let reader: LineReader
  let console: Console
  let style: TerminalStyle
  /// Shows results and runs `:` commands, as the REPL does.
  let session: Session

  public init(
    lessons: [Lesson], start: Int = 0, backend: REPLBackend, reader: LineReader, console: Console,
    images: ImageProtocol = .none, style: TerminalStyle = TerminalStyle(color: false)
  ) {
    self.lessons = lessons
    self.lessonIndex = start
    self.backend = backend
    self.reader = reader
    self.console = console
    self.style = style
    self.session = Session(backend: backend, reader: reader, console: console, images: images)
  }

  public static let help = """
    Tutorial commands:
      Enter, next   run this step's code and go on to the next step
      back          show the previous step again (`again` then runs it)
      again         run the step you just saw run once more
      steps         list this lesson's steps;  lessons: list the lessons
      lesson N      go to lesson N (a number or the start of a name)
      help          this list;  quit (q): leave the tutorial
    Anything else is lebm code, run in the lesson's session (`:vars`, `:help name` work too).
    """

  var lesson: Lesson { lessons[lessonIndex] }

  /// Plays until `quit` or end of input. Returns 0, or 66 when a lesson cannot be read.
  @discardableResult
  public func run() -> Int32 {
    let console = self.console
    let tracker = session.outputTracker
    backend.output = { text in
      if let last = text.utf8.last { tracker.endsWithNewline = last == UInt8(ascii: "\n") }
      console.out(text)
    }
    guard load(lessonIndex) else { return 66 }
    showStep()
    while true {
      switch readEntry() {
      case .end:
        if reader.isInteractive { console.out("\n") }
        return 0
      case .cancelled:
        console.out("\n")
      case .command(let words):
        if !command(words) { return 0 }
      case .colon(let line):
        if line.hasPrefix(":tutorial") {
          console.err("already in the tutorial; `quit` leaves it\n")
        } else if !session.command(line) {
          return 0
        }
      case .code(let source):
        reader.addHistory(source)
        session.run(source, file: session.fileName)
      }
    }
  }

  enum Entry: Equatable { case command([String]), colon(String), code(String), cancelled, end }

  static let commandWords: Set<String> = ["next", "n", "back", "b", "again", "a", "quit", "q", "exit", "help", "h", "?", "steps", "lessons", "lesson"]

  func readEntry() -> Entry {
    var lines: [String] = []
    while true {
      switch reader.readLine(lines.isEmpty ? .primary : .continuation) {
      case .end:
        return lines.isEmpty ? .end : .code(lines.joined(separator: "\n"))
      case .interrupted:
        return .cancelled
      case .line(let line):
        if lines.isEmpty {
          let t = trimmed(line)
          if t.isEmpty { return .command(["next"]) }
          if t.hasPrefix(":") { return .colon(t) }
          let words = t.split(separator: " ").map(String.init)
          if let first = words.first, Self.commandWords.contains(first.lowercased()), isCommand(words) {
            return .command(words)
          }
        }
        lines.append(line)
        let source = lines.joined(separator: "\n")
        if backend.check(source) != .incomplete { return .code(source) }
      }
    }
  }

  /// Whether the words are a tutorial command rather than code: a lone word (unless the lesson
  /// defined a variable by that name), or `lesson X`.
  func isCommand(_ words: [String]) -> Bool {
    let first = words[0].lowercased()
    if words.count == 2 { return first == "lesson" }
    guard words.count == 1 else { return false }
    // `n = …` would be code; a lone `n` or `a` that is a variable of the session is code too.
    if first.count == 1 || first == "next" || first == "back" || first == "again" || first == "steps" {
      return !backend.variables().contains { $0.name == words[0] }
    }
    return true
  }

  /// Handles a tutorial command; false to quit.
  func command(_ words: [String]) -> Bool {
    switch words[0].lowercased() {
    case "quit", "q", "exit":
      return false
    case "help", "h", "?":
      console.out(Self.help + "\n")
    case "next", "n":
      if current < steps.count, !ran.contains(current) { runStep(current) }
      if current + 1 < steps.count {
        current += 1
        showStep()
      } else if current < steps.count && !atEnd {
        atEnd = true
        showEnd()
      } else if lessonIndex + 1 < lessons.count {
        if load(lessonIndex + 1) { showStep() }
      } else {
        console.out(style.dim("That was the last lesson. `quit` leaves the tutorial.") + "\n")
      }
    case "back", "b":
      atEnd = false
      if current > 0 {
        current -= 1
      } else {
        console.out(style.dim("(this is the first step)") + "\n")
      }
      showStep()
    case "again", "a":
      let target = ran.contains(current) || lastRun == nil ? current : lastRun!
      if steps.indices.contains(target), steps[target].code != nil {
        runStep(target)
      } else {
        console.out(style.dim("(this step has no code)") + "\n")
      }
    case "steps":
      for (i, s) in steps.enumerated() {
        let first = s.code?.title.isEmpty == false ? s.code!.title : firstLine(s)
        console.out((i == current ? " > " : "   ") + "\(i + 1). \(first)" + (ran.contains(i) ? "  ✓" : "") + "\n")
      }
    case "lessons":
      console.out(Tutorial.listing(lessons, current: lessonIndex))
    case "lesson":
      guard words.count == 2, let i = Tutorial.pick(words[1], from: lessons) else {
        console.err("no lesson '\(words.dropFirst().joined(separator: " "))'\n" + Tutorial.listing(lessons))
        return true
      }
      if load(i) { showStep() }
    default:
      break
    }
    return true
  }

  private var atEnd = false
  private var loaded = false

  func firstLine(_ step: TutorialStep) -> String {
    for line in step.text.split(separator: "\n") {
      let t = trimmed(String(line))
      if !t.isEmpty { return MarkdownHTML.heading(t)?.1 ?? String(t.prefix(60)) }
    }
    return step.code.map { String(($0.source.split(separator: "\n").first ?? "").prefix(60)) } ?? ""
  }

  /// Reads lesson `i`; false (after saying why) when it cannot be read.
  @discardableResult
  func load(_ i: Int) -> Bool {
    let text: String
    do throws(FileError) {
      text = try readTextFile(lessons[i].path)
    } catch {
      console.err("cannot read '\(error.path)': \(error.problem)\n")
      return false
    }
    lessonIndex = i
    steps = Tutorial.steps(Notebook.parse(text))
    current = 0
    ran = []
    lastRun = nil
    atEnd = false
    let title = Tutorial.title(of: lesson)
    let banner = title.hasPrefix("Lesson ") ? title : "Lesson \(lesson.number.map(String.init) ?? String(i + 1)): \(title)"
    console.out((loaded ? "\n" : "") + style.rule(banner) + "\n")
    if steps.isEmpty { console.out(style.dim("(this lesson is empty)") + "\n") }
    loaded = true
    return true
  }

  /// Shows the text and code of the current step, then the hint line.
  func showStep() {
    guard steps.indices.contains(current) else { return }
    let step = steps[current]
    console.out("\n" + style.dim("── step \(current + 1)/\(steps.count) · \(lesson.name) ──") + "\n")
    if !trimmed(step.text).isEmpty { console.out(TerminalMarkdown.render(step.text, style: style)) }
    if let code = step.code {
      console.out("\n" + TerminalMarkdown.code(code.source, style: style, gutter: true) + "\n")
      console.out(style.dim("Enter runs this code · type lebm code to try things · back · again · help · quit") + "\n")
    } else {
      console.out(style.dim("Enter goes on · back · help · quit") + "\n")
    }
  }

  func showEnd() {
    var text = "End of lesson \(lesson.name)."
    if lessonIndex + 1 < lessons.count {
      let next = lessons[lessonIndex + 1]
      text += " Enter starts the next one, \(next.name) (\(Tutorial.title(of: next))); `quit` leaves."
    } else {
      text += " That was the last lesson; `quit` leaves the tutorial."
    }
    console.out("\n" + style.bold(text) + "\n")
  }

  /// Runs step `i`'s code in the lesson's session, errors pointing at the lesson file's lines.
  func runStep(_ i: Int) {
    guard let code = steps[i].code else { return }
    let source = String(repeating: "\n", count: max(0, code.line - 1)) + code.source
    session.run(source, file: lesson.path)
    ran.insert(i)
    lastRun = i
  }
}

// MARK: - Terminal text

/// ANSI styling (or none) and the wrap width.
public struct TerminalStyle: Sendable {
  public var color: Bool
  public var width: Int

  public init(color: Bool, width: Int = 80) {
    self.color = color
    self.width = max(30, min(width, 100))
  }

  /// The terminal's width (fd 1, then `COLUMNS`), or 80.
  public static func terminalWidth() -> Int {
    var size = winsize()
    if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    if let c = environmentValue("COLUMNS"), let n = Int(c), n > 0 { return n }
    return 80
  }

  func wrap(_ code: String, _ text: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
  func bold(_ t: String) -> String { wrap("1", t) }
  func heading(_ t: String) -> String { wrap("1;4", t) }
  func dim(_ t: String) -> String { wrap("2", t) }
  func italic(_ t: String) -> String { wrap("3", t) }
  func codeSpan(_ t: String) -> String { color ? wrap("36", t) : "`\(t)`" }
  func rule(_ title: String) -> String {
    let line = String(repeating: "═", count: max(3, min(width, 72) - title.count - 5))
    return bold("══ \(title) \(line)")
  }

  func highlight(_ kind: LebmHighlighter.Kind, _ text: String) -> String {
    guard color else { return text }
    switch kind {
    case .plain: return text
    case .keyword: return wrap("1;31", text)
    case .string: return wrap("32", text)
    case .number, .constant: return wrap("34", text)
    case .comment: return wrap("2;3", text)
    case .builtin: return wrap("35", text)
    case .function: return wrap("1;33", text)
    }
  }
}

/// Markdown for the terminal: headings bold and underlined, paragraphs and list items wrapped,
/// inline code in colour (backticks kept without colour), code blocks indented.
public enum TerminalMarkdown {
  public static func render(_ markdown: String, style: TerminalStyle) -> String {
    let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).replacingTabs() }
    var out = ""
    var paragraph: [String] = []
    var i = 0
    func flush() {
      guard !paragraph.isEmpty else { return }
      out += wrap(paragraph.map { trimmed($0) }.joined(separator: " "), indent: "", hanging: "", style: style)
      paragraph = []
    }
    while i < lines.count {
      let line = lines[i]
      let t = trimmed(line)
      if t.isEmpty {
        flush()
        if !out.isEmpty, !out.hasSuffix("\n\n") { out += "\n" }
        i += 1
        continue
      }
      if let (marker, _) = MarkdownHTML.fence(line) {
        flush()
        var code: [String] = []
        i += 1
        while i < lines.count, !(MarkdownHTML.fence(lines[i]).map { $0.marker.hasPrefix(marker) } ?? false) {
          code.append(lines[i])
          i += 1
        }
        i += 1
        out += self.code(code.joined(separator: "\n"), style: style, gutter: false) + "\n"
        continue
      }
      if let (level, text) = MarkdownHTML.heading(line) {
        flush()
        let h = inline(text, style: style)
        out += (level <= 2 ? style.heading(h) : style.bold(h)) + "\n\n"
        i += 1
        continue
      }
      if MarkdownHTML.isRule(line) {
        flush()
        out += style.dim(String(repeating: "─", count: min(style.width, 60))) + "\n"
        i += 1
        continue
      }
      if let item = MarkdownHTML.listItem(line) {
        flush()
        var content = item.content
        i += 1
        while i < lines.count, !trimmed(lines[i]).isEmpty, MarkdownHTML.listItem(lines[i]) == nil,
          MarkdownHTML.heading(lines[i]) == nil, MarkdownHTML.fence(lines[i]) == nil
        {
          content += " " + trimmed(lines[i])
          i += 1
        }
        let pad = String(repeating: " ", count: item.indent)
        let bullet = item.ordered ? "\(item.start ?? 1). " : "• "
        out += wrap(content, indent: "  " + pad + bullet, hanging: "  " + pad + String(repeating: " ", count: bullet.count), style: style)
        continue
      }
      if t.hasPrefix(">") {
        flush()
        out += wrap(trimmed(String(t.dropFirst())), indent: style.dim("│ "), hanging: style.dim("│ "), style: style, indentWidth: 2)
        i += 1
        continue
      }
      paragraph.append(line)
      i += 1
    }
    flush()
    while out.hasSuffix("\n\n") { out.removeLast() }
    return out
  }

  /// Code with the REPL's prompts as a gutter (`lebm> `, then `  ... `), or indented.
  public static func code(_ source: String, style: TerminalStyle, gutter: Bool) -> String {
    var highlighted = ""
    for (kind, text) in LebmHighlighter.tokens(source) {
      // colour each line's part separately so a line never ends inside an escape
      let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
      highlighted += parts.map { style.highlight(kind, String($0)) }.joined(separator: "\n")
    }
    let lines = highlighted.split(separator: "\n", omittingEmptySubsequences: false)
    return lines.enumerated().map { i, l in
      (gutter ? style.dim(i == 0 ? "lebm> " : "  ... ") : "    ") + l
    }.joined(separator: "\n")
  }

  /// Inline markup for the terminal: emphasis and code styled, link targets after the text.
  static func inline(_ text: String, style: TerminalStyle) -> String {
    let chars = Array(text)
    var out = ""
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == "`", let end = chars[(i + 1)...].firstIndex(of: "`") {
        out += style.codeSpan(String(chars[(i + 1)..<end]))
        i = end + 1
        continue
      }
      if c == "*", i + 1 < chars.count, chars[i + 1] == "*", let end = find(chars, "**", from: i + 2) {
        out += style.bold(String(chars[(i + 2)..<end]))
        i = end + 2
        continue
      }
      if (c == "*" || c == "_"), i + 1 < chars.count, !chars[i + 1].isWhitespace,
        c == "*" || i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber),
        let end = chars[(i + 1)...].firstIndex(of: c), end > i + 1,
        c == "*" || end + 1 >= chars.count || !(chars[end + 1].isLetter || chars[end + 1].isNumber)
      {
        out += style.italic(String(chars[(i + 1)..<end]))
        i = end + 1
        continue
      }
      if c == "[", let close = chars[i...].firstIndex(of: "]"), close + 1 < chars.count, chars[close + 1] == "(",
        let paren = chars[close...].firstIndex(of: ")")
      {
        let label = String(chars[(i + 1)..<close])
        let url = String(chars[(close + 2)..<paren])
        out += label + style.dim(" (\(url))")
        i = paren + 1
        continue
      }
      if c == "\\", i + 1 < chars.count, "\\`*_[]#".contains(chars[i + 1]) {
        out.append(chars[i + 1])
        i += 2
        continue
      }
      out.append(c)
      i += 1
    }
    return out
  }

  static func find(_ chars: [Character], _ needle: String, from: Int) -> Int? {
    let n = Array(needle)
    var i = from
    while i + n.count <= chars.count {
      if Array(chars[i..<(i + n.count)]) == n { return i }
      i += 1
    }
    return nil
  }

  /// `text` (markdown inline) wrapped at the style's width: first line after `indent`, the
  /// others after `hanging`. Words keep their inline styling; widths count visible characters.
  static func wrap(_ text: String, indent: String, hanging: String, style: TerminalStyle, indentWidth: Int? = nil) -> String {
    let words = inline(text, style: style).split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    var out = ""
    var line = indent
    var lineWidth = indentWidth ?? visibleWidth(indent)
    var empty = true
    let hangWidth = indentWidth ?? visibleWidth(hanging)
    for word in words {
      let w = visibleWidth(word)
      if !empty, lineWidth + 1 + w > style.width {
        out += line + "\n"
        line = hanging
        lineWidth = hangWidth
        empty = true
      }
      if !empty {
        line += " "
        lineWidth += 1
      }
      line += word
      lineWidth += w
      empty = false
    }
    return out + line + "\n"
  }

  /// Characters on screen: escape sequences count for nothing.
  static func visibleWidth(_ s: String) -> Int {
    var n = 0
    var inEscape = false
    for c in s.unicodeScalars {
      if inEscape {
        if c == "m" { inEscape = false }
      } else if c == "\u{1B}" {
        inEscape = true
      } else {
        n += 1
      }
    }
    return n
  }
}
