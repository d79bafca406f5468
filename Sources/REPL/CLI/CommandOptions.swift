// The `lebm` command line's one option parser. Each command is a row (``Command``) naming its
// arguments and options; parsing, the `--help` text and usage errors (exit 64: the message and
// where the help is) all come from that row.
import Support

/// One option of a command: a flag (`--list`) or an option with a value (`-o OUT`).
public struct Option: Sendable {
  /// Its spellings, e.g. `["-o", "--output"]`; the first `--` one is its key in ``ParsedArguments``.
  public var names: [String]
  /// The placeholder for its value (`OUT`); nil for a flag.
  public var value: String?
  /// One line for `--help`.
  public var help: String

  /// An option spelled `names`; with `value` it takes one (`-o OUT`, `-oOUT`, `--output=OUT`).
  public init(_ names: String..., value: String? = nil, help: String) {
    self.names = names
    self.value = value
    self.help = help
  }

  /// The name results are filed under: the first long spelling, else the first.
  public var key: String { names.first { $0.hasPrefix("--") } ?? names[0] }

  /// `--quick`, for commands that run lebm code: sets the language's `quick`.
  public static let quick = Option("--quick", help: "run with the language's `quick` set (small budgets)")
}

/// One positional argument of a command.
public struct Argument: Sendable {
  /// How many words it takes.
  public enum Kind: Sendable {
    /// Exactly one, which must be there.
    case required
    /// One, or none.
    case optional
    /// Any number (options may come between them).
    case many
    /// Every word after the arguments before it, unparsed.
    case rest
    /// A script's arguments: every word after the arguments before it, except the command's
    /// own options, which may still come (`lebm FILE --quick`). After `--` (which is dropped)
    /// every word is the script's. Any other `--name` is the script's too, and is also listed in
    /// ``ParsedArguments/unknownOptions`` so the command can warn about it.
    case script
  }

  /// The placeholder in the usage: `FILE`, `LESSON`.
  public var name: String
  public var kind: Kind

  /// A required argument.
  public static func required(_ name: String) -> Argument { Argument(name: name, kind: .required) }
  /// An optional argument.
  public static func optional(_ name: String) -> Argument { Argument(name: name, kind: .optional) }
  /// Any number of arguments.
  public static func many(_ name: String) -> Argument { Argument(name: name, kind: .many) }
  /// The unparsed remaining words.
  public static func rest(_ name: String) -> Argument { Argument(name: name, kind: .rest) }
  /// A script's arguments, among which the command's options are still taken.
  public static func script(_ name: String) -> Argument { Argument(name: name, kind: .script) }

  var synopsis: String {
    switch kind {
    case .required: return name
    case .optional: return "[\(name)]"
    case .many, .rest, .script: return "[\(name)…]"
    }
  }
}

/// The words of a command line, sorted out by a command's row.
public struct ParsedArguments: Equatable, Sendable {
  /// The flags given, by key (`--list`).
  public var flags: Set<String> = []
  /// The options given with their values, by key (`--output` → `page.html`); the last one wins.
  public var values: [String: String] = [:]
  /// The positional arguments, in order.
  public var positionals: [String] = []
  /// The words after a ``Argument/Kind/rest`` argument began, as given; for a
  /// ``Argument/Kind/script`` argument, those words less the command's options and the first `--`.
  public var rest: [String] = []
  /// The `--name` words among a ``Argument/Kind/script`` argument's (before any `--`) that are
  /// not options of the command: passed on in ``rest``, and worth a warning.
  public var unknownOptions: [String] = []

  /// Whether the flag `key` was given.
  public func has(_ key: String) -> Bool { flags.contains(key) }
  /// The value of the option `key`, if given.
  public subscript(_ key: String) -> String? { values[key] }
}

/// What parsing a command line gave.
public enum ParseOutcome: Equatable, Sendable {
  /// The arguments.
  case parsed(ParsedArguments)
  /// `-h` or `--help` was given.
  case help
  /// The words do not fit the row: the message says why (`unknown option '--x'`).
  case usageError(String)
}

/// Parses `words` against `arguments` and `options`. Options may come anywhere before a
/// ``Argument/Kind/rest`` argument starts, and anywhere among a ``Argument/Kind/script``
/// argument's words; `--` ends them.
public func parseArguments(_ words: [String], arguments: [Argument], options: [Option]) -> ParseOutcome {
  var parsed = ParsedArguments()
  let restAt = arguments.firstIndex { $0.kind == .rest }
  let scriptAt = arguments.firstIndex { $0.kind == .script }
  let single = arguments.filter { $0.kind == .required || $0.kind == .optional }.count
  let most = arguments.contains { $0.kind == .many } ? Int.max : single
  var optionsEnded = false
  var i = 0
  while i < words.count {
    let word = words[i]
    if let restAt, parsed.positionals.count >= restAt {
      parsed.rest = Array(words[i...])
      break
    }
    if !optionsEnded, word == "--" {
      optionsEnded = true
      i += 1
      continue
    }
    let inScript = scriptAt.map { parsed.positionals.count >= $0 } ?? false
    if inScript {
      // The script's words: the command's own options are taken out; other words pass on.
      let name = word.hasPrefix("--") ? String(word.prefix { $0 != "=" }) : word
      let own = word == "-h" || word == "--help" || options.contains { $0.names.contains(name) }
      if optionsEnded || !own {
        if !optionsEnded, word.hasPrefix("--"), word.count > 2 { parsed.unknownOptions.append(word) }
        parsed.rest.append(word)
        i += 1
        continue
      }
    }
    if !optionsEnded, word.hasPrefix("-"), word != "-" {
      if word == "-h" || word == "--help" { return .help }
      var name = word
      var attached: String?
      if word.hasPrefix("--"), let eq = word.firstIndex(of: "=") {
        name = String(word[..<eq])
        attached = String(word[word.index(after: eq)...])
      } else if !word.hasPrefix("--"), word.count > 2,
        options.contains(where: { $0.value != nil && $0.names.contains(String(word.prefix(2))) })
      {
        name = String(word.prefix(2))
        attached = String(word.dropFirst(2))
      }
      guard let option = options.first(where: { $0.names.contains(name) }) else {
        return .usageError("unknown option '\(word)'" + (optionSuggestion(for: name, among: options).map { " (did you mean \($0)?)" } ?? ""))
      }
      if let placeholder = option.value {
        if attached == nil {
          guard i + 1 < words.count else { return .usageError("\(name) needs \(placeholder)") }
          i += 1
          attached = words[i]
        }
        parsed.values[option.key] = attached
      } else {
        guard attached == nil else { return .usageError("\(name) takes no value") }
        parsed.flags.insert(option.key)
      }
      i += 1
      continue
    }
    guard parsed.positionals.count < most else { return .usageError("unexpected argument '\(word)'") }
    parsed.positionals.append(word)
    i += 1
  }
  let required = arguments.filter { $0.kind == .required }
  if parsed.positionals.count < required.count {
    return .usageError("missing \(required[parsed.positionals.count].name)")
  }
  return .parsed(parsed)
}

/// The option of `options` (or `--help`) spelled most like `word`, for "did you mean --quick?".
public func optionSuggestion(for word: String, among options: [Option]) -> String? {
  suggestion(for: word, among: options.flatMap(\.names).filter { $0.hasPrefix("--") } + ["--help"])
}
