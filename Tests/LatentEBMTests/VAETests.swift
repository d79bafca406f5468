// The VAE baseline: the KL against its closed form and a Monte Carlo estimate, the reparameterized
// ELBO's weight gradients against finite differences, the conv encoder's shapes, and on a
// linear-Gaussian model (whose posterior is known in closed form) q_φ reaching the true posterior.
import Engine
import Foundation
import Testing

@testable import LatentEBM

@Suite struct VAETests {
  static func model(latent: Int = 2, data: Int = 3, sigma: Float = 0.5, priorSigma: Float = 1.5, hidden: [Int] = [5]) throws -> VAE {
    var rng = RandomGenerator(seed: 11)
    return try VAE(encoder: GaussianEncoder(latent: latent, input: data, hidden: hidden, activation: .tanh, using: &rng),
                   generator: Generator(latent: latent, hidden: hidden, output: data, activation: .tanh, using: &rng),
                   sigma: sigma, priorSigma: priorSigma)
  }

  @Test func klMatchesItsClosedFormAndAMonteCarloEstimate() throws {
    let vae = try Self.model()
    let mu: [Float] = [0.3, -1.2, 2.0, 0.0], lv: [Float] = [-0.5, 0.7, 0.0, -2.0]
    let kl = try vae.kl(mean: Tensor(shape: [2, 2], scalars: mu), logVariance: Tensor(shape: [2, 2], scalars: lv)).scalars
    // The closed form, coordinate by coordinate, in Double: KL(N(μ, v) ‖ N(0, s²)) = ½(v/s² + μ²/s² − 1 − log v + log s²).
    let s2 = 1.5 * 1.5
    for row in 0..<2 {
      var expected = 0.0
      for j in 0..<2 {
        let m = Double(mu[row * 2 + j]), v = exp(Double(lv[row * 2 + j]))
        expected += 0.5 * (v / s2 + m * m / s2 - 1 - log(v) + log(s2))
      }
      #expect(abs(Double(kl[row]) - expected) < 1e-5 * max(1, expected), "row \(row): \(kl[row]) against \(expected)")
      // E_q[log q(z) − log p(z)] from 200 000 draws: within 4 standard errors.
      var rng = RandomGenerator(seed: UInt64(row + 1))
      var sum = 0.0, sumSq = 0.0
      let n = 200_000
      for _ in 0..<n {
        var term = 0.0
        for j in 0..<2 {
          let m = Double(mu[row * 2 + j]), v = exp(Double(lv[row * 2 + j])), e = Double(rng.normal())
          let z = m + v.squareRoot() * e
          term += (-e * e / 2 - log(v) / 2) - (-z * z / (2 * s2) - log(s2) / 2)
        }
        sum += term; sumSq += term * term
      }
      let mean = sum / Double(n), se = ((sumSq / Double(n) - mean * mean) / Double(n)).squareRoot()
      #expect(abs(mean - expected) < 4 * se, "row \(row): Monte Carlo \(mean) ± \(se), closed form \(expected)")
    }
  }

  @Test func reparameterizedElboGradientsMatchFiniteDifferences() throws {
    let vae = try Self.model()
    var rng = RandomGenerator(seed: 5)
    let x = try Tensor.randn([4, 3], using: &rng), eps = try Tensor.randn([4, 2], using: &rng)
    func loss() throws -> Double { Double(try withoutGradients { try vae.elbo(x, noise: eps).elbo.sum().item() }) }
    let grads = try gradients(of: try vae.elbo(x, noise: eps).elbo.sum(), wrt: vae.parameters)
    try expectWeightGradientsMatchFiniteDifferences(vae.parameters, grads, rng: &rng, loss: loss)
  }

  @Test func convEncoderMirrorsTheGenerator() throws {
    var rng = RandomGenerator(seed: 3)
    for size in [8, 28, 32] {
      let e = try GaussianEncoder(latent: 5, imageSize: size, channels: 3, ndf: 4, using: &rng)
      let q = try e(try Tensor.randn([2, 3, size, size], using: &rng))
      #expect(q.mean.shape == [2, 5] && q.logVariance.shape == [2, 5], "size \(size)")
    }
    let e = try GaussianEncoder(latent: 5, imageSize: 8, channels: 3, ndf: 4, using: &rng)
    #expect(throws: LatentEBMError.self) { try e(try Tensor.randn([2, 3, 9, 9], using: &rng)) }
    #expect(throws: LatentEBMError.self) { try GaussianEncoder(latent: 5, imageSize: 10, channels: 3, ndf: 4, using: &rng) }
  }

  /// x = W z + b + N(0, σ² I) with z ~ N(0, σ0² I) and W's columns orthogonal: the posterior is
  /// N(m(x), S) with S = (WᵀW/σ² + I/σ0²)⁻¹ diagonal and m(x) = S Wᵀ(x − b)/σ². A linear encoder
  /// can represent it exactly, so maximising the ELBO over φ (the generator held fixed) must find it.
  @Test func onALinearGaussianModelTheEncoderFindsTheTruePosterior() throws {
    var rng = RandomGenerator(seed: 21)
    let sigma: Float = 0.5, s0: Float = 1
    let vae = try VAE(encoder: GaussianEncoder(latent: 2, input: 3, hidden: [], using: &rng),
                      generator: Generator(latent: 2, hidden: [], output: 3, using: &rng), sigma: sigma, priorSigma: s0)
    // W = [[1, 0], [0, 2], [0, 0]] (orthogonal columns of norms 1 and 2), b = [0.5, −0.5, 1].
    let linear = try #require(vae.generator.layers.first as? Linear)
    try assign(linear.weight, from: Tensor(shape: [3, 2], scalars: [1, 0, 0, 2, 0, 0]))
    try assign(try #require(linear.bias), from: Tensor([0.5, -0.5, 1]))
    let variances = [1 / (1 / (sigma * sigma) + 1 / (s0 * s0)), 1 / (4 / (sigma * sigma) + 1 / (s0 * s0))]
    // Data from the model itself.
    func draw(_ n: Int) throws -> Tensor {
      let z = try Tensor.randn([n, 2], using: &rng) * s0
      return try withoutGradients { try vae.generator(z) + Tensor.randn([n, 3], using: &rng) * sigma }
    }
    let data = try draw(2000), test = try draw(200)
    let opt = try Adam(vae.encoder.parameters, learningRate: 2e-2)
    for step in 0..<4000 {
      let start = (step * 100) % 2000
      let x = try data.slice(axis: 0, start: start, end: start + 100)
      let e = try vae.elbo(x, noise: try Tensor.randn([100, 2], using: &rng))
      try opt.step(try gradients(of: try e.elbo.mean() * -1, wrt: opt.parameters))
      if step == 2000 || step == 3000 { opt.learningRate /= 10 }
    }
    let q = try vae.encoder(test)
    let t = test.scalars, mu = q.mean.scalars, lv = q.logVariance.scalars
    var meanError: Float = 0
    for i in 0..<200 {
      // m = S Wᵀ(x − b)/σ²: coordinate 0 reads x₀ − 0.5 (column norm 1), coordinate 1 reads 2(x₁ + 0.5).
      let m0 = variances[0] * (t[i * 3] - 0.5) / (sigma * sigma), m1 = variances[1] * 2 * (t[i * 3 + 1] + 0.5) / (sigma * sigma)
      meanError = max(meanError, abs(mu[i * 2] - m0), abs(mu[i * 2 + 1] - m1))
      for j in 0..<2 {
        let ratio = exp(lv[i * 2 + j]) / variances[j]
        #expect(abs(ratio - 1) < 0.1, "row \(i), coordinate \(j): variance \(exp(lv[i * 2 + j])) against \(variances[j])")
      }
    }
    // The posterior standard deviations are 0.45 and 0.24: a mean error under 0.05 is a fifth of the
    // smaller (one run here: 0.008).
    #expect(meanError < 0.05, "largest error of the posterior mean: \(meanError)")
  }

  @Test func trainingRaisesTheElboAndImportanceSamplingBoundsIt() throws {
    let vae = try Self.model(hidden: [16])
    var rng = RandomGenerator(seed: 8)
    let data = try Tensor.randn([400, 3], using: &rng) * 0.5
    let trainer = try VAETrainer(model: vae, learningRate: 5e-3, seed: 1)
    let epochs = try trainer.fit(data, epochs: 30, batchSize: 50)
    #expect(epochs.last!.loss < epochs.first!.loss, "loss \(epochs.first!.loss) → \(epochs.last!.loss)")
    // log p(x) ≥ ELBO in expectation; the importance-sampled estimate with many draws sits above the
    // one-draw ELBO averaged over draws.
    let x = try data.slice(axis: 0, start: 0, end: 50)
    let is1000 = try vae.importanceSampledLogLikelihood(x, samples: 1000, using: &rng).reduce(0, +) / 50
    var elbo = 0.0
    for _ in 0..<200 { elbo += Double(try withoutGradients { try vae.elbo(x, noise: Tensor.randn([50, 2], using: &rng)).elbo.mean().item() }) }
    elbo /= 200
    #expect(is1000 > elbo, "importance-sampled log p(x) \(is1000) should exceed the mean ELBO \(elbo)")
  }

  /// A trained VAE saved and read back gives the same codes and samples, and continues training
  /// exactly as the original does; a file whose record does not match its weights is refused.
  @Test func checkpointsRoundTripAndContinue() throws {
    let dir = NSTemporaryDirectory() + "lebm-vae-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var rng = RandomGenerator(seed: 4)
    let vae = try VAE(encoder: GaussianEncoder(latent: 3, imageSize: 8, channels: 1, ndf: 2, using: &rng),
                      generator: Generator(latent: 3, imageSize: 8, channels: 1, ngf: 2, using: &rng), sigma: 0.4)
    let data = try Tensor.randn([40, 1, 8, 8], using: &rng).tanh()
    let trainer = try VAETrainer(model: vae, learningRate: 3e-3, seed: 9)
    _ = try trainer.fit(data, epochs: 2, batchSize: 10)
    let path = dir + "/v.safetensors"
    try Checkpoint.save(vae, trainer: trainer, learningRate: 3e-3, to: path)
    #expect(try Checkpoint.holdsVAE(path))
    let back = try Checkpoint.readVAE(path)
    #expect(back.learningRate == 3e-3 && back.trainer?.step == 8)
    let x = try data.slice(axis: 0, start: 0, end: 5)
    #expect(try vae.encoder(x).mean.scalars == back.model.encoder(x).mean.scalars)
    #expect(try vae.reconstruct(x).scalars == back.model.reconstruct(x).scalars)
    // One more step from the same random state: the same weights after it.
    let copy = try #require(back.trainer)
    copy.rng = trainer.rng
    _ = try trainer.step(x)
    _ = try copy.step(x)
    #expect(zip(vae.parameters, back.model.parameters).allSatisfy { $0.scalars == $1.scalars })
    // A latent EBM's reader and a VAE's refuse each other's files by name.
    #expect(throws: LatentEBMError.self) { try Checkpoint.read(path) }
    let ebmPath = dir + "/m.safetensors"
    try Checkpoint.save(try LatentEBM(energy: nil, generator: Generator(latent: 2, hidden: [3], output: 2, using: &rng)), to: ebmPath)
    #expect(try !Checkpoint.holdsVAE(ebmPath))
    #expect(throws: LatentEBMError.self) { try Checkpoint.readVAE(ebmPath) }
  }
}
