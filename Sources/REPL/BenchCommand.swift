// `lebm bench`: the training iteration of the anchors, timed.
import LatentEBM

enum BenchCommand {
  static func run(_ args: [String], console: Console) -> Int32 {
    var iterations = 10, threads = 2
    var names: [String] = []
    var i = 0
    while i < args.count {
      switch args[i] {
      case "--iters", "--threads":
        guard i + 1 < args.count, let v = Int(args[i + 1]), v >= 1 else {
          console.err("lebm bench: \(args[i]) needs a positive integer\n")
          return 64
        }
        if args[i] == "--iters" { iterations = v } else { threads = v }
        i += 2
      case "--help", "-h":
        console.out("usage: lebm bench [toy2d] [mlp784] [svhn] [--iters N] [--threads T]\n       lebm bench kernels [--threads T]   (ConvTranspose2d and sgemm GFLOP/s)\n")
        return 0
      default:
        names.append(args[i])
        i += 1
      }
    }
    if names == ["kernels"] {
      do { for line in try Benchmark.kernels(threads: threads) { console.out(line + "\n") } } catch {
        console.err("lebm bench: \(error)\n")
        return 1
      }
      return 0
    }
    for name in names.isEmpty ? Benchmark.configurations.map(\.name) : names {
      do {
        console.out(try Benchmark.run(name, iterations: iterations, threads: threads).line + "\n")
      } catch {
        console.err("lebm bench: \(error)\n")
        return 1
      }
    }
    return 0
  }
}
