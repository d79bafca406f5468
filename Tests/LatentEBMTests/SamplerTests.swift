import Testing
import Engine
@testable import LatentEBM

/// E(z) = ½ Σⱼ aⱼ (zⱼ − μⱼ)²: with the N(0, I) base the tilted prior is Gaussian with precision
/// aⱼ + 1 and mean aⱼ μⱼ / (aⱼ + 1) in each coordinate.
final class QuadraticEnergy: EnergyModel {
  let a: Tensor, mu: Tensor
  init(a: [Float], mu: [Float]) { self.a = Tensor(a); self.mu = Tensor(mu) }
  var latent: Int { a.count }
  var parameters: [Tensor] { [] }
  func callAsFunction(_ z: Tensor) throws -> Tensor {
    try ((z - mu).square() * a).sum(axes: [1]) * 0.5
  }
}

@Suite struct SamplerTests {
  /// Long, small-step chains reach the tilted Gaussian. Tolerances: with s = 0.1 the discretised
  /// chain's stationary variance is 1/(λ(1 − s²λ/4)), at most 0.8 % above 1/λ for λ ≤ 3; 4,000
  /// chains give standard errors of about 0.011 on a mean and 2.2 % on a variance, so 0.05 on
  /// means and 8 % on variances are 4σ bounds plus the bias.
  @Test func priorChainsReachTheTiltedGaussian() throws {
    var rng = RandomGenerator(seed: 1)
    let energy = QuadraticEnergy(a: [1, 2], mu: [1.5, -1])
    let g = try Generator(latent: 2, hidden: [], output: 2, using: &rng)
    let m = try LatentEBM(energy: energy, generator: g)
    let z0 = try m.initialLatents(4000, using: &rng)
    let z = try m.samplePrior(from: z0, config: LangevinConfig(steps: 600, stepSize: 0.1), using: &rng)
    let mean = try z.mean(axes: [0]).scalars, v = try z.variance(axes: [0]).scalars
    let wantMean: [Float] = [1 * 1.5 / 2, 2 * -1 / 3.0], wantVar: [Float] = [1 / 2.0, 1 / 3.0]
    for j in 0..<2 {
      #expect(abs(mean[j] - wantMean[j]) < 0.05, "mean[\(j)] \(mean[j]) vs \(wantMean[j])")
      #expect(abs(v[j] - wantVar[j]) / wantVar[j] < 0.08, "var[\(j)] \(v[j]) vs \(wantVar[j])")
    }
  }

  /// Each chain draws from its own stream, so sharing the chains among two threads (each running
  /// a block of rows) gives the chains one thread gives, up to the products' rounding.
  @Test func chainsDoNotDependOnTheThreadCount() throws {
    var rng = RandomGenerator(seed: 3)
    let e = try EnergyNet(latent: 4, hidden: [32, 32], using: &rng)
    let g = try Generator(latent: 4, hidden: [64], output: 12, using: &rng)
    let m = try LatentEBM(energy: e, generator: g)
    let x = try Tensor.randn([37, 12], using: &rng), z0 = try m.initialLatents(37, using: &rng)
    func run(_ threads: Int) throws -> (Tensor, Tensor) {
      var r = RandomGenerator(seed: 9)
      return try Threads.with(threads) {
        (try m.samplePrior(from: z0, using: &r), try m.samplePosterior(x, from: z0, using: &r))
      }
    }
    let (p1, q1) = try run(1), (p2, q2) = try run(2)
    for (a, b) in [(p1, p2), (q1, q2)] {
      #expect(try (a - b).abs().max().item() <= 1e-4 * max(1, try a.abs().max().item()))
      #expect(try (a - z0).abs().max().item() > 0.1)  // the chains moved
    }
    // A convolutional generator (the chains cut into blocks of rows, each with its own plan).
    let cg = try Generator(latent: 4, imageSize: 32, channels: 3, ngf: 2, using: &rng)
    let cm = try LatentEBM(energy: e, generator: cg)
    let images = try Tensor.randn([20, 3, 32, 32], using: &rng), c0 = try cm.initialLatents(20, using: &rng)
    let steps = LangevinConfig(steps: 3, stepSize: 0.1)
    var r1 = RandomGenerator(seed: 5), r2 = RandomGenerator(seed: 5)
    let one = try Threads.with(1) { try cm.samplePosterior(images, from: c0, config: steps, using: &r1) }
    let two = try Threads.with(2) { try cm.samplePosterior(images, from: c0, config: steps, using: &r2) }
    #expect(try (one - two).abs().max().item() <= 1e-4 * max(1, try one.abs().max().item()))
    #expect(try (one - c0).abs().max().item() > 0.01)
  }

  /// With g(z) = Wz + b and zero energy, p(z | x) is Gaussian: precision P = WᵀW/σ² + I,
  /// mean P⁻¹ Wᵀ(x − b)/σ². Same tolerance argument as above (largest precision here ≈ 4.6).
  @Test func posteriorChainsMatchTheLinearGaussianPosterior() throws {
    var rng = RandomGenerator(seed: 2)
    let g = try Generator(latent: 2, hidden: [], output: 3, using: &rng)
    let lin = g.layers[0] as! Linear
    try assign(lin.weight, from: Tensor(rows: [[0.8, 0.1], [-0.3, 0.5], [0.2, -0.4]]))
    try assign(lin.bias!, from: Tensor([0.1, -0.2, 0.3]))
    let sigma: Float = 0.5
    let m = try LatentEBM(energy: nil, generator: g, sigma: sigma)
    let n = 4000
    let x1: [Float] = [0.7, 0.4, -0.5]
    let x = try Tensor(shape: [n, 3], scalars: Array((0..<n).flatMap { _ in x1 }))
    let z = try m.samplePosterior(x, from: m.initialLatents(n, using: &rng), config: LangevinConfig(steps: 800, stepSize: 0.08), using: &rng)

    // Closed form in Double.
    let W: [[Double]] = [[0.8, 0.1], [-0.3, 0.5], [0.2, -0.4]], b: [Double] = [0.1, -0.2, 0.3]
    let s2 = Double(sigma * sigma)
    var P = [[1.0, 0.0], [0.0, 1.0]], r = [0.0, 0.0]
    for i in 0..<3 { for j in 0..<2 {
      r[j] += W[i][j] * (Double(x1[i]) - b[i]) / s2
      for k in 0..<2 { P[j][k] += W[i][j] * W[i][k] / s2 }
    } }
    let det = P[0][0] * P[1][1] - P[0][1] * P[1][0]
    let C = [[P[1][1] / det, -P[0][1] / det], [-P[1][0] / det, P[0][0] / det]]
    let mu = [C[0][0] * r[0] + C[0][1] * r[1], C[1][0] * r[0] + C[1][1] * r[1]]

    let zs = z.scalars
    var m0 = 0.0, m1 = 0.0
    for i in 0..<n { m0 += Double(zs[2 * i]); m1 += Double(zs[2 * i + 1]) }
    m0 /= Double(n); m1 /= Double(n)
    var c00 = 0.0, c01 = 0.0, c11 = 0.0
    for i in 0..<n {
      let a = Double(zs[2 * i]) - m0, d = Double(zs[2 * i + 1]) - m1
      c00 += a * a; c01 += a * d; c11 += d * d
    }
    c00 /= Double(n); c01 /= Double(n); c11 /= Double(n)
    #expect(abs(m0 - mu[0]) < 0.05 && abs(m1 - mu[1]) < 0.05, "mean (\(m0), \(m1)) vs \(mu)")
    #expect(abs(c00 - C[0][0]) / C[0][0] < 0.08, "cov00 \(c00) vs \(C[0][0])")
    #expect(abs(c11 - C[1][1]) / C[1][1] < 0.08, "cov11 \(c11) vs \(C[1][1])")
    #expect(abs(c01 - C[0][1]) < 0.08 * (C[0][0] * C[1][1]).squareRoot(), "cov01 \(c01) vs \(C[0][1])")
  }

  @Test func noiseOffIsGradientDescent() throws {
    var rng = RandomGenerator(seed: 3)
    let m = try LatentEBM(energy: QuadraticEnergy(a: [3], mu: [2]), generator: Generator(latent: 1, hidden: [], output: 1, using: &rng))
    // Minimum of ½·3(z − 2)² + ½z² is at z = 1.5.
    let z = try m.samplePrior(from: Tensor(shape: [1, 1], scalars: [-4]), config: LangevinConfig(steps: 400, stepSize: 0.3, noise: false), using: &rng)
    #expect(abs(try z.item() - 1.5) < 1e-3)
  }

  @Test func diagnosticsAreRecorded() throws {
    var rng = RandomGenerator(seed: 4)
    let e = try EnergyNet(latent: 2, hidden: [8], using: &rng)
    let g = try Generator(latent: 2, hidden: [8], output: 3, using: &rng)
    let m = try LatentEBM(energy: e, generator: g)
    let trace = LangevinTrace()
    let x = try Tensor.randn([5, 3], using: &rng)
    _ = try m.samplePosterior(x, from: m.initialLatents(5, using: &rng), config: LangevinConfig(steps: 7, stepSize: 0.1), using: &rng, trace: trace)
    #expect(trace.steps.count == 7)
    #expect(trace.steps.allSatisfy { $0.gradLikelihood > 0 && $0.gradEnergy > 0 && $0.displacement > 0 })
    #expect(trace.totalDisplacement > 0)
    #expect(trace.summary.hasPrefix("7 steps"))
  }

  @Test func badArgumentsAreErrors() throws {
    var rng = RandomGenerator(seed: 5)
    let m = try LatentEBM(energy: EnergyNet(latent: 2, hidden: [4], using: &rng), generator: Generator(latent: 2, hidden: [4], output: 3, using: &rng))
    let z = try m.initialLatents(3, using: &rng)
    do { _ = try m.samplePrior(from: z, config: LangevinConfig(steps: -3, stepSize: 0.1), using: &rng); Issue.record("no error") }
    catch let e as LatentEBMError { #expect(e.description == "prior chains: the number of steps K must be in 0…100000, got -3") }
    #expect(throws: LatentEBMError.self) { try m.samplePrior(from: Tensor.zeros([3, 5]), using: &rng) }
    #expect(throws: LatentEBMError.self) { try m.samplePosterior(Tensor.zeros([2, 3]), from: z, using: &rng) }
    #expect(throws: LatentEBMError.self) { try m.samplePosterior(Tensor.zeros([3, 4]), from: z, using: &rng) }
    #expect(throws: LatentEBMError.self) {
      try LatentEBM(energy: EnergyNet(latent: 3, hidden: [4], using: &rng), generator: Generator(latent: 2, hidden: [4], output: 3, using: &rng))
    }
  }

  @Test func interruptStopsAChain() throws {
    var rng = RandomGenerator(seed: 6)
    let m = try LatentEBM(energy: QuadraticEnergy(a: [1], mu: [0]), generator: Generator(latent: 1, hidden: [], output: 1, using: &rng))
    // Outside interruptible work a request is left for whoever runs interruptibly.
    let flag = InterruptFlag()
    flag.request()
    _ = try m.samplePrior(from: Tensor.zeros([2, 1]), config: LangevinConfig(steps: 2, stepSize: 0.1), using: &rng)
    #expect(flag.isRequested)
    #expect(throws: Interrupted.self) { try Interrupt.interruptible(flag) { try m.samplePrior(from: Tensor.zeros([2, 1]), using: &rng) } }
    #expect(!flag.isRequested)
  }
}
