// The `lebm` command. For now it answers --version and --help; the REPL, `run`, `notebook`,
// `tutorial` and `bench` arrive with their issues.
import Glibc

let version = "0.1.0"
let usage = """
  lebm \(version): latent space energy-based prior models, interactively.

  usage: lebm [--version] [--help]
  """

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "--version", "-V": print("lebm \(version)")
case "--help", "-h", nil: print(usage)
default:
  fputs("lebm: unknown argument '\(args[0])'\n\(usage)\n", stderr)
  exit(64)
}
