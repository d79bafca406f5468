import Foundation
import Testing
import Engine
@testable import LatentEBM

@Suite(.serialized) struct BenchmarkTests {
  /// Threads do not change the math: the losses of 5 iterations (after the 2 warm-up ones) at 1 and
  /// at 2 threads agree to 1e-4 relative. (The chains draw from their own streams, and OpenBLAS
  /// splits products over rows and columns, not over the summed axis.)
  @Test(arguments: ["toy2d", "mlp784"])
  func threadsDoNotChangeTheLosses(_ config: String) throws {
    var one: [Float] = [], two: [Float] = []
    _ = try Benchmark.run(config, iterations: 5, threads: 1, losses: &one)
    _ = try Benchmark.run(config, iterations: 5, threads: 2, losses: &two)
    #expect(one.count == 10 && two.count == 10)
    for (a, b) in zip(one, two) {
      #expect(abs(a - b) <= 1e-4 * max(abs(a), abs(b), 1e-3), "\(config): \(a) vs \(b)")
    }
  }

  /// The text configuration runs the LSTM generator's categorical likelihood (2 timed iterations).
  @Test func textRunsTheLSTMGenerator() throws {
    var losses: [Float] = []
    let r = try Benchmark.run("text", iterations: 2, threads: 2, losses: &losses)
    #expect(r.milliseconds.count == 2 && losses.count == 4)
    // Σ_t cross-entropy over 20 tokens of 1000 ids starts near 20 · ln 1000 ≈ 138 nats.
    #expect(abs(losses[0] - 20 * log(1000)) < 15, "loss_g \(losses[0])")
  }

  @Test func configurationsMatchTheAnchors() throws {
    // gflop/iter as torch_lebm.py prints it.
    let g = Dictionary(uniqueKeysWithValues: Benchmark.configurations.map { ($0.name, $0.gflop) })
    #expect(abs(g["toy2d"]! - 0.702) < 0.001)
    #expect(abs(g["mlp784"]! - 6.055) < 0.001)
    #expect(abs(g["svhn"]! - 599.707) < 0.001)
    #expect(abs(g["fmnist"]! - 229.386) < 0.001)
    #expect(abs(g["text"]! - 43.325) < 0.001)
    #expect(throws: LatentEBMError.self) { try Benchmark.run("nope") }
  }
}
