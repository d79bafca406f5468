// The REPL's backend: the lebm interpreter with every builtin group.
import Glibc
import Lang
import Support

/// ``REPLBackend`` on the real interpreter.
public final class LangBackend: REPLBackend {
  public let interpreter: Interpreter
  /// The interpreter's host: where its output and figures go, and what it is told about the
  /// terminal (progress, text width) and the page (figure scale).
  public let host: BasicHost
  public var output: (String) -> Void {
    get { host.output }
    set { host.output = newValue }
  }
  public var arguments: [String] {
    get { interpreter.arguments }
    set { interpreter.arguments = newValue }
  }

  public var onFigure: ((FigureOutput) -> Void)? {
    get { host.onFigure }
    set { host.onFigure = newValue }
  }
  public var figureScale: Double {
    get { host.figureScale }
    set { host.figureScale = newValue }
  }
  public var progressUpdates: ProgressUpdates? {
    didSet {
      host.progress = progressUpdates.map { u in .updating(interval: u.interval, width: u.width, open: u.open) } ?? Self.terminalProgress()
    }
  }

  public func helpText(for name: String) -> String? { interpreter.help(for: name) }

  /// The language's global `quick`, for scripts that shrink their budgets (`lebm --quick`).
  public var quick: Bool {
    didSet { interpreter[variable: "quick"] = .bool(quick) }
  }

  /// The interpreter with the start-up files loaded and `quick` set.
  public init(quick: Bool = false, output: @escaping (String) -> Void = { print($0, terminator: "") }) {
    host = BasicHost(output: output)
    interpreter = Interpreter(host: host)
    interpreter.arguments = []
    self.quick = quick
    Stdlib.load(into: interpreter)
    interpreter[variable: "quick"] = .bool(quick)
    host.progress = Self.terminalProgress()
  }

  /// How `train` reports in this process: a line redrawn in place on stdout when it is a terminal
  /// that may be styled (``TerminalStyle/colorAllowed(fd:)``: not under `NO_COLOR` or
  /// `TERM=dumb`), else the summary lines alone. The Jupyter kernel sets ``progressUpdates``.
  public static func terminalProgress() -> ProgressDisplay {
    guard TerminalStyle.colorAllowed(fd: 1) else { return .summaries }
    return .live(width: TerminalStyle.terminalWidth()) { text in
      fputs(text, stdout)
      fflush(stdout)
    }
  }

  public func check(_ source: String) -> Completeness { Interpreter.check(source) }

  public func evaluate(_ source: String, file: String) -> EvalResult {
    followTerminalWidth()
    let outcome = interpreter.run(source, file: file)
    let figures = host.takeFigures()
    switch outcome {
    case .value(let v):
      if case .none = v { return EvalResult(figures: figures) }
      // A figure's path as the value is not echoed: the figure's own line says it (every host).
      if case .string(let s) = v, figures.contains(where: { $0.path == s }) { return EvalResult(figures: figures) }
      // At the prompt, `_` is the last value echoed (Python's habit).
      if file == Session.promptFileName { interpreter[variable: "_"] = v }
      return EvalResult(echo: v.description, figures: figures)
    case .failure(let e):
      if e.kind == .interrupted {
        return EvalResult(interrupted: true, interruption: e.message == "interrupted" ? nil : e.message, figures: figures)
      }
      return EvalResult(error: e.rendered(source: source), isSyntaxError: e.kind == .syntax, figures: figures)
    }
  }

  public func completions(for line: String, cursor: Int) -> [String] {
    let (word, _, kind) = CompletionWord.find(in: line, cursor: cursor)
    switch kind {
    case .identifier:
      let names = interpreter.completions(prefix: word)
      // Inside a call, its keywords not yet given, in the order it takes them, ready to take a
      // value (`toy("x", n` → `n: `): alone on an empty word (right after `(` or `, `), else
      // before the other names.
      guard let call = CompletionWord.enclosingCallArguments(in: line, cursor: cursor) else { return names }
      let open = interpreter.keywordNames(of: call.callee).dropFirst(call.positional).filter { !call.keywords.contains($0) }
      let keywords = open.filter { $0.hasPrefix(word) }.map { $0 + ": " }
      if word.isEmpty, !keywords.isEmpty { return keywords }
      return keywords + names.filter { !keywords.contains($0 + ": ") }
    case .field(let base):
      return interpreter.completions(prefix: base + "." + word).map { String($0.split(separator: ".").last ?? "") }
    case .string:
      return PathCompletion.candidates(for: word)
    }
  }

  public func help(_ topic: String?) -> String {
    followTerminalWidth()
    guard let t = topic, !t.isEmpty else { return interpreter.registry.index(width: host.textWidth) }
    if let text = interpreter.help(for: t) { return text }
    let hint = suggestion(for: t, among: interpreter.registry.names + interpreter.variables.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
    return "no builtin, function, variable or topic named '\(t)'\(hint); :help lists them all\n"
  }

  /// Help wraps at the terminal's width when stdout is a terminal (read each time: windows resize).
  private func followTerminalWidth() {
    host.textWidth = isatty(1) != 0 ? TerminalStyle.terminalWidth() : nil
  }

  public func variables() -> [(name: String, summary: String)] {
    interpreter.variables.filter { !Stdlib.names.contains($0.name) && !["quick", "args", "_"].contains($0.name) }.map { ($0.name, $0.value.oneLine) }
  }

  public func reset() {
    interpreter.reset()
    Stdlib.load(into: interpreter)
    interpreter[variable: "quick"] = .bool(quick)
  }
}

extension CompletionWord {
  /// The name of the call whose parentheses hold the cursor, if any: `train(m, data, ep` → `train`.
  public static func enclosingCall(in line: String, cursor: Int) -> String? {
    enclosingCallArguments(in: line, cursor: cursor)?.callee
  }

  /// The call whose parentheses hold the cursor, and the arguments written before the one the
  /// cursor is in: how many are positional, and the names of those given by keyword.
  /// `train(m, data, epochs: 3, ba` → (`train`, 2, [`epochs`]).
  public static func enclosingCallArguments(in line: String, cursor: Int) -> (callee: String, positional: Int, keywords: [String])? {
    let chars = Array(line.prefix(max(0, cursor)))
    // The open parenthesis: scan back over closed brackets and strings.
    var depth = 0, inString = false, open: Int? = nil
    var i = chars.count - 1
    while i >= 0, open == nil {
      let c = chars[i]
      if c == "\"" { inString.toggle() } else if !inString {
        if c == ")" || c == "]" || c == "}" { depth += 1 } else if c == "[" || c == "{" { depth = max(0, depth - 1) } else if c == "(" {
          if depth == 0 { open = i } else { depth -= 1 }
        }
      }
      i -= 1
    }
    guard let open else { return nil }
    var j = open - 1
    while j >= 0 && isIdentifierCharacter(chars[j]) { j -= 1 }
    guard j + 1 < open else { return nil }
    let callee = String(chars[(j + 1)..<open])
    // The arguments after it, split at its own commas; the last one is the cursor's.
    var arguments: [[Character]] = [[]]
    depth = 0
    inString = false
    for c in chars[(open + 1)...] {
      if c == "\"" { inString.toggle() } else if !inString {
        if "([{".contains(c) { depth += 1 } else if ")]}".contains(c) { depth -= 1 } else if c == ",", depth == 0 {
          arguments.append([])
          continue
        }
      }
      arguments[arguments.count - 1].append(c)
    }
    var positional = 0, keywords: [String] = []
    for argument in arguments.dropLast() {
      let text = argument.drop { $0.isWhitespace }
      let name = text.prefix { isIdentifierCharacter($0) }
      let rest = text.dropFirst(name.count).drop { $0.isWhitespace }
      if let first = name.first, !first.isNumber, rest.first == ":" { keywords.append(String(name)) } else { positional += 1 }
    }
    return (callee, positional, keywords)
  }
}

/// File-name completion inside string literals.
public enum PathCompletion {
  /// Paths that start with `prefix` (folders end in `/`), sorted.
  public static func candidates(for prefix: String) -> [String] {
    let slash = prefix.lastIndex(of: "/")
    let dir = slash.map { String(prefix[...$0]) } ?? ""
    let stem = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
    guard let entries = try? listDirectory(dir.isEmpty ? "." : dir) else { return [] }
    return entries.filter { $0.name.hasPrefix(stem) && !($0.name.hasPrefix(".") && !stem.hasPrefix(".")) }
      .map { dir + $0.name + ($0.isDirectory ? "/" : "") }.sorted()
  }
}

/// The lebm code loaded at start-up: every `stdlib/*.lebm` file, found beside the executable (or
/// in `LEBM_STDLIB`), run in order of name.
public enum Stdlib {
  /// The folder holding the start-up files and the tutorial, if found.
  public static let folder: String? = {
    if let e = environmentValue("LEBM_STDLIB") { return e }
    guard var dir = executableFolder() else { return nil }
    for level in 0..<6 {
      if level > 0 {
        guard let slash = dir.lastIndex(of: "/") else { break }
        dir = String(dir[..<slash])
      }
      for candidate in [dir + "/stdlib", dir + "/share/lebm/stdlib"] where access(candidate + "/prelude.lebm", R_OK) == 0 {
        return candidate
      }
    }
    return access("stdlib/prelude.lebm", R_OK) == 0 ? "stdlib" : nil
  }()

  /// Names the start-up files define (kept out of `:vars`).
  nonisolated(unsafe) public private(set) static var names: Set<String> = []

  /// Runs the start-up files in `interpreter`; a failing file reports its error through the output.
  public static func load(into interpreter: Interpreter) {
    guard let folder, let entries = try? listDirectory(folder) else { return }
    let before = Set(interpreter.variables.map(\.name))
    for f in entries.map(\.name) where f.hasSuffix(".lebm") {
      let path = folder + "/" + f
      guard let source = try? readTextFile(path) else { continue }
      if case .failure(let e) = interpreter.run(source, file: path) {
        interpreter.host.write("lebm: error in the start-up file \(path):\n\(e.rendered(source: source))\n")
      }
    }
    names = Set(interpreter.variables.map(\.name)).subtracting(before)
  }
}
