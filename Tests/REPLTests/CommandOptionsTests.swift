// The command line's one option parser and the tables built on it: `lebm` commands and the
// REPL's `:commands`.
import Testing

@testable import REPL

extension REPLSuites {
@Suite struct CommandOptionsTests {
  let options = [
    Option("-o", "--output", value: "OUT", help: "where"),
    Option("-l", "--list", help: "list"),
  ]

  func parse(_ words: [String], _ arguments: [Argument] = [.required("FILE")]) -> ParseOutcome {
    parseArguments(words, arguments: arguments, options: options)
  }

  @Test func flagsValuesAndPositionals() {
    var expected = ParsedArguments()
    expected.flags = ["--list"]
    expected.values = ["--output": "page.html"]
    expected.positionals = ["nb.lebm"]
    #expect(parse(["nb.lebm", "-o", "page.html", "-l"]) == .parsed(expected))
    #expect(parse(["--output=page.html", "--list", "nb.lebm"]) == .parsed(expected))
    #expect(parse(["-opage.html", "nb.lebm", "--list"]) == .parsed(expected))
  }

  @Test func usageErrors() {
    #expect(parse(["nb.lebm", "--nope"]) == .usageError("unknown option '--nope'"))
    #expect(parse(["nb.lebm", "-o"]) == .usageError("-o needs OUT"))
    #expect(parse(["nb.lebm", "--list=yes"]) == .usageError("--list takes no value"))
    #expect(parse([]) == .usageError("missing FILE"))
    #expect(parse(["a", "b"]) == .usageError("unexpected argument 'b'"))
    #expect(parse(["a", "-h"]) == .help)
    #expect(parse(["--help"]) == .help)
  }

  @Test func restArgumentsAreNotParsedAndDashDashEndsOptions() {
    guard case .parsed(let p) = parse(["-l", "script.lebm", "--output", "x", "-l"], [.required("FILE"), .rest("ARGS")])
    else { Issue.record("not parsed"); return }
    #expect(p.flags == ["--list"])
    #expect(p.positionals == ["script.lebm"])
    #expect(p.rest == ["--output", "x", "-l"])
    guard case .parsed(let q) = parse(["--", "-l", "x"], [.many("NAME")]) else { Issue.record("not parsed"); return }
    #expect(q.positionals == ["-l", "x"])
    #expect(q.flags.isEmpty)
  }

  @Test func scriptArgumentsKeepTheCommandsOptions() {
    let row: [Argument] = [.required("FILE"), .script("ARGS")]
    guard case .parsed(let p) = parse(["-l", "s.lebm", "a", "--list", "-x", "--nope", "--output=o", "--", "--list", "--more"], row)
    else { Issue.record("not parsed"); return }
    #expect(p.positionals == ["s.lebm"])
    #expect(p.flags == ["--list"])
    #expect(p.values == ["--output": "o"])
    #expect(p.rest == ["a", "-x", "--nope", "--list", "--more"])
    #expect(p.unknownOptions == ["--nope"])
    #expect(parse(["s.lebm", "a", "--help"], row) == .help)
    #expect(parse(["s.lebm", "--", "--help"], row) != .help)
    #expect(parse(["s.lebm", "--list=1"], row) == .usageError("--list takes no value"))
    #expect(parse(["s.lebm", "--lsit"], [.required("FILE")]) == .usageError("unknown option '--lsit' (did you mean --list?)"))
  }

  @Test func helpAndUsageComeFromTheRow() {
    let command = NotebookCommand.command
    #expect(command.synopsis == "lebm notebook FILE [--output OUT] [--stop-on-error] [--no-input] [--quick]")
    #expect(command.help.hasPrefix("usage: lebm notebook FILE"))
    #expect(command.help.contains("  -o, --output OUT  "))
    #expect(command.help.hasSuffix("  -h, --help        show this help\n"))
    let (console, text) = Console.capturing()
    let context = CommandContext(console: console, makeBackend: { FakeBackend() })
    #expect(command.invoke(["--help"], context: context) == 0)
    #expect(text.out == command.help)
    #expect(command.invoke(["a.lebm", "--bogus"], context: context) == 64)
    #expect(text.err == "lebm notebook: unknown option '--bogus'\nsee lebm notebook --help\n")
  }

  @Test func quickTravelsAsAValue() {
    let backend = FakeBackend()
    let (console, _) = Console.capturing()
    let probe = Command("probe", summary: "", options: [.quick]) { _, context in
      context.backend().quick ? 1 : 0
    }
    let context = CommandContext(console: console, makeBackend: { backend })
    #expect(probe.invoke([], context: context) == 0)
    #expect(probe.invoke(["--quick"], context: context) == 1)
    #expect(CLI.main(["probe"], backend: { backend }, console: console, commands: [probe]) == (CLI.quickFromEnvironment ? 1 : 0))
    #expect(CLI.main(["--quick", "probe"], backend: { backend }, console: console, commands: [probe]) == 1)
  }

  @Test func theREPLCommandTableMakesTheHelp() {
    for c in SessionCommand.all {
      #expect(Session.commandHelp.contains("  :\(c.names[0])"))
      #expect(SessionCommand.named(c.names.last!)?.names == c.names)
    }
    #expect(Session.commandHelp.hasPrefix("REPL commands:\n  :help [name]    help on a builtin, variable or group"))
    #expect(SessionCommand.named("nope") == nil)
  }
}
}
