// The variational autoencoder: the paper's baseline with amortized inference, over the same
// generator and Gaussian likelihood as the latent EBM.
import Engine
import Glibc

/// A VAE (Kingma & Welling 2014) with the latent EBM's generator and likelihood:
///
/// ```
/// p(z) = N(0, σ0² I),   p_β(x | z) = N(g_β(z), σ² I),   q_φ(z | x) = N(μ_φ(x), diag e^{ℓ_φ(x)})
/// ELBO(x) = E_q[log p_β(x | z)] − KL(q_φ(z | x) ‖ p(z))
/// ```
///
/// trained by the reparameterized estimate z = μ + e^{ℓ/2} ⊙ ε, ε ~ N(0, I), and the KL in
/// closed form (``kl(mean:logVariance:)``).
public final class VAE {
  public let encoder: GaussianEncoder
  public let generator: Generator
  /// σ, the likelihood's standard deviation; σ0, the prior's.
  public let sigma: Float, priorSigma: Float

  public init(encoder: GaussianEncoder, generator: Generator, sigma: Float = 0.3, priorSigma: Float = 1) throws {
    guard encoder.latent == generator.latent else {
      throw LatentEBMError.shape("vae: the encoder gives z of size \(encoder.latent), the generator takes \(generator.latent)")
    }
    guard encoder.inputShape.reduce(1, *) == generator.outputShape.reduce(1, *) else {
      throw LatentEBMError.shape("vae: the encoder reads \(formatShape(encoder.inputShape)), the generator writes \(formatShape(generator.outputShape))")
    }
    guard sigma > 0, priorSigma > 0, sigma.isFinite, priorSigma.isFinite else {
      throw LatentEBMError.invalidArgument("vae: σ and σ0 must be positive, got \(sigma) and \(priorSigma)")
    }
    self.encoder = encoder; self.generator = generator; self.sigma = sigma; self.priorSigma = priorSigma
  }

  public var latent: Int { generator.latent }
  /// The number of values in one data point, D.
  public var dimensions: Int { generator.outputShape.reduce(1, *) }
  /// The parameters of the encoder, then the generator.
  public var parameters: [Tensor] { encoder.parameters + generator.parameters }

  /// KL(N(μ, diag e^ℓ) ‖ N(0, σ0² I)) per row:
  /// `½ Σ_d (e^{ℓ_d}/σ0² + μ_d²/σ0² − 1 − ℓ_d + log σ0²)`.
  public func kl(mean: Tensor, logVariance: Tensor) throws -> Tensor {
    let s2 = priorSigma * priorSigma
    let terms = try (logVariance.exp() + mean.square()) * (1 / s2) - logVariance + (logf(s2) - 1)
    return try terms.sum(axes: [1]) * 0.5
  }

  /// `log p_β(x | z)` per row: `−‖x − g(z)‖²/(2σ²) − (D/2) log(2πσ²)`.
  public func logLikelihood(_ x: Tensor, given z: Tensor) throws -> Tensor {
    let n = x.shape[0]
    let r = try (x.reshaped([n, dimensions]) - generator(z).reshaped([n, dimensions])).square().sum(axes: [1])
    let constant = Float(Double(dimensions) / 2 * log(2 * Double.pi * Double(sigma) * Double(sigma)))
    return try r * (-1 / (2 * sigma * sigma)) - constant
  }

  /// The ELBO per row with the reparameterized sample z = μ + e^{ℓ/2} ⊙ ε for the given noise
  /// ε `[N, latent]`; differentiable in both nets' weights.
  public func elbo(_ x: Tensor, noise: Tensor) throws -> (elbo: Tensor, kl: Tensor, z: Tensor) {
    let q = try encoder(x)
    let z = try q.mean + (q.logVariance * 0.5).exp() * noise
    let kl = try kl(mean: q.mean, logVariance: q.logVariance)
    return (try logLikelihood(x, given: z) - kl, kl, z)
  }

  /// log p(x) per row by importance sampling with q_φ as the proposal, `samples` draws each:
  /// `log (1/K) Σ_k p_β(x | z_k) p(z_k) / q_φ(z_k | x)`, a stochastic lower bound that tightens
  /// as K grows (Burda et al. 2016). Returns the per-row estimates.
  public func importanceSampledLogLikelihood(_ x: Tensor, samples: Int, using rng: inout RandomGenerator) throws -> [Double] {
    guard samples >= 1 else { throw LatentEBMError.invalidArgument("importance sampling needs at least 1 sample, got \(samples)") }
    let q = try withoutGradients { try encoder(x) }
    return try importanceSampledLogMeans(mean: q.mean, logVariance: q.logVariance, samples: samples, priorSigma: priorSigma, using: &rng) { z in
      try logLikelihood(x, given: z).scalars.map(Double.init)
    }
  }

  /// The anomaly score per row (higher = more anomalous), the latent EBM's with the encoder's mean
  /// μ = μ_φ(x) as the code: the chosen ``AnomalyTerms`` of `‖x − g(μ)‖²/(2σ²) + ‖μ‖²/(2σ0²)` (a VAE
  /// has no energy term: asking for it alone gives zeros).
  public func anomalyScore(_ x: Tensor, terms: AnomalyTerms = .all) throws -> Tensor {
    try withoutGradients {
      let n = x.shape[0], mu = try encoder(x).mean
      var score = try Tensor.zeros([n])
      if terms.contains(.reconstruction) {
        let r = try (x.reshaped([n, dimensions]) - generator(mu).reshaped([n, dimensions])).square().sum(axes: [1])
        score = try score + r * (1 / (2 * sigma * sigma))
      }
      if terms.contains(.gaussian) { score = try score + mu.square().sum(axes: [1]) * (1 / (2 * priorSigma * priorSigma)) }
      return score
    }
  }

  /// g_β(μ_φ(x)): each row decoded from its code's mean.
  public func reconstruct(_ x: Tensor) throws -> Tensor {
    try withoutGradients { try generator(try encoder(x).mean).reshaped(x.shape) }
  }

  /// Samples g_β(z), z ~ N(0, σ0² I).
  public func generate(_ n: Int, using rng: inout RandomGenerator) throws -> Tensor {
    guard n > 0 else { throw LatentEBMError.invalidArgument("the number of samples must be positive, got \(n)") }
    return try withoutGradients { try generator(try Tensor.randn([n, latent], using: &rng) * priorSigma) }
  }
}

extension VAE: CustomStringConvertible {
  public var description: String {
    let e = encoder.parameters.reduce(0) { $0 + $1.count }, g = generator.parameters.reduce(0) { $0 + $1.count }
    return "VAE: z ∈ ℝ^\(latent), σ = \(formatScalar(sigma)), σ0 = \(formatScalar(priorSigma))\n"
      + "  encoder q_φ: \(encoder.summary) (\(e) parameters)\n"
      + "  generator g_β: \(generator.summary) (\(g) parameters)"
  }
}
