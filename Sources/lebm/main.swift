// The `lebm` command. For now it answers --version and --help; the REPL, `run`, `notebook`,
// `tutorial` and `bench` arrive with their issues.
import Glibc
import LatentEBM

let version = "0.1.0"
let usage = """
  lebm \(version): latent space energy-based prior models, interactively.

  usage: lebm [--version] [--help]
  """

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "--version", "-V": print("lebm \(version)")
case "--help", "-h", nil: print(usage)
case "bench":
  var iters = 10, threads = 2
  var names: [String] = []
  var i = 1
  while i < args.count {
    switch args[i] {
    case "--iters": i += 1; iters = i < args.count ? Int(args[i]) ?? 10 : 10
    case "--threads": i += 1; threads = i < args.count ? Int(args[i]) ?? 2 : 2
    default: names.append(args[i])
    }
    i += 1
  }
  do {
    for n in names.isEmpty ? Benchmark.configurations.map(\.name) : names {
      print(try Benchmark.run(n, iterations: iters, threads: threads).line)
    }
  } catch {
    fputs("lebm bench: \(error)\n", stderr)
    exit(1)
  }
default:
  fputs("lebm: unknown argument '\(args[0])'\n\(usage)\n", stderr)
  exit(64)
}
