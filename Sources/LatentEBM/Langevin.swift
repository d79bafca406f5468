// Short-run Langevin dynamics on the prior and the posterior: the two samplers of the method.
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
  /// T, the temperature: the chain samples exp(−U(z)/T) instead of exp(−U(z)), i.e. its drift is
  /// `(s²/2) · ∇U / T` while the noise stays `s · ξ`. For the prior, U = E_α + ‖z‖²/(2σ0²), so
  /// T < 1 samples p_α(z)^(1/T) (normalised): sharper modes, less mass between them. 1 is the method.
  public var temperature: Float = 1

  public init(steps: Int, stepSize: Float, noise: Bool = true, initStd: Float = 1) {
    self.steps = steps; self.stepSize = stepSize; self.noise = noise; self.initStd = initStd
  }

  /// The reference's prior chain: K⁻ = 60, s⁻ = 0.4.
  public static let prior = LangevinConfig(steps: 60, stepSize: 0.4)
  /// The reference's posterior chain: K⁺ = 20, s⁺ = 0.1.
  public static let posterior = LangevinConfig(steps: 20, stepSize: 0.1)

  /// The most steps a chain may take (a typo of a few zeros should not run for days).
  public static let maximumSteps = 100_000

  /// Checks K, s and σ_init; `chain` names the chain in messages ("prior chains").
  func validate(_ chain: String) throws {
    guard steps >= 0, steps <= Self.maximumSteps else {
      throw LatentEBMError.invalidArgument("\(chain): the number of steps K must be in 0…\(Self.maximumSteps), got \(steps)")
    }
    guard stepSize > 0, stepSize.isFinite else {
      throw LatentEBMError.invalidArgument("\(chain): the step size s must be a positive number, got \(stepSize)")
    }
    guard initStd >= 0, initStd.isFinite else {
      throw LatentEBMError.invalidArgument("\(chain): σ_init must be ≥ 0, got \(initStd)")
    }
    guard temperature > 0, temperature.isFinite else {
      throw LatentEBMError.invalidArgument("\(chain): the temperature T must be a positive number, got \(temperature)")
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
    guard n >= 0 else { throw LatentEBMError.invalidArgument("the number of chains must be ≥ 0, got \(n)") }
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
    try config.validate("prior chains")
    try checkLatent(start, "the prior chains' start")
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
    try config.validate("posterior chains")
    try checkLatent(start, "the posterior chains' start")
    try checkData(x, "x")
    guard x.shape[0] == start.shape[0] else {
      throw LatentEBMError.shape("posterior chains: \(x.shape[0]) data rows but \(start.shape[0]) starting z")
    }
    return try langevin(start: start, x: x.reshaped([x.shape[0]] + generator.outputShape), config: config, rng: &rng, trace: trace)
  }

  /// The shared Langevin loop; `x == nil` runs the prior chain.
  ///
  /// Every chain draws its noise from a stream of its own (seeded from `rng`, one per row), so the
  /// chains can be shared among threads without changing a number: with several threads the rows
  /// are cut into one block per thread and each block runs all K steps on its own core, its
  /// products single-threaded (one hand-over per call instead of one per product). Each block runs
  /// on a workspace of buffers and planned networks kept between calls: no graph and no allocation
  /// per step. Diagnostics and custom energies run as one block.
  private func langevin(
    start: Tensor, x: Tensor?, config: LangevinConfig, rng: inout RandomGenerator, trace: LangevinTrace?
  ) throws -> Tensor {
    let n = start.shape[0], d = latent
    if n == 0 || config.steps == 0 { return start.copy() }
    // One random stream per chain: 32 bytes each, counted against the engine's cap as 8 values.
    try MemoryLimit.check(n * MemoryLayout<RandomGenerator>.stride / 4, op: "chains' random streams")
    var streams = (0..<n).map { _ in RandomGenerator(seed: rng.next()) }
    let result = start.copy()
    let planned = energyNet == nil || energyNet?.plannedLayers != nil
    let parts = trace == nil && planned && canRunConcurrently ? Swift.min(Threads.count, n / LatentEBM.minimumChainsPerThread) : 1
    let xRow = generator.outputShape.reduce(1, *)
    try result.withUnsafeMutableBufferPointer { zb in
      try streams.withUnsafeMutableBufferPointer { sb in
        try x.withUnsafeBufferPointerIfPresent { xb in
          let z = zb.baseAddress!
          if parts <= 1 {
            try runChains(z, x: xb?.baseAddress, rows: n, streams: sb.baseAddress!, config: config, trace: trace)
          } else {
            try runConcurrently(parts) { p in
              let r0 = n * p / parts, r1 = n * (p + 1) / parts
              try runChains(z + r0 * d, x: xb.map { $0.baseAddress! + r0 * xRow }, rows: r1 - r0, streams: sb.baseAddress! + r0,
                            config: config, trace: nil)
            }
          }
        }
      }
    }
    if let trace {
      let dz = try result - start
      trace.totalDisplacement = dz.withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
    }
    return result
  }

  /// Chains in a block smaller than this are not split further among threads.
  static let minimumChainsPerThread = 8

  /// K Langevin steps of `rows` chains, in place on `z` (`[rows, latent]`), with data `x` for
  /// posterior chains; row r draws its noise from `streams[r]`.
  private func runChains(
    _ z0: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>?, rows n: Int, streams: UnsafeMutablePointer<RandomGenerator>,
    config: LangevinConfig, trace: LangevinTrace?
  ) throws {
    let d = latent, count = n * d
    let ws = try checkoutWorkspace(posterior: x != nil, batch: n)
    // The weights stay fixed for the K steps: pack them once for all the chain's products.
    ws.energy?.packWeights(); ws.generator?.packWeights()
    defer {
      ws.energy?.unpackWeights(); ws.generator?.unpackWeights()
      checkinWorkspace(ws)
    }
    // At temperature T the drift is (s²/2)·∇U/T (exactly s²/2 at T = 1); the noise stays s·ξ.
    let s = config.stepSize, drift = s * s / 2 / config.temperature, invVar0 = 1 / (priorSigma * priorSigma)
    let invVar = 1 / (sigma * sigma), amp: Float = config.noise ? s : 0
    var z = ws.z, next = ws.next
    z.update(from: z0, count: count)
    if let x, let text = ws.text { try text.setTokens(x) }
    let hasE = energyNet != nil, hasL = x != nil
    for step in 0..<config.steps {
      try Interrupt.check()
      var energyMean = try energyGradient(ws, at: z, rows: n, traced: trace != nil)
      if let x { energyMean += try likelihoodGradient(ws, x: x, at: z, rows: n, invVar: invVar, traced: trace != nil) }
      let gE = ws.gradE, gL = ws.gradL, noise = ws.noise
      if config.noise { for r in 0..<n { streams[r].fillNormal(noise + r * d, count: d) } }
      for i in 0..<count {
        var g = invVar0 * z[i]
        if hasE { g += gE[i] }
        if hasL { g += gL[i] }
        next[i] = z[i] - drift * g + amp * noise[i]
      }
      if let trace {
        record(step + 1, energy: energyMean, ws, z: z, next: next, rows: n, invVar0: invVar0, hasE: hasE, hasL: hasL, into: trace)
      }
      swap(&z, &next)
    }
    z0.update(from: z, count: count)
  }

  /// ∇z E(z) into `ws.gradE`, planned or (for a custom energy) through the autodiff graph; the
  /// mean energy when `traced` (else 0).
  private func energyGradient(_ ws: ChainWorkspace, at z: UnsafeMutablePointer<Float>, rows n: Int, traced: Bool) throws -> Float {
    var energyMean: Float = 0
    let count = n * latent
    if let plan = ws.energy {
      let e = plan.forward(z)
      plan.backward(ws.ones, into: ws.gradE)
      if traced { for i in 0..<n { energyMean += e[i] }; energyMean /= Float(n) }
    } else if let e = energyNet {
      let zt = try Tensor.make([n, latent]) { $0.baseAddress!.update(from: z, count: count) }.requiringGrad()
      let en = try e(zt)
      if traced { energyMean = try en.mean().item() }
      let g = try gradients(of: try en.sum(), wrt: [zt])[0]
      g.withUnsafeBufferPointer { ws.gradE.update(from: $0.baseAddress!, count: count) }
    }
    return energyMean
  }

  /// ∇z ‖x − g(z)‖²/(2σ²) = −J_gᵀ (x − g(z)) / σ² into `ws.gradL`; the mean of ‖x − g(z)‖²/(2σ²)
  /// per chain when `traced` (else 0). For a text generator, ∇z −log p_β(x | z) (its planned
  /// decoder, or the autodiff graph).
  private func likelihoodGradient(
    _ ws: ChainWorkspace, x: UnsafePointer<Float>, at z: UnsafeMutablePointer<Float>, rows n: Int, invVar: Float, traced: Bool
  ) throws -> Float {
    if let text = ws.text {
      let total = text.evaluate(z, gradient: ws.gradL)
      return traced ? total / Float(n) : 0
    }
    guard let plan = ws.generator else {
      let count = n * latent, xRow = generator.outputShape.reduce(1, *)
      let zt = try Tensor.make([n, latent]) { $0.baseAddress!.update(from: z, count: count) }.requiringGrad()
      let xt = try Tensor.make([n] + generator.outputShape) { $0.baseAddress!.update(from: x, count: n * xRow) }
      let nll = try negativeLogLikelihood(xt, given: zt)
      let g = try gradients(of: try nll.sum(), wrt: [zt])[0]
      g.withUnsafeBufferPointer { ws.gradL.update(from: $0.baseAddress!, count: count) }
      return traced ? try nll.mean().item() : 0
    }
    let outCount = generator.outputShape.reduce(1, *) * n
    let xhat = plan.forward(z)
    let residual = ws.residual
    for i in 0..<outCount { residual[i] = (xhat[i] - x[i]) * invVar }
    var term: Float = 0
    if traced {
      var lik: Float = 0
      for i in 0..<outCount { let r = xhat[i] - x[i]; lik += r * r }
      term = lik * invVar / 2 / Float(n)
    }
    plan.backward(residual, into: ws.gradL)
    return term
  }

  /// One step's diagnostics: the potential, the gradients' mean row norms and the displacement.
  /// Uses `ws.noise`, spent by then, for Δz.
  private func record(
    _ step: Int, energy: Float, _ ws: ChainWorkspace, z: UnsafeMutablePointer<Float>, next: UnsafeMutablePointer<Float>,
    rows n: Int, invVar0: Float, hasE: Bool, hasL: Bool, into trace: LangevinTrace
  ) {
    let count = n * latent, noise = ws.noise
    var st = LangevinStepStats(step: step, energy: energy, gradEnergy: 0, gradPrior: 0, gradLikelihood: 0, displacement: 0)
    var zz: Float = 0
    for i in 0..<count { zz += z[i] * z[i] }
    st.energy += zz * invVar0 / 2 / Float(n)
    st.gradPrior = meanRowNorm(UnsafeBufferPointer(start: z, count: count), rows: n) * invVar0
    if hasE { st.gradEnergy = meanRowNorm(UnsafeBufferPointer(start: ws.gradE, count: count), rows: n) }
    if hasL { st.gradLikelihood = meanRowNorm(UnsafeBufferPointer(start: ws.gradL, count: count), rows: n) }
    for i in 0..<count { noise[i] = next[i] - z[i] }
    st.displacement = meanRowNorm(UnsafeBufferPointer(start: noise, count: count), rows: n)
    trace.steps.append(st)
  }
}

extension Optional where Wrapped == Tensor {
  /// Calls `body` with the tensor's values, or with nil.
  func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafeBufferPointer<Float>?) throws -> R) rethrows -> R {
    if let t = self { return try t.withUnsafeBufferPointer { try body($0) } }
    return try body(nil)
  }
}
