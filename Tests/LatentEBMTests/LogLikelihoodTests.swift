import Testing
import Engine
import Glibc
@testable import LatentEBM

/// AIS against closed forms: a quadratic energy E(z) = a‖z‖²/2 tilts N(0, σ0² I) into
/// N(0, v I) with v = 1/(1/σ0² + a) and Z(α) = (1 + a σ0²)^(−d/2); a linear generator
/// g(z) = Wz + b then makes p(x) = N(b, v WWᵀ + σ² I) exactly.
@Suite struct LogLikelihoodTests {
  final class Quadratic: EnergyModel {
    let latent: Int, a: Float
    init(latent: Int, a: Float) { self.latent = latent; self.a = a }
    var parameters: [Tensor] { [] }
    func callAsFunction(_ z: Tensor) throws -> Tensor { try z.square().sum(axes: [1]) * (a / 2) }
  }

  /// log N(x; mean, C) in Double, by Cholesky.
  func logNormal(_ x: [Double], mean: [Double], cov c: [[Double]]) -> Double {
    let n = x.count
    var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
      for j in 0...i {
        var s = c[i][j]
        for k in 0..<j { s -= l[i][k] * l[j][k] }
        l[i][j] = i == j ? s.squareRoot() : s / l[j][j]
      }
    }
    var y = [Double](repeating: 0, count: n)  // L y = x − mean
    for i in 0..<n { var s = x[i] - mean[i]; for k in 0..<i { s -= l[i][k] * y[k] }; y[i] = s / l[i][i] }
    let logDet = (0..<n).reduce(0) { $0 + 2 * log(l[$1][$1]) }
    return -0.5 * (Double(n) * log(2 * Double.pi) + logDet + y.reduce(0) { $0 + $1 * $1 })
  }

  func check(latent d: Int, a: Float, sigma: Float, config: AISConfig, tolerance: Double, seed: UInt64) throws -> Double {
    var rng = RandomGenerator(seed: seed)
    let g = try Generator(latent: d, hidden: [], output: d, using: &rng)
    let m = try LatentEBM(energy: Quadratic(latent: d, a: a), generator: g, sigma: sigma)
    let x = try m.generate(12, config: LangevinConfig(steps: 200, stepSize: 0.2), using: &rng)
    let est = try m.logLikelihood(x, config: config, using: &rng)
    let v = 1 / (1 + Double(a))
    let w = (g.layers[0] as! Linear).weight.scalars.map(Double.init), b = (g.layers[0] as! Linear).bias!.scalars.map(Double.init)
    let cov = (0..<d).map { i in (0..<d).map { j in v * (0..<d).reduce(0) { $0 + w[i * d + $1] * w[j * d + $1] } + (i == j ? Double(sigma * sigma) : 0) } }
    let xs = x.scalars.map(Double.init)
    var worst = 0.0, total = 0.0
    for i in 0..<12 {
      let exact = logNormal(Array(xs[(i * d)..<((i + 1) * d)]), mean: b, cov: cov)
      worst = Swift.max(worst, abs(est.perExample[i] - exact)); total += est.perExample[i] - exact
    }
    print("mean signed error \(total / 12)")
    print("log Z error", est.logPartition - (-Double(d) / 2 * log(1 + Double(a))), "±", est.logPartitionError)
    #expect(abs(est.logPartition - (-Double(d) / 2 * log(1 + Double(a)))) < tolerance / 2, "log Z \(est.logPartition)")
    #expect(worst < tolerance, "\(d)-D, \(config.steps) steps: largest error \(worst) nats")
    print("AIS \(d)-D, \(config.steps) steps × \(config.chains) chains: largest error \(worst) nats, mean ± se \(est.mean) ± \(est.meanError)")
    return worst
  }

  @Test func matchesTheGaussianInTwoDimensions() throws {
    _ = try check(latent: 2, a: 1.5, sigma: 0.3, config: AISConfig(steps: 1000, chains: 64), tolerance: 0.05, seed: 1)
  }

  @Test func matchesTheGaussianInSixteenDimensions() throws {
    _ = try check(latent: 16, a: 0.5, sigma: 0.5, config: AISConfig(steps: 1000, chains: 16), tolerance: 0.5, seed: 2)
  }

  @Test func tightensWithMoreSteps() throws {
    let coarse = try check(latent: 4, a: 1, sigma: 0.2, config: AISConfig(steps: 10, chains: 16), tolerance: 50, seed: 3)
    let fine = try check(latent: 4, a: 1, sigma: 0.2, config: AISConfig(steps: 400, chains: 16), tolerance: 0.5, seed: 3)
    #expect(fine < coarse / 2, "error \(coarse) → \(fine)")
  }
}
