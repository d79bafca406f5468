// The lesson player: shows one step at a time, runs its code on Enter, and between steps runs
// whatever lebm code or `:command` the learner types, in the lesson's session.
import Glibc
import Support

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
      case .misspelt(let word, let meant):
        console.err("'\(word)' is not a tutorial command or a name in this session; did you mean `\(meant)`? (help lists the commands)\n")
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

  enum Entry: Equatable { case command([String]), colon(String), code(String), misspelt(String, String), cancelled, end }

  /// The tutorial command a lone unknown word is a typo of (`nxt` → `next`), unless the session
  /// knows the word as a variable or builtin.
  func misspeltCommand(_ words: [String]) -> String? {
    guard words.count == 1, words[0].allSatisfy({ $0.isLetter }) else { return nil }
    let word = words[0]
    guard let meant = suggestion(for: word.lowercased(), among: ["next", "back", "again", "steps", "lessons", "lesson", "help", "quit"]) else { return nil }
    return backend.completions(for: word, cursor: word.count).contains(word) ? nil : meant
  }

  static let commandWords: Set<String> = ["next", "n", "back", "b", "again", "a", "quit", "q", "exit", "help", "h", "?", "steps", "lessons", "lesson"]

  func readEntry() -> Entry {
    let read = readCode(reader, backend) { t -> FirstLine<Entry> in
      if t.isEmpty { return .take(.command(["next"])) }
      if t.hasPrefix(":") { return .take(.colon(t)) }
      let words = t.split(separator: " ").map(String.init)
      if let first = words.first, Self.commandWords.contains(first.lowercased()), isCommand(words) { return .take(.command(words)) }
      if let meant = misspeltCommand(words) { return .take(.misspelt(words[0], meant)) }
      return .code
    }
    switch read {
    case .taken(let e): return e
    case .code(let source): return .code(source)
    case .cancelled: return .cancelled
    case .end: return .end
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
      // The step on screen runs unless it already ran while shown (after `back` it runs again).
      if current < steps.count, !ranWhileShown, !runStep(current) {
        // Interrupted (Ctrl-C): stay on this step; Enter runs it again.
        console.out(style.dim("(interrupted; still at step \(current + 1) · Enter runs it again)") + "\n")
        return true
      }
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
  /// Whether the step on screen ran since ``showStep()`` showed it.
  private var ranWhileShown = false

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
    ranWhileShown = false
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
  /// False when Ctrl-C interrupted it (the step then does not count as run).
  @discardableResult
  func runStep(_ i: Int) -> Bool {
    guard let code = steps[i].code else { return true }
    let source = String(repeating: "\n", count: max(0, code.line - 1)) + code.source
    lastRun = i
    if session.run(source, file: lesson.path).interrupted { return false }
    ran.insert(i)
    if i == current { ranWhileShown = true }
    return true
  }
}
