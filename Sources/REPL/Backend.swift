// The REPL's view of the language: a small protocol the interpreter implements (IPython's
// `run_cell`/`check_complete` split, Lua's `lua.c` as an API client). Only `makeBackend()` below
// knows which implementation the `lebm` command uses. Whether input is complete is the parser's
// own ``Completeness`` (complete, incomplete: read another line, or invalid: run it anyway so the
// error is reported).
import Lang
import Support

/// The outcome of evaluating one piece of input. Errors are values, already rendered.
public struct EvalResult: Equatable, Sendable {
  /// A summary of the value to print, or nil when there is nothing to show (an assignment, `none`).
  public var echo: String?
  /// The rendered error, e.g. `"file:3:7: error: msg\n x = y +\n       ^"`; nil on success.
  public var error: String?
  /// Whether the error was found before running anything (lexer or parser): `lebm run` exits 65
  /// for these and 70 for runtime errors.
  public var isSyntaxError: Bool
  /// Whether the work stopped because of `Interruption.request()` (Ctrl-C).
  public var interrupted: Bool
  /// What the interrupted work said about where it stopped and what it kept, printed in place of
  /// "interrupted" (`train`: "interrupted after step 257 of 1000; the model keeps those 257
  /// steps"); nil when it said no more than "interrupted".
  public var interruption: String?
  /// The figures the evaluation wrote, in order; the REPL shows or lists each one.
  public var figures: [FigureOutput]

  /// Creates a result; every field defaults to "nothing happened".
  public init(
    echo: String? = nil, error: String? = nil, isSyntaxError: Bool = false,
    interrupted: Bool = false, interruption: String? = nil, figures: [FigureOutput] = []
  ) {
    self.echo = echo
    self.error = error
    self.isSyntaxError = isSyntaxError
    self.interrupted = interrupted
    self.interruption = interrupted ? interruption : nil
    self.figures = figures
  }

  /// Whether the evaluation failed (an error or an interruption).
  public var failed: Bool { error != nil || interrupted }
}

/// The language as the REPL and the command line use it.
///
/// The REPL calls ``evaluate(_:file:)`` inside `Interruption.interruptible { … }` after clearing
/// any pending request, so loops that check for interrupts between steps stop on Ctrl-C; the
/// backend turns the interruption into `EvalResult(interrupted: true)`. A backend never
/// exits the process, never traps on user input, and writes program output only through
/// ``output``.
public protocol REPLBackend: AnyObject {
  /// Whether `source` is complete, needs more lines, or can never parse. Must be cheap: it is
  /// called after every line typed in a block.
  func check(_ source: String) -> Completeness
  /// Runs `source`, keeping variables for later calls. `file` names it in error messages
  /// (`"<repl>"`, `"<stdin>"`, `"-e"`, or a path).
  func evaluate(_ source: String, file: String) -> EvalResult
  /// Full candidates for the word before the cursor. `cursor` counts Characters:
  /// `line.prefix(cursor)` is what precedes it. The word is the one ``CompletionWord/find(in:cursor:)``
  /// returns: an identifier (`ener` → `energy`, `energy_net`), a field after `.` (`s.lo` →
  /// `loss_g`: the field only), a keyword name inside a call (`toy("x", n` → `n`), or the text of
  /// a string literal up to the cursor (`load("data/tr` → `data/train.csv`).
  func completions(for line: String, cursor: Int) -> [String]
  /// Help text for a builtin, variable or topic; an overview when `topic` is nil.
  func help(_ topic: String?) -> String
  /// What `help(name)` prints for a builtin, function, variable or topic named `name`; nil when
  /// nothing is called that (a kernel's inspect request, Shift-Tab).
  func helpText(for name: String) -> String?
  /// The user's variables with a one-line summary each, in a stable order.
  func variables() -> [(name: String, summary: String)]
  /// Forgets every user variable (`:reset`).
  func reset()
  /// Where the program's own output (`print`) goes; the REPL sets it before the first call.
  var output: (String) -> Void { get set }
  /// The script's command-line arguments (`lebm run FILE a b` → `["a", "b"]`); empty in the REPL.
  var arguments: [String] { get set }
  /// The language's `quick` flag (`lebm --quick`): examples and lessons shrink their budgets. It
  /// survives ``reset()``.
  var quick: Bool { get set }
  /// Called as each figure file is written during ``evaluate(_:file:)``, so the `[figure]` line
  /// can be printed in order with the program's output; the figures still come in
  /// ``EvalResult/figures``. Backends without figures ignore it.
  var onFigure: ((FigureOutput) -> Void)? { get set }
  /// PNG figures are written at this multiple of their dpi (2 for a notebook page's sharp images).
  var figureScale: Double { get set }
  /// Where `train` shows its progress when the host has a display it replaces in place (a
  /// Jupyter output with a display id), instead of choosing by its output (a line redrawn on a
  /// terminal, else none): see ``ProgressUpdates``. nil: choose by the output.
  var progressUpdates: ProgressUpdates? { get set }
}

/// A host's display that long work (`train`) updates in place: each run calls ``open`` once and
/// sends the updater it returns its progress line (tqdm's, plain text) at most ``interval``
/// seconds apart, the last step's line whatever the interval, and the line as the run left it
/// when it stops early. The display is left in place when the run ends.
public struct ProgressUpdates {
  /// The least time between two updates, in seconds.
  public var interval: Double
  /// The longest line, in characters.
  public var width: Int
  /// Starts one run's display; returns what shows each line.
  public var open: () -> (String) -> Void

  public init(interval: Double, width: Int, open: @escaping () -> (String) -> Void) {
    self.interval = interval
    self.width = width
    self.open = open
  }
}

extension REPLBackend {
  public var onFigure: ((FigureOutput) -> Void)? {
    get { nil }
    set {}
  }
  public var figureScale: Double {
    get { 1 }
    set {}
  }
  public var progressUpdates: ProgressUpdates? {
    get { nil }
    set {}
  }
  public func helpText(for name: String) -> String? { nil }
}

/// Whether input is complete, needs more lines, or can never parse: the parser's own verdict,
/// named here for the hosts (the kernel sees the language only through this module).
public typealias Completeness = Lang.Completeness

/// The backend the `lebm` command runs.
public func makeBackend() -> REPLBackend { LangBackend() }

// MARK: - Completion words

/// The word the REPL completes. The line editor and backends share this definition, so both
/// agree on which characters a candidate replaces.
public enum CompletionWord {
  /// What kind of word the cursor is in.
  public enum Kind: Equatable, Sendable {
    /// An identifier (a builtin, variable or keyword-argument name).
    case identifier
    /// A field name after `expression.`; `base` is the text before the dot (`s` in `s.lo`).
    case field(base: String)
    /// The contents of an unclosed string literal up to the cursor (a path).
    case string
  }

  /// The word before `cursor` in `line`: its text, its start (a Character offset) and its kind.
  ///
  /// Inside an unclosed string literal (or after `:load ` / `:save `) the word is everything after
  /// the opening quote (the command); otherwise it is the run of letters, digits and `_` before
  /// the cursor. Strings are found by the language's lexer: `'` does not start one.
  public static func find(in line: String, cursor: Int) -> (word: String, start: Int, kind: Kind) {
    let chars = Array(line.prefix(max(0, cursor)))
    // `:load PATH` and `:save PATH`: the word is the path, as in a string literal.
    for command in [":load ", ":save "] where String(chars).hasPrefix(command) {
      return (String(chars.dropFirst(command.count)), command.count, .string)
    }
    // Inside an unclosed string literal (the language's own lexer says where one starts: the
    // last piece is an error token from an opening quote to the cursor), the word is its text.
    let prefix = String(chars)
    if let last = Lexer.pieces(prefix).last, last.kind == .token(.error), last.text.hasPrefix("\""),
      last.range.upperBound == chars.count, !isClosedString(last.text) {
      return (String(last.text.dropFirst()), last.range.lowerBound + 1, .string)
    }
    var start = chars.count
    while start > 0, isIdentifierCharacter(chars[start - 1]) { start -= 1 }
    let word = String(chars[start...])
    if start > 0, chars[start - 1] == "." {
      var b = start - 1
      while b > 0, isIdentifierCharacter(chars[b - 1]) || chars[b - 1] == "." { b -= 1 }
      let base = String(chars[b..<(start - 1)])
      if let first = base.first, !first.isNumber { return (word, start, .field(base: base)) }
    }
    return (word, start, .identifier)
  }

  /// Whether a rejected string literal was closed (`"a\qb"`: a bad escape) rather than left open.
  static func isClosedString(_ text: String) -> Bool {
    var escaped = false
    for (i, c) in text.enumerated() where i > 0 {
      if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { return true }
    }
    return false
  }

  static func isIdentifierCharacter(_ c: Character) -> Bool {
    c == "_" || c.isLetter || c.isNumber
  }
}
