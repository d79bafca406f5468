// `lebm convert IN -o OUT`: a notebook between Jupyter's .ipynb and lebm's percent format, without
// running it.
import Support

/// The `convert` subcommand.
public enum ConvertCommand {
  /// Its row in the command table.
  public static let command = Command(
    "convert", summary: "convert a notebook between .ipynb and percent-format .lebm (no run)",
    arguments: [.required("FILE")],
    options: [Option("-o", "--output", value: "OUT", help: "the converted notebook: OUT.lebm or OUT.ipynb")],
    details: """
      FILE.ipynb (a notebook whose language is lebm) becomes percent format (`# %%` cells,
      markdown as `#` comments); FILE.lebm becomes an nbformat 4.5 notebook without outputs
      (`lebm notebook FILE.lebm -o OUT.ipynb` runs it first). OUT defaults to FILE with the
      other extension.
      """
  ) { args, context in
    run(args.positionals[0], output: args["--output"], console: context.console)
  }

  static func run(_ input: String, output: String?, console: Console) -> Int32 {
    let toIpynb = !input.hasSuffix(".ipynb")
    let stem = input.hasSuffix(".ipynb") ? String(input.dropLast(6))
      : input.hasSuffix(".lebm") ? String(input.dropLast(5)) : input
    let out = output ?? stem + (toIpynb ? ".ipynb" : ".lebm")
    guard out.hasSuffix(toIpynb ? ".ipynb" : ".lebm") else {
      let want = toIpynb ? "a .lebm notebook converts to OUT.ipynb" : "an .ipynb converts to OUT.lebm"
      return command.usageError("cannot write '\(out)': \(want)", console: console)
    }
    let notebook: Notebook
    do throws(NotebookFileError) { notebook = try Notebook.read(input) } catch {
      console.err("lebm convert: \(error)\n")
      return error.status
    }
    let text: String
    if toIpynb {
      guard let json = try? Ipynb.document(notebook).encodedPretty() else {
        console.err("lebm convert: cannot encode '\(out)' as JSON\n")
        return 65
      }
      text = json
    } else {
      text = notebook.percentText
    }
    do throws(FileError) { try writeFile(out, text) } catch {
      console.err("lebm convert: cannot write '\(error.path)': \(error.problem)\n")
      return 73
    }
    console.err("wrote \(out) (\(notebook.cells.count) cell\(notebook.cells.count == 1 ? "" : "s"))\n")
    return 0
  }
}
