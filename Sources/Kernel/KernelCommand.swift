// `lebm kernel -f CONNECTION_FILE` (the kernel, started by Jupyter) and `lebm kernel install`
// (writes the kernelspec that tells Jupyter how to start it). The `lebm-kernel` program runs
// this row; `lebm kernel …` execs that program.
import Glibc
import REPL
import Support

/// The `kernel` subcommand.
public enum KernelCommand {
  /// Its row in the command table.
  public static let command = Command(
    "kernel", summary: "the Jupyter kernel (`kernel install` writes its kernelspec)",
    arguments: [.optional("install")],
    options: [
      Option("-f", "--connection-file", value: "FILE", help: "the connection file Jupyter wrote (runs the kernel)"),
      Option("--user", help: "install for this user (the default): ~/.local/share/jupyter/kernels/lebm"),
      Option("--prefix", value: "P", help: "install into P/share/jupyter/kernels/lebm (e.g. a virtual environment)"),
      .quick,
    ],
    details: """
      `lebm kernel install` writes a kernelspec (display name "lebm") whose command is this lebm
      binary; JupyterLab, Notebook, VS Code and nbconvert then offer lebm notebooks. Jupyter
      starts the kernel as `lebm kernel -f CONNECTION_FILE`. Interrupting the kernel (SIGINT)
      stops the running cell and keeps the session's variables.
      """
  ) { args, context in
    run(args, context: context)
  }

  static func run(_ args: ParsedArguments, context: CommandContext) -> Int32 {
    let console = context.console
    if args.positionals.first == "install" {
      return install(prefix: args["--prefix"], console: console)
    }
    if let word = args.positionals.first {
      return command.usageError("unknown action '\(word)' (only `install`)", console: console)
    }
    guard let file = args["--connection-file"] else {
      return command.usageError("needs -f CONNECTION_FILE or `install`", console: console)
    }
    return serve(connectionFile: file, context: context)
  }

  /// Runs the kernel for `connectionFile` until Jupyter shuts it down.
  static func serve(connectionFile: String, context: CommandContext) -> Int32 {
    let log: (String) -> Void = { context.console.err($0) }
    do throws(KernelError) {
      let info = try ConnectionInfo.read(connectionFile)
      let backend = context.backend()
      let kernel = try JupyterKernel(info: info, backend: backend, log: log)
      return kernel.run()
    } catch {
      log("lebm kernel: \(error)\n")
      return 66
    }
  }

  /// The folder the kernelspec goes into: under `prefix`, else the user's Jupyter data folder
  /// (JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter or ~/.local/share/jupyter).
  public static func specFolder(prefix: String?) -> String? {
    if let prefix { return prefix + "/share/jupyter/kernels/lebm" }
    if let d = environmentValue("JUPYTER_DATA_DIR") { return d + "/kernels/lebm" }
    if let x = environmentValue("XDG_DATA_HOME"), !x.isEmpty { return x + "/jupyter/kernels/lebm" }
    guard let home = environmentValue("HOME") else { return nil }
    return home + "/.local/share/jupyter/kernels/lebm"
  }

  /// kernel.json for the lebm binary at `executable` (which starts `lebm-kernel` beside it).
  public static func kernelSpec(executable: String) -> JSONValue {
    .object([
      "argv": .array([.string(executable), "kernel", "-f", "{connection_file}"]),
      "display_name": "lebm", "language": "lebm", "interrupt_mode": "signal",
      "metadata": .object(["file_extension": ".lebm"]),
    ])
  }

  /// Writes the kernelspec; 0, or 73 when the folder or file cannot be written.
  static func install(prefix: String?, console: Console) -> Int32 {
    guard let folder = specFolder(prefix: prefix) else {
      console.err("lebm kernel install: no HOME; give --prefix P\n")
      return 64
    }
    guard let exe = siblingExecutable("lebm") else {
      console.err("lebm kernel install: no lebm program beside this one (\(executableFolder() ?? "?"))\n")
      return 69
    }
    do throws(FileError) {
      try makeFolders(folder)
      try writeFile(folder + "/kernel.json", (try? kernelSpec(executable: exe).encodedPretty()) ?? "")
    } catch {
      console.err("lebm kernel install: cannot write '\(error.path)': \(error.problem)\n")
      return 73
    }
    console.out("installed the lebm kernelspec in \(folder)\n")
    return 0
  }
}
