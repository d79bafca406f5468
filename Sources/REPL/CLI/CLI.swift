// The `lebm` command line. `main.swift` only calls `CLI.main` (adding `lebm bench`); the exit codes follow clox's
// `main.c` and sysexits.h: 64 usage, 65 syntax error, 66 unreadable file, 69 unavailable,
// 70 runtime error, 130 interrupted.
import Glibc
import Support

/// The `lebm` command.
public enum CLI {
  /// The version `--version` prints.
  public static let version = "0.1.0"

  /// The `--help` text, listing `commands`.
  public static func usage(_ commands: [Command] = Commands.all) -> String {
    var text = """
      lebm \(version): latent space energy-based prior models, interactively.

      usage:
        lebm                      start the REPL (reads stdin plainly when it is not a terminal)
        lebm FILE.lebm [ARGS…]    run a script (also `#!/usr/bin/env lebm`; FILE.ipynb: its code cells)
        lebm run FILE [ARGS…]     the same
        lebm -e CODE [ARGS…]      run CODE and print its value
        lebm - [ARGS…]            run standard input as a script
        lebm --quick …            any of these with the language's `quick` set (small budgets)

      """
    for c in commands where c.name != "run" {
      let left = "  lebm " + ([c.name] + c.arguments.map(\.synopsis)).joined(separator: " ")
      text += left + (left.count < 28 ? String(repeating: " ", count: 28 - left.count) : "\n" + String(repeating: " ", count: 28))
        + c.summary + "\n"
    }
    text += """
        lebm --help | --version     (lebm COMMAND --help: a command's options)

      Scripts see ARGS through the language's `args`. Among ARGS, lebm's own options (--quick,
      --help) are still lebm's; any other --option goes to `args` with a warning, and every word
      after `--` goes to `args` as it is. Exit status: 0 success, 64 usage error, 65 syntax error,
      66 unreadable file, 70 runtime error, 130 interrupted. History: ~/.lebm_history (env LEBM_HISTORY).
      Inline figures: env LEBM_IMAGES=auto|kitty|iterm|off.
      """
    return text + "\n"
  }

  /// Whether the environment asks for quick mode (LEBM_QUICK=1 or true), the fallback to
  /// `--quick`. The only place the variable is read.
  public static var quickFromEnvironment: Bool {
    let q = environmentValue("LEBM_QUICK")
    return q == "1" || q == "true"
  }

  /// Runs the command with `arguments` (without the program name) and returns the exit status.
  /// `backend` makes the language; `console` receives the output; `commands` are the subcommands
  /// (the program adds `bench` to ``Commands/all``). The program calls `InterruptSignal.install()`
  /// first, so Ctrl-C stops scripts between steps (exit 130); tests leave the process's SIGINT
  /// alone.
  public static func main(
    _ arguments: [String], backend: @escaping () -> REPLBackend = makeBackend,
    console: Console = .standard(flushEachWrite: false), commands: [Command] = Commands.all
  ) -> Int32 {
    var arguments = arguments
    // `--quick` sets the language's `quick` flag: examples and lessons shrink their budgets.
    // Before the command or script it is lebm's (`lebm --quick FILE`); after a script (FILE, `-e
    // CODE`, `-`, `run FILE`) the script's words are parsed for it (``Argument/Kind/script``); the
    // commands that run no lebm code ignore it anywhere before `--`.
    var quick = quickFromEnvironment
    while arguments.first == "--quick" {
      arguments.removeFirst()
      quick = true
    }
    if let first = arguments.first, let command = commands.first(where: { $0.name == first }),
      !command.options.contains(where: { $0.key == Option.quick.key }),
      !command.arguments.contains(where: { $0.kind == .script })
    {
      let end = arguments.firstIndex(of: "--") ?? arguments.count
      if arguments[..<end].contains("--quick") {
        arguments = arguments[..<end].filter { $0 != "--quick" } + arguments[end...]
        quick = true
      }
    }
    let context = CommandContext(console: console, quick: quick, makeBackend: backend)
    guard let first = arguments.first else {
      // Piped or redirected stdin (`lebm < f.lebm`) is a script, as with `lebm -`.
      return isatty(0) != 0 ? repl(context.backend(), console: Console.standard(flushEachWrite: true))
        : stdinScript(context.backend(), arguments: [], console: console)
    }
    let rest = Array(arguments.dropFirst())
    switch first {
    case "--version", "-V":
      console.out("lebm \(version)\n")
      return 0
    case "--help", "-h", "help":
      console.out(usage(commands))
      return 0
    case "-e":
      guard let code = rest.first else {
        console.err("lebm: -e needs CODE\nsee lebm --help\n")
        return 64
      }
      return withScriptArguments(Array(rest.dropFirst()), context: context, commands: commands) { b in
        evaluateScript(code, file: "-e", backend: b, console: console, echo: true)
      }
    case "-":
      return withScriptArguments(rest, context: context, commands: commands) { b in
        stdinScript(b, arguments: b.arguments, console: console)
      }
    default:
      if let command = commands.first(where: { $0.name == first }) {
        return command.invoke(rest, context: context)
      }
      if first.hasPrefix("-") {
        let hint = suggestion(for: first, among: ["--help", "--version", "--quick"]).map { " (did you mean \($0)?)" } ?? ""
        console.err("lebm: unknown option '\(first)'\(hint)\nsee lebm --help\n")
        return 64
      }
      // `lebm FILE ARGS…` is `lebm run FILE ARGS…`: the same parsing of ARGS.
      return (commands.first { $0.name == "run" } ?? Commands.run).invoke([first] + rest, context: context)
    }
  }

  /// `lebm -e CODE ARGS…` and `lebm - ARGS…`: ARGS parsed as a script's (``Argument/Kind/script``:
  /// `--quick` and `--help` are lebm's), then `body` with a backend whose `arguments` are the rest.
  static func withScriptArguments(
    _ words: [String], context: CommandContext, commands: [Command], body: (REPLBackend) -> Int32
  ) -> Int32 {
    switch parseArguments(words, arguments: [.script("ARGS")], options: [.quick]) {
    case .help:
      context.console.out(usage(commands))
      return 0
    case .usageError(let message):
      context.console.err("lebm: \(message)\nsee lebm --help\n")
      return 64
    case .parsed(let parsed):
      warnAboutUnknownOptions(parsed.unknownOptions, options: [.quick], console: context.console)
      var context = context
      if parsed.has(Option.quick.key) { context.quick = true }
      let b = context.backend()
      b.arguments = parsed.rest
      return body(b)
    }
  }

  /// One warning per `--name` among a script's arguments that is not an option of lebm: it goes
  /// to the script, and lebm says so, with the nearest option when one is near.
  static func warnAboutUnknownOptions(_ words: [String], options: [Option], console: Console) {
    for word in words {
      let name = String(word.prefix { $0 != "=" })
      let hint = optionSuggestion(for: name, among: options).map { " (did you mean \($0)?)" } ?? ""
      console.err("lebm: warning: unknown option '\(word)'\(hint) passed to the script in args; write the script's own options after --\n")
    }
  }

  /// The interactive REPL on a terminal.
  public static func repl(_ backend: REPLBackend, console: Console) -> Int32 {
    InterruptSignal.install()
    let reader = EditLineReader(completer: { [unowned backend] line, cursor in
      backend.completions(for: line, cursor: cursor)
    })
    console.out("lebm \(version) — :help for commands, Ctrl-D to quit\n")
    let session = Session(
      backend: backend, reader: reader, console: console, images: ImageProtocol.current())
    session.run()
    return 0
  }

  /// `lebm -`, and `lebm` with stdin not a terminal: all of stdin as one script, exactly as a
  /// script file runs (lines counted from the first, stopping at the first error).
  static func stdinScript(_ backend: REPLBackend, arguments: [String], console: Console) -> Int32 {
    var text = ""
    let reader = StdinReader()
    while case .line(let l) = reader.readLine(.primary) { text += l + "\n" }
    backend.arguments = arguments
    return evaluateScript(stripShebang(text), file: "<stdin>", backend: backend, console: console)
  }

  /// `lebm run FILE ARGS…` and `lebm FILE ARGS…`.
  public static func runFile(
    _ path: String, arguments: [String], backend: REPLBackend, console: Console
  ) -> Int32 {
    if path.hasSuffix(".ipynb") { return runNotebookFile(path, arguments: arguments, backend: backend, console: console) }
    let text: String
    do throws(FileError) {
      text = try readTextFile(path)
    } catch {
      console.err("lebm: cannot read '\(error.path)': \(error.problem)\n")
      return 66
    }
    backend.arguments = arguments
    return evaluateScript(stripShebang(text), file: path, backend: backend, console: console)
  }

  /// `lebm page.ipynb`: the notebook's code cells in order, as one script would run; stops at the
  /// first failure with its status.
  static func runNotebookFile(
    _ path: String, arguments: [String], backend: REPLBackend, console: Console
  ) -> Int32 {
    let notebook: Notebook
    do throws(NotebookFileError) { notebook = try Ipynb.read(path) } catch {
      console.err("lebm: \(error)\n")
      return error.status
    }
    backend.arguments = arguments
    for cell in notebook.cells where cell.kind == .code {
      let status = evaluateScript(cell.source, file: path, backend: backend, console: console)
      if status != 0 { return status }
    }
    return 0
  }

  /// Evaluates a whole script: output to stdout, the error to stderr; returns 0, 65, 70 or 130.
  static func evaluateScript(
    _ source: String, file: String, backend: REPLBackend, console: Console, echo: Bool = false
  ) -> Int32 {
    backend.output = { console.out($0) }
    let session = Session(
      backend: backend, reader: ArrayLineReader([], isInteractive: false), console: console,
      images: ImageProtocol.current())
    session.showFiguresAsWritten()  // each `[figure]` line where the script wrote it
    let result = InterruptSignal.runEvaluation { backend.evaluate(source, file: file) }
    var shown = result
    if !echo { shown.echo = nil }
    session.show(shown)
    if result.interrupted { return 130 }
    if result.error != nil { return result.isSyntaxError ? 65 : 70 }
    return 0
  }
}

/// What a command runs with: where output goes, whether `--quick` was given, and how to make
/// the language.
public struct CommandContext {
  /// Receives the output.
  public let console: Console
  /// Whether the language's `quick` is set (`--quick` or LEBM_QUICK=1).
  public var quick: Bool
  let makeBackend: () -> REPLBackend

  /// A context; `makeBackend` makes a fresh language for each backend asked for.
  public init(console: Console, quick: Bool = false, makeBackend: @escaping () -> REPLBackend) {
    self.console = console
    self.quick = quick
    self.makeBackend = makeBackend
  }

  /// A fresh language with ``quick`` applied.
  public func backend() -> REPLBackend {
    let b = makeBackend()
    b.quick = quick
    return b
  }
}

/// One `lebm` subcommand: its row in the command table. Parsing, `--help` and usage errors come
/// from the row; ``run`` sees only arguments that fit it.
public struct Command: Sendable {
  /// The word after `lebm`.
  public var name: String
  /// One line for `lebm --help`.
  public var summary: String
  /// Its positional arguments.
  public var arguments: [Argument]
  /// Its options (`-h`/`--help` is always there).
  public var options: [Option]
  /// More text for `lebm NAME --help`, shown under the usage line.
  public var details: String
  /// Runs it; returns the exit status. The context's `quick` already includes `--quick`.
  public var run: @Sendable (_ arguments: ParsedArguments, _ context: CommandContext) -> Int32

  /// A subcommand.
  public init(
    _ name: String, summary: String, arguments: [Argument] = [], options: [Option] = [],
    details: String = "", run: @escaping @Sendable (ParsedArguments, CommandContext) -> Int32
  ) {
    self.name = name
    self.summary = summary
    self.arguments = arguments
    self.options = options
    self.details = details
    self.run = run
  }

  /// `lebm notebook FILE [-o OUT] [--stop-on-error] [--quick]`: options before a `rest` or
  /// `script` argument, which must come last.
  public var synopsis: String {
    let opts = options.map { o in "[\(o.key)\(o.value.map { " " + $0 } ?? "")]" }
    let split = arguments.firstIndex { $0.kind == .rest || $0.kind == .script } ?? arguments.count
    let before = arguments[..<split].map(\.synopsis), after = arguments[split...].map(\.synopsis)
    let parts = split < arguments.count ? opts + before + after : before + opts
    return (["lebm", name] + parts).joined(separator: " ")
  }

  /// The `--help` text: the usage line, the details, the options.
  public var help: String {
    var text = "usage: \(synopsis)\n"
    if !details.isEmpty {
      text += details.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
        .joined(separator: "\n") + "\n"
    }
    let rows = options.map { o in (o.names.joined(separator: ", ") + (o.value.map { " " + $0 } ?? ""), o.help) }
      + [("-h, --help", "show this help")]
    let width = rows.map(\.0.count).max() ?? 0
    text += "\noptions:\n"
    for (left, right) in rows {
      text += "  " + left + String(repeating: " ", count: width - left.count + 2) + right + "\n"
    }
    return text
  }

  /// Parses `words` and runs the command: `--help` prints ``help`` (exit 0), a usage error
  /// prints the message and where the help is to stderr (exit 64); unknown `--options` among a
  /// script's arguments are passed on with a warning each.
  public func invoke(_ words: [String], context: CommandContext) -> Int32 {
    switch parseArguments(words, arguments: arguments, options: options) {
    case .help:
      context.console.out(help)
      return 0
    case .usageError(let message):
      return usageError(message, console: context.console)
    case .parsed(let parsed):
      CLI.warnAboutUnknownOptions(parsed.unknownOptions, options: options, console: context.console)
      var context = context
      if parsed.has(Option.quick.key) { context.quick = true }
      return run(parsed, context)
    }
  }

  /// Reports a usage error: `lebm NAME: message`, then where the whole help is; returns 64.
  public func usageError(_ message: String, console: Console) -> Int32 {
    console.err("lebm \(name): \(message)\nsee lebm \(name) --help\n")
    return 64
  }
}

/// The subcommands, one row each.
public enum Commands {
  /// `lebm run FILE ARGS…`, which `lebm FILE ARGS…` also is.
  public static let run = Command(
    "run", summary: "run a script", arguments: [.required("FILE"), .script("ARGS")], options: [.quick],
    details: """
      Runs FILE (.lebm, or .ipynb: its code cells); the script sees ARGS as `args`.
      --quick and --help may also come after FILE; any other --option there goes to `args`
      with a warning; every word after `--` goes to `args` as it is:
        lebm train.lebm --quick -- --epochs 5     quick set, args ["--epochs", "5"]
      """
  ) { args, context in
    CLI.runFile(args.positionals[0], arguments: args.rest, backend: context.backend(), console: context.console)
  }

  /// Every subcommand of the REPL module (the program adds `bench`).
  public static let all: [Command] = [
    run,
    NotebookCommand.command,
    ConvertCommand.command,
    Tutorial.commandRow,
  ]

  /// The subcommand called `name`, if any.
  public static func named(_ name: String) -> Command? { all.first { $0.name == name } }
}
