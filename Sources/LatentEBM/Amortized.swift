// Amortized inference for the latent EBM: an encoder q_φ(z | x) whose samples start the posterior
// chains, the loss it learns by, and the importance-sampled log-likelihood with q_φ as proposal.
import Engine
import Glibc

extension LatentEBM {
  /// Where posterior chains on x start: z = μ_φ(x) + e^{ℓ_φ(x)/2} ⊙ ε, ε ~ N(0, I), with an
  /// encoder (no gradients reach φ: the chains treat it as a fixed start); N(0, std² I) without.
  public func posteriorStarts(_ x: Tensor, std: Float, using rng: inout RandomGenerator) throws -> Tensor {
    let n = x.shape.first ?? 0
    guard let q = encoder else { return try initialLatents(n, std: std, using: &rng) }
    let eps = try Tensor.randn([n, latent], using: &rng)
    return try withoutGradients {
      let p = try q(x)
      return try p.mean + (p.logVariance * 0.5).exp() * eps
    }
  }

  /// The encoder's loss per row: the negative ELBO under the model's own prior p_α, less the
  /// constants that do not depend on φ,
  ///
  /// `L_φ(x) = E_ε[ −log p_β(x | z) + E_α(z) + ‖z‖²/(2σ0²) ] − ½ Σ_d ℓ_d`,  z = μ + e^{ℓ/2} ⊙ ε,
  ///
  /// one reparameterized draw per row (the given noise ε `[N, latent]`). `−ELBO = L_φ + log Z(α)
  /// − (d/2) log(2πe) + …`: log Z(α) does not depend on φ, so its gradient in φ is exact without
  /// knowing Z. Minimising it pulls q_φ(z | x) towards the posterior p(z | x) in KL(q ‖ p). The
  /// graph reaches β and α too; the trainer takes only φ's gradients.
  public func encoderLoss(_ x: Tensor, noise: Tensor) throws -> Tensor {
    guard let q = encoder else { throw LatentEBMError.invalidArgument("the model has no encoder (latent_ebm(E, G, inference: q))") }
    let p = try q(x)
    let z = try p.mean + (p.logVariance * 0.5).exp() * noise
    let n = x.shape[0]
    let xb = try x.reshaped([n] + generator.outputShape)
    let entropy = try p.logVariance.sum(axes: [1]) * 0.5
    return try negativeLogLikelihood(xb, given: z) + priorEnergy(z) - entropy
  }

  /// log p(x) per row by importance sampling with q_φ as the proposal, `samples` draws a row:
  ///
  /// `log p(x) ≈ log (1/K) Σ_k exp(−E_α(z_k)) N(z_k; 0, σ0² I) p_β(x | z_k) / q_φ(z_k | x) − log Z(α)`,
  ///
  /// a stochastic lower bound on log p(x) that tightens as K grows (Burda et al. 2016), with
  /// log Z(α) from the AIS estimate ``logPartition(_:using:)`` given as `logPartition`. Returns
  /// the per-row estimates.
  public func importanceSampledLogLikelihood(
    _ x: Tensor, samples: Int, logPartition: Double, using rng: inout RandomGenerator
  ) throws -> [Double] {
    guard let q = encoder else { throw LatentEBMError.invalidArgument("importance sampling with q_φ needs an encoder (latent_ebm(E, G, inference: q))") }
    guard samples >= 1 else { throw LatentEBMError.invalidArgument("importance sampling needs at least 1 sample, got \(samples)") }
    try checkData(x, "x")
    let p = try withoutGradients { try q(x) }
    return try importanceSampledLogMeans(mean: p.mean, logVariance: p.logVariance, samples: samples, priorSigma: priorSigma, using: &rng) { z in
      let nll = try negativeLogLikelihood(x, given: z, constant: true).scalars, e = try energy(z).scalars
      return zip(nll, e).map { -Double($0) - Double($1) }
    }.map { $0 - logPartition }
  }
}

/// `log (1/K) Σ_k p(x_i | z_k) N(z_k; 0, σ0² I) / q(z_k | x_i)` per row i, z_k ~ q = N(mean, diag e^{logVariance}),
/// K = `samples`, with `logTarget(z)` giving the log of everything but the Gaussian prior and q
/// per row (the likelihood, and for a latent EBM the tilt −E_α(z)). No gradients; polls Ctrl-C.
func importanceSampledLogMeans(
  mean: Tensor, logVariance: Tensor, samples: Int, priorSigma: Float, using rng: inout RandomGenerator,
  _ logTarget: (Tensor) throws -> [Double]
) throws -> [Double] {
  try withoutGradients {
    let n = mean.shape[0], d = mean.shape[1]
    let lv = logVariance.scalars, scale = try (logVariance * 0.5).exp()
    var weights = [[Double]](repeating: [], count: n)
    let logTwoPi = log(2 * Double.pi), s0 = Double(priorSigma)
    for _ in 0..<samples {
      try Interrupt.check()
      let eps = try Tensor.randn([n, d], using: &rng)
      let z = try mean + scale * eps
      let target = try logTarget(z)
      let zs = z.scalars, es = eps.scalars
      for i in 0..<n {
        var logPrior = 0.0, logQ = 0.0
        for j in 0..<d {
          let zj = Double(zs[i * d + j]), ej = Double(es[i * d + j])
          logPrior += -zj * zj / (2 * s0 * s0) - log(s0) - logTwoPi / 2
          logQ += -ej * ej / 2 - Double(lv[i * d + j]) / 2 - logTwoPi / 2
        }
        weights[i].append(target[i] + logPrior - logQ)
      }
    }
    return weights.map { w in
      let top = w.max() ?? 0
      return top + log(w.reduce(0) { $0 + exp($1 - top) } / Double(w.count))
    }
  }
}
