// `lebm bench --scripted`: the learning iteration written in lebm (stdlib/learning.lebm) timed
// beside the built-in train_step, in one process, on the same model and batch.
import Engine
import Lang
import LatentEBM
import REPL

enum ScriptedBench {
  /// One line: `CONFIG train_step ms/iter median=… learning_step median=… ratio=…`, the two
  /// iterations alternating on one model (two warm-up rounds first).
  static func run(_ name: String, iterations: Int, threads: Int) throws -> String {
    guard let c = Benchmark.configurations.first(where: { $0.name == name }) else {
      throw LatentEBMError.invalidArgument("bench: unknown configuration '\(name)'; choose one of \(Benchmark.configurations.map(\.name).joined(separator: ", "))")
    }
    guard c.lstm == nil else {
      throw LatentEBMError.invalidArgument("bench --scripted: stdlib/learning.lebm's learning_step has the Gaussian likelihood; the text configuration has no scripted step yet")
    }
    var output = ""
    let interp = Interpreter(output: { output += $0 })
    Stdlib.load(into: interp)
    guard interp[variable: "learning_step"] != nil else {
      throw LatentEBMError.invalidArgument("bench --scripted: stdlib/learning.lebm was not found beside lebm\(output.isEmpty ? "" : ": " + output)")
    }
    let source = script(c, iterations: iterations)
    let outcome = Threads.with(threads) { interp.run(source, file: "bench-\(name).lebm") }
    if case .failure(let e) = outcome { throw LatentEBMError.invalidArgument("bench --scripted: \(e.rendered(source: source))") }
    guard case .list(let a)? = interp[variable: "builtin"], case .list(let b)? = interp[variable: "scripted"] else {
      throw LatentEBMError.invalidArgument("bench --scripted: no timings")
    }
    let ms = { (l: [Value]) in l.compactMap { v -> Double? in if case .number(let x) = v { return x * 1e3 }; return nil } }
    let (tb, ts) = (median(ms(a)), median(ms(b)))
    func f(_ x: Double) -> String { String((x * 100).rounded() / 100) }
    return "\(name) train_step ms/iter median=\(f(tb)) learning_step ms/iter median=\(f(ts)) ratio=\(f(ts / tb))"
  }

  /// The configuration's model in lebm, and the timing loop.
  static func script(_ c: Benchmark.Configuration, iterations: Int) -> String {
    let g = c.convolutional
      ? "conv_generator(latent: \(c.latent), size: \(c.data[1]), channels: \(c.data[0]), ngf: \(c.ngf))"
      : "generator(latent: \(c.latent), hidden: \(c.generatorHidden), out: \(c.data[0]))"
    return """
      seed(0)
      m = latent_ebm(energy_net(latent: \(c.latent), hidden: [\(c.energyHidden), \(c.energyHidden)]), \(g))
      x = rand([100] + \(c.data), lo: -1, hi: 1)
      opt = learning_optimizers(m)
      rng = fork()
      for i in 1..2 { train_step(m, x); learning_step(m, x, opt, rng) }
      builtin = []
      scripted = []
      for i in 1..\(iterations) {
        t = time()
        train_step(m, x)
        builtin += [time() - t]
        t = time()
        learning_step(m, x, opt, rng)
        scripted += [time() - t]
      }
      """
  }

  static func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }
}
