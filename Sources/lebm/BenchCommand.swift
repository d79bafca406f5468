// `lebm bench`: the training iteration of the anchors, timed. It lives beside main.swift so that
// only the program, not the REPL, depends on LatentEBM's benchmarks.
import LatentEBM
import REPL

enum BenchCommand {
  /// Its row in the command table.
  static let command = Command(
    "bench", summary: "time training iterations (or the kernels)",
    arguments: [.many("CONFIG")],
    options: [
      Option("--iters", value: "N", help: "training iterations to time (default 10)"),
      Option("--threads", value: "T", help: "worker threads (default 2)"),
      Option("--scripted", help: "time stdlib/learning.lebm's learning_step beside train_step on each CONFIG"),
    ],
    details: """
      CONFIG is toy2d, mlp784, svhn, fmnist or text (all five when none is given), `kernels` alone for
      the ConvTranspose2d and sgemm GFLOP/s, or `sgemm` alone for the sgemm GFLOP/s only (under a
      second: the machine's speed now, to read a configuration's GFLOP/s against).
      """
  ) { args, context in
    run(args, context: context)
  }

  static func run(_ args: ParsedArguments, context: CommandContext) -> Int32 {
    let console = context.console
    var iterations = 10, threads = 2
    for (key, target) in [("--iters", 0), ("--threads", 1)] {
      guard let text = args[key] else { continue }
      guard let v = Int(text), v >= 1 else {
        return command.usageError("\(key) needs a positive integer", console: console)
      }
      if target == 0 { iterations = v } else { threads = v }
    }
    let names = args.positionals
    if names == ["kernels"] || names == ["sgemm"] {
      do {
        let lines = names == ["sgemm"] ? [try Benchmark.sgemm(threads: threads)] : try Benchmark.kernels(threads: threads)
        for line in lines { console.out(line + "\n") }
      } catch {
        console.err("lebm bench: \(error)\n")
        return 1
      }
      return 0
    }
    for name in names.isEmpty ? Benchmark.configurations.map(\.name) : names {
      do {
        if args.has("--scripted") {
          console.out(try ScriptedBench.run(name, iterations: iterations, threads: threads) + "\n")
          continue
        }
        console.out(try Benchmark.run(name, iterations: iterations, threads: threads).line + "\n")
      } catch {
        console.err("lebm bench: \(error)\n")
        return 1
      }
    }
    return 0
  }
}
