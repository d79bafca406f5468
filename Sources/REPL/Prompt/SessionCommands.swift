// The REPL's `:commands`, one row each: names, the argument they take, one line of help and
// what they do. `:help` lists them from this table.
import Glibc
import Support

/// One `:command` of the REPL.
public struct SessionCommand {
  /// What a command leaves behind.
  public enum Outcome: Equatable {
    /// Carry on; the typed line goes to the history.
    case done
    /// Carry on; `entry` goes to the history instead of the typed line.
    case doneRemembering(String)
    /// End the session.
    case quit
  }

  /// Its names, the first shown in `:help` (`help`, `h`, `?`).
  public var names: [String]
  /// The argument placeholder for the usage (`FILE`, `[name]`); empty when it takes none.
  public var argument: String
  /// One line for `:help`.
  public var summary: String
  /// Runs it in `session` with the text after the name (trimmed).
  public var run: (_ session: Session, _ argument: String) -> Outcome

  /// `usage: :load FILE`.
  var usage: String { "usage: :\(names[0]) \(argument)\n" }

  /// The command called `name`, if any.
  public static func named(_ name: String) -> SessionCommand? { all.first { $0.names.contains(name) } }

  /// Every REPL command, in `:help` order.
  public static let all: [SessionCommand] = [
    SessionCommand(names: ["help", "h", "?"], argument: "[name]",
                   summary: "help on a builtin, variable or group (plot, data, model, tensor); all without a name") { s, argument in
      // The commands first, then the builtins by group; paged on a terminal.
      let width = isatty(1) != 0 ? TerminalStyle.terminalWidth() : nil
      var text = argument.isEmpty ? Session.commandHelp(width: width) + "\n" : ""
      let help = s.backend.help(argument.isEmpty ? nil : argument)
      if !help.isEmpty { text += (text.isEmpty ? "" : "\n") + ensureNewline(help) }
      Pager.show(text, console: s.console, interactive: s.reader.isInteractive)
      return .done
    },
    SessionCommand(names: ["vars"], argument: "", summary: "the variables defined so far") { s, _ in
      let vars = s.backend.variables()
      if vars.isEmpty {
        s.console.out("(no variables)\n")
      } else {
        let width = vars.map { $0.name.count }.max() ?? 0
        for v in vars {
          s.console.out(v.name + String(repeating: " ", count: width - v.name.count) + "  " + v.summary + "\n")
        }
      }
      return .done
    },
    SessionCommand(names: ["time"], argument: "CODE", summary: "run CODE and print the wall time it took") { s, argument in
      guard !argument.isEmpty else {
        s.console.err(SessionCommand.named("time")!.usage)
        return .done
      }
      guard let source = s.readRest(of: argument) else {
        s.console.out("\n")
        return .done
      }
      let start = monotonicSeconds()
      s.run(source, file: s.fileName)
      s.console.out("time: \(formatDuration(monotonicSeconds() - start))\n")
      return .doneRemembering(":time " + source)
    },
    SessionCommand(names: ["load"], argument: "FILE", summary: "run a .lebm file in this session") { s, argument in
      guard !argument.isEmpty else {
        s.console.err(SessionCommand.named("load")!.usage)
        return .done
      }
      do throws(FileError) {
        let path = unquote(argument)
        let result = s.run(stripShebang(try readTextFile(path)), file: path)
        s.rememberLoad(path, result: result)
      } catch {
        s.console.err("cannot read '\(error.path)': \(error.problem)\n")
      }
      return .done
    },
    SessionCommand(names: ["save"], argument: "FILE",
                   summary: "write the session to FILE as a script: entries that ran, :load as import, Ctrl-C'd ones as comments") {
      s, argument in
      guard !argument.isEmpty else {
        s.console.err(SessionCommand.named("save")!.usage)
        return .done
      }
      let path = unquote(argument)
      do throws(FileError) {
        try writeFile(path, s.savedText(for: path))
        s.console.out("saved \(s.transcript.count) entries to \(path)\n")
      } catch {
        s.console.err("cannot write '\(error.path)': \(error.problem)\n")
      }
      return .done
    },
    SessionCommand(names: ["paste"], argument: "",
                   summary: "read lines until one that is just `--`, then run them as one block") { s, _ in
      s.console.out("paste mode: end with a line that is just `--` (Ctrl-D also ends it)\n")
      var lines: [String] = []
      reading: while true {
        switch s.reader.readLine(.continuation) {
        case .line(let l):
          if trimmed(l) == "--" { break reading }
          lines.append(l)
        case .end: break reading
        case .interrupted:
          s.console.out("\n")
          return .done
        }
      }
      let source = lines.joined(separator: "\n")
      if !trimmed(source).isEmpty { s.run(source, file: s.fileName) }
      return .doneRemembering(source)
    },
    SessionCommand(names: ["reset"], argument: "", summary: "forget all variables") { s, _ in
      s.backend.reset()
      s.forgetTranscript()
      s.console.out("(all variables cleared)\n")
      return .done
    },
    SessionCommand(names: ["tutorial"], argument: "[N]",
                   summary: "play tutorial lesson N (a number or name) step by step, in this session") { s, argument in
      let saved = s.backend.output
      Tutorial.fromREPL(argument, backend: s.backend, reader: s.reader, console: s.console, images: s.images)
      s.backend.output = saved
      return .done
    },
    SessionCommand(names: ["quit", "q", "exit"], argument: "", summary: "leave (Ctrl-D too)") { _, _ in .quit },
  ]
}
