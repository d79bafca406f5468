import Engine

/// Settings of a short-run Langevin chain.
public struct LangevinConfig: Equatable, Sendable {
  /// K, the number of steps.
  public var steps: Int
  /// s (δ), the step size: drift `s²/2 · ∇`, noise `s · N(0, I)`.
  public var stepSize: Float
  /// Whether to add the noise term (off gives gradient descent on the energy).
  public var noise: Bool = true
  /// σ_init: chains not given a start begin at z ~ N(0, σ_init² I).
  public var initStd: Float = 1

  public init(steps: Int, stepSize: Float, noise: Bool = true, initStd: Float = 1) {
    self.steps = steps; self.stepSize = stepSize; self.noise = noise; self.initStd = initStd
  }

  /// The reference's prior chain: K⁻ = 60, s⁻ = 0.4.
  public static let prior = LangevinConfig(steps: 60, stepSize: 0.4)
  /// The reference's posterior chain: K⁺ = 20, s⁺ = 0.1.
  public static let posterior = LangevinConfig(steps: 20, stepSize: 0.1)

  func validate(_ op: String) throws {
    guard steps >= 0 else { throw LatentEBMError.invalidArgument("\(op): 'steps' must be a non-negative integer, got \(steps)") }
    guard stepSize > 0, stepSize.isFinite else {
      throw LatentEBMError.invalidArgument("\(op): 'step' must be a positive number, got \(stepSize)")
    }
    guard initStd >= 0, initStd.isFinite else {
      throw LatentEBMError.invalidArgument("\(op): 'init_std' must be ≥ 0, got \(initStd)")
    }
  }
}

/// What one Langevin step did, averaged over the chains.
public struct LangevinStepStats: Equatable, Sendable {
  public var step: Int
  /// Mean of the chain's total energy (the potential it descends) before the step.
  public var energy: Float
  /// Mean per-chain norm of ∇z E_α(z).
  public var gradEnergy: Float
  /// Mean per-chain norm of ∇z ‖z‖²/(2σ0²) = z/σ0².
  public var gradPrior: Float
  /// Mean per-chain norm of ∇z ‖x − g(z)‖²/(2σ²) (0 for prior chains).
  public var gradLikelihood: Float
  /// Mean per-chain ‖z_{t+1} − z_t‖.
  public var displacement: Float
}

/// The per-step record of a chain run with diagnostics on, and its summary. Pass one to a sampler
/// to fill it.
public final class LangevinTrace {
  public var steps: [LangevinStepStats] = []
  /// Mean ‖z_K − z_0‖ over chains.
  public var totalDisplacement: Float = 0
  public init() {}
  /// The first and last mean energies.
  public var summary: String {
    guard let a = steps.first, let b = steps.last else { return "no steps" }
    return "\(steps.count) steps: energy \(formatScalar(a.energy)) → \(formatScalar(b.energy)), " +
      "mean step \(formatScalar(steps.map(\.displacement).reduce(0, +) / Float(steps.count))), total displacement \(formatScalar(totalDisplacement))"
  }
}

/// Mean over rows of the per-row L2 norm of a `[N, d]` buffer.
func meanRowNorm(_ p: UnsafeBufferPointer<Float>, rows: Int) -> Float {
  guard rows > 0 else { return 0 }
  let d = p.count / rows
  var total: Double = 0
  for r in 0..<rows {
    var s: Float = 0
    for j in 0..<d { s += p[r * d + j] * p[r * d + j] }
    total += Double(s.squareRoot())
  }
  return Float(total / Double(rows))
}

extension LatentEBM {
  /// z ~ N(0, σ_init² I), `[n, latent]`.
  public func initialLatents(_ n: Int, std: Float = 1, using rng: inout RandomGenerator) throws -> Tensor {
    guard n >= 0 else { throw LatentEBMError.invalidArgument("initial z: the number of chains must be ≥ 0, got \(n)") }
    return try Tensor.randn([n, latent], using: &rng) * std
  }

  /// Short-run Langevin on the prior p_α(z), starting from `start`:
  ///
  /// `z ← z − (s²/2) · ∇z[ E_α(z) + ‖z‖²/(2σ0²) ] + s · N(0, I)`
  ///
  /// Only ∇z is computed; no weight gradients. Polls ``Interrupt`` between steps.
  public func samplePrior(
    from start: Tensor, config: LangevinConfig = .prior, using rng: inout RandomGenerator, trace: LangevinTrace? = nil
  ) throws -> Tensor {
    try config.validate("sample_prior")
    try checkLatent(start, "sample_prior")
    return try langevin(start: start, x: nil, config: config, rng: &rng, trace: trace)
  }

  /// Short-run Langevin on the posterior p(z | x) ∝ p_β(x | z) p_α(z), starting from `start`
  /// (one chain per row of x):
  ///
  /// `z ← z − (s²/2) · ∇z[ ‖x − g_β(z)‖²/(2σ²) + E_α(z) + ‖z‖²/(2σ0²) ] + s · N(0, I)`
  public func samplePosterior(
    _ x: Tensor, from start: Tensor, config: LangevinConfig = .posterior, using rng: inout RandomGenerator,
    trace: LangevinTrace? = nil
  ) throws -> Tensor {
    try config.validate("sample_posterior")
    try checkLatent(start, "sample_posterior")
    try checkData(x, "sample_posterior")
    guard x.shape[0] == start.shape[0] else {
      throw LatentEBMError.shape("sample_posterior: \(x.shape[0]) data rows but \(start.shape[0]) starting z")
    }
    return try langevin(start: start, x: x.reshaped([x.shape[0]] + generator.outputShape), config: config, rng: &rng, trace: trace)
  }

  /// The shared Langevin loop; `x == nil` runs the prior chain.
  private func langevin(
    start: Tensor, x: Tensor?, config: LangevinConfig, rng: inout RandomGenerator, trace: LangevinTrace?
  ) throws -> Tensor {
    let n = start.shape[0], d = latent, count = n * d
    let s = config.stepSize, drift = s * s / 2, invVar0 = 1 / (priorSigma * priorSigma)
    let likScale = 1 / (2 * sigma * sigma)
    var z = start.copy()
    let noise = try Tensor.zeros([n, d])
    let z0 = start.copy()
    for step in 0..<config.steps {
      try Interrupt.check()
      let zt = z.detached().requiringGrad()
      var gE: Tensor? = nil, gL: Tensor? = nil, total: Tensor
      var energyMean: Float = 0
      if trace != nil {
        // Separate passes, so each term's gradient norm can be reported.
        if let e = energyNet {
          let en = try e(zt)
          energyMean = try en.mean().item()
          gE = try gradients(of: try en.sum(), wrt: [zt])[0]
        }
        if let x {
          let lik = try (x - generator(zt)).square().sum() * likScale
          energyMean += try lik.item() / Float(n)
          gL = try gradients(of: lik, wrt: [zt])[0]
        }
        total = try [gE, gL].compactMap { $0 }.reduce(Tensor.zeros([n, d])) { try $0 + $1 }
      } else {
        var objective: Tensor? = nil
        if let e = energyNet { objective = try e(zt).sum() }
        if let x {
          let lik = try (x - generator(zt)).square().sum() * likScale
          objective = try objective.map { try $0 + lik } ?? lik
        }
        total = try objective.map { try gradients(of: $0, wrt: [zt])[0] } ?? Tensor.zeros([n, d])
      }
      if config.noise { noise.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: count) } }
      let next = try Tensor.make([n, d]) { np in
        z.withUnsafeBufferPointer { zb in
          total.withUnsafeBufferPointer { gb in
            noise.withUnsafeBufferPointer { eb in
              let amp: Float = config.noise ? s : 0
              for i in 0..<count { np[i] = zb[i] - drift * (gb[i] + invVar0 * zb[i]) + amp * eb[i] }
            }
          }
        }
      }
      if let trace {
        var st = LangevinStepStats(step: step + 1, energy: energyMean, gradEnergy: 0, gradPrior: 0, gradLikelihood: 0, displacement: 0)
        z.withUnsafeBufferPointer { zb in
          let prior = zb.reduce(Float(0)) { $0 + $1 * $1 } * invVar0 / 2 / Float(Swift.max(n, 1))
          st.energy += prior
          st.gradPrior = meanRowNorm(zb, rows: n) * invVar0
        }
        if let gE { st.gradEnergy = gE.withUnsafeBufferPointer { meanRowNorm($0, rows: n) } }
        if let gL { st.gradLikelihood = gL.withUnsafeBufferPointer { meanRowNorm($0, rows: n) } }
        let dz = try next - z
        st.displacement = dz.withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
        trace.steps.append(st)
      }
      z = next
    }
    if let trace {
      let dz = try z - z0
      trace.totalDisplacement = dz.withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
    }
    return z
  }
}
