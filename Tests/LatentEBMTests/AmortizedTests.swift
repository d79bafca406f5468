// Amortized inference: the encoder's loss against finite differences; on a linear-Gaussian model
// with a quadratic energy (whose posterior and marginal likelihood are known in closed form) q_φ
// reaching the true posterior, and importance sampling with it agreeing with the closed form and
// with AIS; the trainer fitting q_φ and starting the chains from it; checkpoints keeping it all.
import Engine
import Foundation
import Glibc
import Testing

@testable import LatentEBM

@Suite struct AmortizedTests {
  static func model(seed: UInt64 = 11) throws -> LatentEBM {
    var rng = RandomGenerator(seed: seed)
    return try LatentEBM(energy: EnergyNet(latent: 2, hidden: [4], using: &rng),
                         generator: Generator(latent: 2, hidden: [5], output: 3, activation: .tanh, using: &rng), sigma: 0.5,
                         encoder: GaussianEncoder(latent: 2, input: 3, hidden: [4], activation: .tanh, using: &rng))
  }

  @Test func encoderLossGradientsMatchFiniteDifferences() throws {
    let m = try Self.model()
    let q = try #require(m.encoder)
    var rng = RandomGenerator(seed: 5)
    let x = try Tensor.randn([4, 3], using: &rng), eps = try Tensor.randn([4, 2], using: &rng)
    func loss() throws -> Double { Double(try withoutGradients { try m.encoderLoss(x, noise: eps).sum().item() }) }
    let grads = try gradients(of: try m.encoderLoss(x, noise: eps).sum(), wrt: q.parameters)
    try expectWeightGradientsMatchFiniteDifferences(q.parameters, grads, rng: &rng, loss: loss)
  }

  @Test func anEncoderMustFitTheModel() throws {
    var rng = RandomGenerator(seed: 1)
    let g = try Generator(latent: 2, hidden: [], output: 3, using: &rng)
    #expect(throws: LatentEBMError.self) { try LatentEBM(energy: nil, generator: g, encoder: GaussianEncoder(latent: 3, input: 3, hidden: [], using: &rng)) }
    #expect(throws: LatentEBMError.self) { try LatentEBM(energy: nil, generator: g, encoder: GaussianEncoder(latent: 2, input: 4, hidden: [], using: &rng)) }
  }

  /// x = W z + b + N(0, σ² I) with W = [[1, 0], [0, 2], [0, 0]] and the prior tilted by
  /// E(z) = ½ Σⱼ aⱼ zⱼ², a = (1, 3): p_α(z) = N(0, diag 1/(1 + aⱼ)). The posterior is
  /// N(m(x), diag vⱼ) with vⱼ = 1/(cⱼ²/σ² + 1 + aⱼ), c = (1, 2), mⱼ = vⱼ cⱼ (xⱼ − bⱼ)/σ², and
  /// p(x) = Πⱼ N(xⱼ; bⱼ, cⱼ²/(1 + aⱼ) + σ²) (c₂ = 0). A linear encoder can represent the
  /// posterior exactly, so minimising the encoder's loss over φ must find it, the energy included;
  /// importance sampling with that q then has near-constant weights and gives log p(x).
  @Test func onALinearGaussianModelTheAmortizedEncoderFindsTheTruePosterior() throws {
    var rng = RandomGenerator(seed: 21)
    let sigma: Float = 0.5, a: [Float] = [1, 3], c: [Float] = [1, 2, 0], b: [Float] = [0.5, -0.5, 1]
    let m = try LatentEBM(energy: QuadraticEnergy(a: a, mu: [0, 0]), generator: Generator(latent: 2, hidden: [], output: 3, using: &rng),
                          sigma: sigma, encoder: GaussianEncoder(latent: 2, input: 3, hidden: [], using: &rng))
    let q = try #require(m.encoder)
    let linear = try #require(m.generator.layers.first as? Linear)
    try assign(linear.weight, from: Tensor(shape: [3, 2], scalars: [1, 0, 0, 2, 0, 0]))
    try assign(try #require(linear.bias), from: Tensor(b))
    let variances = (0..<2).map { 1 / (c[$0] * c[$0] / (sigma * sigma) + 1 + a[$0]) }
    func draw(_ n: Int) throws -> Tensor {
      let z = try Tensor.randn([n, 2], using: &rng) * Tensor([1 / (1 + a[0]), 1 / (1 + a[1])]).sqrt()
      return try withoutGradients { try m.generator(z) + Tensor.randn([n, 3], using: &rng) * sigma }
    }
    let data = try draw(2000), test = try draw(200)
    // An untrained q is a poor proposal: its bound sits below the exact log p(x).
    let t = test.scalars
    let exact = (0..<200).map { i in
      (0..<3).reduce(0.0) { s, j in
        let v = Double(c[j] * c[j]) / (j < 2 ? Double(1 + a[j]) : 1) + Double(sigma * sigma), r = Double(t[i * 3 + j] - b[j])
        return s - 0.5 * (log(2 * Double.pi * v) + r * r / v)
      }
    }
    let exactMean = exact.reduce(0, +) / 200
    let untrained = try m.importanceSampledLogLikelihood(test, samples: 200, logPartition: exactLogPartition(a), using: &rng)
    #expect(untrained.reduce(0, +) / 200 < exactMean - 0.05, "an untrained encoder's bound is not below log p(x)")

    let opt = try Adam(q.parameters, learningRate: 2e-2)
    for step in 0..<4000 {
      let start = (step * 100) % 2000
      let x = try data.slice(axis: 0, start: start, end: start + 100)
      let loss = try m.encoderLoss(x, noise: try Tensor.randn([100, 2], using: &rng)).mean()
      try opt.step(try gradients(of: loss, wrt: opt.parameters))
      if step == 2000 || step == 3000 { opt.learningRate /= 10 }
    }
    let p = try q(test)
    let mu = p.mean.scalars, lv = p.logVariance.scalars
    var meanError: Float = 0
    for i in 0..<200 {
      for j in 0..<2 {
        let want = variances[j] * c[j] * (t[i * 3 + j] - b[j]) / (sigma * sigma)
        meanError = max(meanError, abs(mu[i * 2 + j] - want))
        let ratio = exp(lv[i * 2 + j]) / variances[j]
        #expect(abs(ratio - 1) < 0.1, "row \(i), coordinate \(j): variance \(exp(lv[i * 2 + j])) against \(variances[j])")
      }
    }
    // The posterior standard deviations are 0.41 and 0.23: a mean error under 0.05 is a fifth of the smaller.
    #expect(meanError < 0.05, "largest error of the posterior mean: \(meanError)")

    // With q at the posterior the weights p(x, z)/q(z | x) are nearly constant: 100 draws give
    // log p(x) within 0.02 nats a row (the bias of a log-mean of near-equal weights is their
    // relative variance over 2K, far below that), with the exact log Z; and the same with log Z
    // from AIS, against AIS's own estimate of log p(x).
    let logZ = exactLogPartition(a)
    let bound = try m.importanceSampledLogLikelihood(test, samples: 100, logPartition: logZ, using: &rng)
    let worst = zip(bound, exact).map { abs($0 - $1) }.max() ?? .nan
    #expect(worst < 0.02, "importance sampling with the fitted q: a row off by \(worst) nats")
    let ais = try m.logLikelihood(test, config: AISConfig(steps: 200, chains: 8), using: &rng)
    let isWithAISLogZ = try m.importanceSampledLogLikelihood(test, samples: 100, logPartition: ais.logPartition, using: &rng)
    let gap = isWithAISLogZ.reduce(0, +) / 200 - ais.mean
    #expect(abs(gap) < 3 * ais.meanError + 0.02, "importance sampling \(isWithAISLogZ.reduce(0, +) / 200), AIS \(ais.mean) ± \(ais.meanError)")
  }

  /// log Z(α) of E(z) = ½ Σ aⱼ zⱼ² under N(0, I): Σⱼ −½ log(1 + aⱼ).
  func exactLogPartition(_ a: [Float]) -> Double { a.reduce(0) { $0 - 0.5 * log(1 + Double($1)) } }

  /// The trainer fits q_φ (loss_q falls), starts the posterior chains from its samples (with
  /// K⁺ = 0 they do not move), and a model without an encoder records loss_q as 0.
  @Test func trainingFitsTheEncoderAndStartsTheChainsFromIt() throws {
    var rng = RandomGenerator(seed: 3)
    // Points near a curved 2-D sheet in 3-D: what a 2-D code explains.
    let sheet = try Generator(latent: 2, hidden: [], output: 3, activation: .tanh, using: &rng)
    let data = try withoutGradients { try (sheet(try Tensor.randn([400, 2], using: &rng)) * 2).tanh() }
    var config = TrainConfig()
    config.posterior.steps = 0
    config.lrG = 3e-3
    let m = try Self.model()
    m.sigma = 0.1  // a posterior narrow enough that one of its samples reconstructs well
    let before = try #require(m.encoder).parameters.map(\.scalars)
    let trainer = try Trainer(model: m, config: config, seed: 1)
    try trainer.fit(data, epochs: 30, batchSize: 50)
    let h = trainer.history, lossQ = h.columns[try #require(TrainStats.names.firstIndex(of: "loss_q"))]
    let disp = h.columns[try #require(TrainStats.names.firstIndex(of: "disp_pos"))]
    let first: Float = lossQ.prefix(10).reduce(0, +) / 10, last: Float = lossQ.suffix(10).reduce(0, +) / 10
    #expect(last < first - 0.1, "loss_q from \(first) to \(last)")
    #expect(disp.allSatisfy { $0 == 0 }, "with K⁺ = 0 the chains stay at q's samples")
    #expect(zip(before, try #require(m.encoder).parameters.map(\.scalars)).allSatisfy { $0 != $1 })
    // K⁺ = 0 from q's samples reconstructs far better than K⁺ = 0 from N(0, I) would.
    var r1 = RandomGenerator(seed: 8)
    let fromQ = try m.reconstructionError(data, config: config.posterior, using: &r1)
    let noEncoder = try LatentEBM(energy: m.energyNet, generator: m.generator, sigma: m.sigma)
    let fromNoise = try noEncoder.reconstructionError(data, config: config.posterior, using: &r1)
    #expect(fromQ < fromNoise / 2, "K⁺ = 0: \(fromQ) from q_φ, \(fromNoise) from N(0, I)")
    let plain = try Trainer(model: try LatentEBM(energy: nil, generator: Generator(latent: 2, hidden: [5], output: 3, using: &rng)), seed: 1)
    try plain.fit(data, epochs: 1, batchSize: 50)
    #expect(plain.history.columns[try #require(TrainStats.names.firstIndex(of: "loss_q"))].allSatisfy { $0 == 0 })
  }

  /// A trained model with an encoder, saved and read back, has the same encoder and continues
  /// training exactly as the original does.
  @Test func checkpointsKeepTheEncoderAndItsOptimizer() throws {
    let dir = NSTemporaryDirectory() + "lebm-amortized-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var rng = RandomGenerator(seed: 4)
    let m = try LatentEBM(energy: EnergyNet(latent: 3, hidden: [8], using: &rng),
                          generator: Generator(latent: 3, imageSize: 8, channels: 1, ngf: 2, using: &rng), sigma: 0.4,
                          encoder: GaussianEncoder(latent: 3, imageSize: 8, channels: 1, ndf: 2, using: &rng))
    let data = try Tensor.randn([40, 1, 8, 8], using: &rng).tanh()
    var config = TrainConfig()
    config.posterior.steps = 2
    config.prior.steps = 3
    let trainer = try Trainer(model: m, config: config, seed: 9)
    try trainer.fit(data, epochs: 2, batchSize: 10)
    let path = dir + "/m.safetensors"
    try Checkpoint.save(m, trainer: trainer, to: path)
    let back = try Checkpoint.read(path)
    let x = try data.slice(axis: 0, start: 0, end: 5)
    let q = try #require(back.model.encoder)
    #expect(try m.encoder!(x).mean.scalars == q(x).mean.scalars)
    #expect(try m.encoder!(x).logVariance.scalars == q(x).logVariance.scalars)
    let copy = try #require(back.trainer)
    #expect(copy.optimizerQ?.stepCount == trainer.optimizerQ?.stepCount && copy.step == 8)
    #expect(copy.history.columns == trainer.history.columns)
    _ = try trainer.step(x)
    _ = try copy.step(x)
    #expect(zip(m.parameters, back.model.parameters).allSatisfy { $0.scalars == $1.scalars })
    // A file whose record names an encoder its tensors do not hold is refused.
    try Checkpoint.save(try LatentEBM(energy: nil, generator: m.generator), to: dir + "/plain.safetensors")
    let (tensors, read) = try Safetensors.read(dir + "/plain.safetensors")
    var meta = read
    meta["model"] = try Checkpoint.modelRecord(m).encoded()
    try Safetensors.write(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: meta, to: dir + "/bad.safetensors")
    #expect(throws: LatentEBMError.self) { try Checkpoint.read(dir + "/bad.safetensors") }
  }
}
