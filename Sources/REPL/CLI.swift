// The `lebm` command line. `main.swift` only calls `CLI.main`; the exit codes follow clox's
// `main.c` and sysexits.h: 64 usage, 65 syntax error, 66 unreadable file, 69 unavailable,
// 70 runtime error, 130 interrupted.
import Glibc

/// The `lebm` command.
public enum CLI {
  /// The version `--version` prints.
  public static let version = "0.1.0"

  /// The `--help` text.
  public static var usage: String {
    var text = """
      lebm \(version): latent space energy-based prior models, interactively.

      usage:
        lebm                      start the REPL (reads stdin plainly when it is not a terminal)
        lebm FILE.lebm [ARGS…]    run a script (also `#!/usr/bin/env lebm`)
        lebm run FILE [ARGS…]     the same
        lebm -e CODE [ARGS…]      run CODE and print its value
        lebm -                    run standard input as a script
        lebm --quick …            any of these with the language's `quick` set (small budgets)

      """
    for c in Commands.all where c.name != "run" {
      text += "  lebm \(c.name)" + String(repeating: " ", count: max(1, 21 - c.name.count))
        + c.summary + "\n"
    }
    text += """
        lebm --help | --version

      Scripts see ARGS through the language's `args`. Exit status: 0 success, 65 syntax error,
      70 runtime error, 130 interrupted. History: ~/.lebm_history (env LEBM_HISTORY).
      Inline figures: env LEBM_IMAGES=auto|kitty|iterm|off.
      """
    return text + "\n"
  }

  /// Runs the command with `arguments` (without the program name) and returns the exit status.
  /// `backend` makes the language; `console` receives the output. The program calls
  /// `InterruptSignal.install()` first, so Ctrl-C stops scripts between steps (exit 130); tests
  /// leave the process's SIGINT alone.
  public static func main(
    _ arguments: [String], backend: () -> REPLBackend = makeBackend,
    console: Console = .standard(flushEachWrite: false)
  ) -> Int32 {
    var arguments = arguments
    // `--quick` (anywhere before the script) sets the language's `quick` flag: examples and
    // lessons shrink their budgets. The environment variable LEBM_QUICK=1 does the same.
    if let q = arguments.firstIndex(of: "--quick"), !arguments[..<q].contains(where: { $0.hasSuffix(".lebm") }) {
      arguments.remove(at: q)
      setenv("LEBM_QUICK", "1", 1)
    }
    guard let first = arguments.first else {
      return isatty(0) != 0 ? repl(backend(), console: Console.standard(flushEachWrite: true))
        : stdinSession(backend(), console: console)
    }
    let rest = Array(arguments.dropFirst())
    switch first {
    case "--version", "-V":
      console.out("lebm \(version)\n")
      return 0
    case "--help", "-h", "help":
      console.out(usage)
      return 0
    case "-e":
      guard let code = rest.first else {
        console.err("lebm: -e needs CODE\n\(usage)")
        return 64
      }
      let b = backend()
      b.arguments = Array(rest.dropFirst())
      return evaluateScript(code, file: "-e", backend: b, console: console, echo: true)
    case "-":
      return stdinScript(backend(), arguments: rest, console: console)
    default:
      if let command = Commands.named(first) {
        return command.run(rest, backend, console)
      }
      if first.hasPrefix("-") {
        console.err("lebm: unknown option '\(first)'\n\(usage)")
        return 64
      }
      return runFile(first, arguments: rest, backend: backend(), console: console)
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

  /// `lebm` with stdin not a terminal: the REPL loop without prompts, history or escapes. Every
  /// entry runs (values are echoed, errors reported); the status is that of the first error.
  public static func stdinSession(_ backend: REPLBackend, console: Console) -> Int32 {
    let session = Session(
      backend: backend, reader: StdinReader(), console: console, images: .none)
    return session.run()
  }

  /// `lebm -`: all of stdin as one script.
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
    guard let text = readWholeFile(path) else {
      console.err("lebm: cannot read '\(path)': \(errnoMessage())\n")
      return 66
    }
    backend.arguments = arguments
    return evaluateScript(stripShebang(text), file: path, backend: backend, console: console)
  }

  /// Evaluates a whole script: output to stdout, the error to stderr; returns 0, 65, 70 or 130.
  static func evaluateScript(
    _ source: String, file: String, backend: REPLBackend, console: Console, echo: Bool = false
  ) -> Int32 {
    backend.output = { console.out($0) }
    let result = InterruptSignal.runEvaluation { backend.evaluate(source, file: file) }
    let session = Session(
      backend: backend, reader: ArrayLineReader([], isInteractive: false), console: console,
      images: ImageProtocol.current())
    var shown = result
    if !echo { shown.echo = nil }
    session.show(shown)
    if result.interrupted { return 130 }
    if result.error != nil { return result.isSyntaxError ? 65 : 70 }
    return 0
  }
}

/// One `lebm` subcommand.
public struct Command: Sendable {
  /// The word after `lebm`.
  public var name: String
  /// One line for `--help`.
  public var summary: String
  /// Runs it with the words after the name; returns the exit status.
  public var run: @Sendable (_ arguments: [String], _ backend: () -> REPLBackend, _ console: Console) -> Int32

  /// A subcommand.
  public init(
    name: String, summary: String,
    run: @escaping @Sendable ([String], () -> REPLBackend, Console) -> Int32
  ) {
    self.name = name
    self.summary = summary
    self.run = run
  }
}

/// The subcommands, one row each.
public enum Commands {
  /// Every subcommand.
  public static let all: [Command] = [
    Command(name: "run", summary: "run FILE [ARGS…]: run a script") { args, backend, console in
      guard let file = args.first else {
        console.err("usage: lebm run FILE [ARGS…]\n")
        return 64
      }
      return CLI.runFile(file, arguments: Array(args.dropFirst()), backend: backend(), console: console)
    },
    Command(name: "notebook", summary: "notebook FILE [-o OUT.html|OUT.md] [--stop-on-error]: run its cells into a page") {
      args, backend, console in NotebookCommand.run(args, backend: backend, console: console)
    },
    Command(name: "tutorial", summary: "tutorial [LESSON] [--list]: learn latent EBMs step by step") {
      args, backend, console in Tutorial.command(args, backend: backend, console: console)
    },
    Command(name: "bench", summary: "bench [toy2d|mlp784|svhn|kernels…] [--iters N] [--threads T]: time training iterations") {
      args, _, console in BenchCommand.run(args, console: console)
    },
  ]

  /// The subcommand called `name`, if any.
  public static func named(_ name: String) -> Command? { all.first { $0.name == name } }
}
