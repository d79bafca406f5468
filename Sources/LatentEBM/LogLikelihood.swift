// The model's log-likelihood by annealed importance sampling (Neal, 2001): log Z(α) of the tilted
// prior and the marginal likelihood of each example, with their standard errors.
import Engine
import Glibc

/// Settings of an annealed importance sampling run.
public struct AISConfig: Equatable, Sendable {
  /// T, the number of intermediate distributions (one MALA step at each).
  public var steps: Int
  /// Chains per example (and for log Z: `chains × 64`, at least 256).
  public var chains: Int
  /// The MALA step size at the start; each chain adapts its own towards about half its
  /// proposals accepted.
  public var stepSize: Float

  public init(steps: Int = 500, chains: Int = 16, stepSize: Float = 0.1) {
    self.steps = steps; self.chains = chains; self.stepSize = stepSize
  }

  func validate() throws {
    guard (1...1_000_000).contains(steps), (1...100_000).contains(chains), stepSize > 0, stepSize.isFinite else {
      throw LatentEBMError.invalidArgument("annealing needs 1…10⁶ steps, 1…10⁵ chains and a positive step size, got \(steps), \(chains), \(stepSize)")
    }
  }
}

/// An estimate of log p(x) for each example, with what it is made of.
public struct LogLikelihoodEstimate: Sendable {
  /// log p(xᵢ) in nats.
  public var perExample: [Double]
  /// The Monte Carlo standard error of each (its chains' weights, and log Z's).
  public var standardErrors: [Double]
  /// log Z(α) = log E_{N(0, σ0² I)}[exp(−E_α(z))] and its standard error (0 and 0 for the
  /// Gaussian prior).
  public var logPartition: Double, logPartitionError: Double
  /// The dimension D of one example.
  public var dimensions: Int

  public init(perExample: [Double], standardErrors: [Double], logPartition: Double, logPartitionError: Double, dimensions: Int) {
    self.perExample = perExample; self.standardErrors = standardErrors
    self.logPartition = logPartition; self.logPartitionError = logPartitionError; self.dimensions = dimensions
  }

  /// The mean of log p(xᵢ) over the examples.
  public var mean: Double { perExample.reduce(0, +) / Double(Swift.max(perExample.count, 1)) }

  /// The standard error of ``mean``: the spread over the examples and the sampling error of the
  /// estimates, added in quadrature.
  public var meanError: Double {
    let n = Double(perExample.count), m = mean
    guard n > 1 else { return standardErrors.first ?? 0 }
    let spread = perExample.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1) / n
    let sampling = standardErrors.reduce(0) { $0 + $1 * $1 } / (n * n)
    return (spread + sampling).squareRoot()
  }

  /// Bits per dimension for images with values v ∈ [0, 255] mapped to x = v/127.5 − 1:
  /// `−(log p(x) − D·ln 127.5) / (D·ln 2)` (the density of v, without dequantisation).
  public var bitsPerDimension: Double {
    -(mean - Double(dimensions) * log(127.5)) / (Double(dimensions) * log(2.0))
  }
}

extension LatentEBM {
  /// log Z(α), the log normaliser of the tilted prior `exp(−E_α(z))·N(z; 0, σ0² I)`, by AIS from
  /// N(0, σ0² I) through `exp(−β_t E_α(z))·N(z; 0, σ0² I)`; exactly 0 for the Gaussian prior.
  public func logPartition(_ config: AISConfig = AISConfig(), using rng: inout RandomGenerator) throws -> (value: Double, error: Double) {
    try config.validate()
    guard let e = energyNet else { return (0, 0) }
    let logW = try annealedLogWeights(groups: 1, chains: Swift.max(256, config.chains * 64), config: config, using: &rng) { _ in
      { z in try -e(z) }
    }
    return meanOfExp(logW[...])
  }

  /// log p(x) for each row of x by annealed importance sampling:
  ///
  /// `log p(x) = log ∫ exp(−E_α(z)) p_β(x | z) N(z; 0, σ0² I) dz − log Z(α)`,
  ///
  /// the integral by AIS from N(0, σ0² I) to the unnormalised posterior through
  /// `[exp(−E_α(z)) p_β(x | z)]^β_t · N(z; 0, σ0² I)` (`chains` chains per example, one MALA step
  /// at each of `steps` temperatures on a sigmoid schedule), and log Z(α) by ``logPartition(_:using:)``.
  /// With p_β(x | z) = N(x; g_β(z), σ² I), or the text generator's categorical likelihood
  /// (``negativeLogLikelihood(_:given:constant:)``).
  public func logLikelihood(_ x: Tensor, config: AISConfig = AISConfig(), using rng: inout RandomGenerator) throws -> LogLikelihoodEstimate {
    try config.validate()
    try checkData(x, "x")
    let n = x.shape[0], c = config.chains, d = generator.outputShape.reduce(1, *)
    guard n > 0 else { throw LatentEBMError.invalidArgument("x holds no examples") }
    let (logZ, logZError) = try logPartition(config, using: &rng)
    let flat = try x.reshaped([n, d])
    let logW = try annealedLogWeights(groups: n, chains: c, config: config, using: &rng) { k in
      let xr = try flat.gather((0..<(n * k)).map { $0 / k })
      return { z in try self.energy(z) * -1 - self.negativeLogLikelihood(xr, given: z, constant: true) }
    }
    var estimate = LogLikelihoodEstimate(perExample: [], standardErrors: [], logPartition: logZ, logPartitionError: logZError, dimensions: d)
    for i in 0..<n {
      let (v, se) = meanOfExp(logW[(i * c)..<((i + 1) * c)])
      estimate.perExample.append(v - logZ)
      estimate.standardErrors.append((se * se + logZError * logZError).squareRoot())
    }
    return estimate
  }

  /// The log AIS weights of `chains` chains for each of `groups` targets, from N(0, σ0² I) to
  /// `exp(ℓ(z))·N(z; 0, σ0² I)`: `log w = Σ_t (β_t − β_{t−1}) ℓ(z_{t−1})`, each chain moved at
  /// every β_t by one Metropolis-adjusted Langevin step that leaves `exp(β_t ℓ(z))·N(z; 0, σ0² I)`
  /// invariant. `ell(k)` gives ℓ for `groups × k` rows, the rows of group i at `i·k ..< (i+1)·k`.
  ///
  /// The step sizes come from a pilot run of 4 chains per group that adapts each chain's step
  /// towards about half its proposals accepted; the real run uses their geometric mean per group
  /// and temperature, fixed in advance, so its kernels do not depend on its own chains and the
  /// weights stay unbiased (adapting on the chains themselves biased log Z by 0.03 in 2-D).
  func annealedLogWeights(
    groups: Int, chains: Int, config: AISConfig, using rng: inout RandomGenerator, _ ell: (Int) throws -> (Tensor) throws -> Tensor
  ) throws -> [Double] {
    let pilotChains = 4
    var schedule: [[Float]] = []
    _ = try annealingRun(groups: groups, chains: pilotChains, config: config, steps: nil, record: &schedule, using: &rng, try ell(pilotChains))
    return try annealingRun(groups: groups, chains: chains, config: config, steps: schedule, record: &schedule, using: &rng, try ell(chains))
  }

  /// One AIS run; with `steps` nil each chain adapts its step size and `record` receives each
  /// group's geometric mean per temperature, otherwise chain r of group i uses `steps[t][i]`.
  private func annealingRun(
    groups: Int, chains: Int, config: AISConfig, steps fixed: [[Float]]?, record: inout [[Float]],
    using rng: inout RandomGenerator, _ ell: (Tensor) throws -> Tensor
  ) throws -> [Double] {
    let rows = groups * chains, invVar0 = 1 / (priorSigma * priorSigma)
    var z = try initialLatents(rows, std: priorSigma, using: &rng)
    var (l, g) = try valueAndGradient(ell, z)
    var logW = [Double](repeating: 0, count: rows), step = [Float](repeating: config.stepSize, count: rows)
    var previous: Float = 0
    if fixed == nil { record = [] }
    for t in 1...config.steps {
      try Interrupt.check()
      let beta = sigmoidSchedule(t, config.steps)
      for r in 0..<rows { logW[r] += Double(beta - previous) * Double(l[r]) }
      previous = beta
      if let fixed { for r in 0..<rows { step[r] = fixed[t - 1][r / chains] } } else {
        record.append((0..<groups).map { i in
          exp((0..<chains).reduce(Float(0)) { $0 + log(step[i * chains + $1]) } / Float(chains))
        })
      }
      let accepted = try malaStep(&z, &l, &g, beta: beta, steps: step, invVar0: invVar0, using: &rng, ell)
      if fixed == nil { for r in 0..<rows { step[r] *= accepted[r] ? 1.02 : 0.98 } }
    }
    return logW
  }

  /// One Metropolis-adjusted Langevin step for every row of z on `U(z) = −β ℓ(z) + ‖z‖²/(2σ0²)`:
  /// the proposal `z' = z − (s²/2)∇U(z) + s ξ`, accepted with probability
  /// `min(1, exp(U(z) − U(z')) q(z | z') / q(z' | z))`. `l` and `g` hold ℓ and ∇ℓ at z.
  private func malaStep(
    _ z: inout Tensor, _ l: inout [Float], _ g: inout [Float], beta: Float, steps: [Float], invVar0: Float,
    using rng: inout RandomGenerator, _ ell: (Tensor) throws -> Tensor
  ) throws -> [Bool] {
    let rows = z.shape[0], d = latent, zs = z.scalars
    var noise = [Float](repeating: 0, count: rows * d)
    noise.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: rows * d) }
    var proposal = [Float](repeating: 0, count: rows * d)
    for r in 0..<rows {
      let s = steps[r]
      for j in 0..<d {
        let k = r * d + j
        proposal[k] = zs[k] - s * s / 2 * (-beta * g[k] + invVar0 * zs[k]) + s * noise[k]
      }
    }
    let (lp, gp) = try valueAndGradient(ell, try Tensor(shape: [rows, d], scalars: proposal))
    var next = zs, accepted = [Bool](repeating: false, count: rows)
    for r in 0..<rows {
      let s = steps[r]
      var uOld = -beta * l[r], uNew = -beta * lp[r], qForward: Float = 0, qBackward: Float = 0
      for j in 0..<d {
        let k = r * d + j
        uOld += invVar0 * zs[k] * zs[k] / 2; uNew += invVar0 * proposal[k] * proposal[k] / 2
        let f = proposal[k] - zs[k] + s * s / 2 * (-beta * g[k] + invVar0 * zs[k])
        let b = zs[k] - proposal[k] + s * s / 2 * (-beta * gp[k] + invVar0 * proposal[k])
        qForward += f * f; qBackward += b * b
      }
      let logAccept = (uOld - uNew) + (qForward - qBackward) / (2 * s * s)
      if logAccept.isFinite && log(Swift.max(rng.uniform(), 1e-30)) < logAccept {
        accepted[r] = true
        l[r] = lp[r]
        for j in 0..<d { next[r * d + j] = proposal[r * d + j]; g[r * d + j] = gp[r * d + j] }
      }
    }
    z = try Tensor(shape: [rows, d], scalars: next)
    return accepted
  }
}

/// ℓ(z) per row and its gradient with respect to z, as flat arrays.
func valueAndGradient(_ ell: (Tensor) throws -> Tensor, _ z: Tensor) throws -> ([Float], [Float]) {
  let zt = z.detached().requiringGrad()
  let l = try ell(zt)
  let g = try gradients(of: l.sum(), wrt: [zt])[0]
  return (l.scalars, g.scalars)
}

/// β_t on a sigmoid schedule from 0 to 1 (Grosse et al., 2015): more temperatures near both ends,
/// where the weights change fastest.
func sigmoidSchedule(_ t: Int, _ steps: Int) -> Float {
  func s(_ u: Double) -> Double { 1 / (1 + exp(-8 * (u - 0.5))) }
  let lo = s(0), hi = s(1)
  return Float((s(Double(t) / Double(steps)) - lo) / (hi - lo))
}

/// `log mean exp(v)` of log weights and its standard error by the delta method,
/// `sd(w) / (√n · mean(w))`, computed with the weights scaled by the largest.
func meanOfExp(_ v: ArraySlice<Double>) -> (value: Double, error: Double) {
  guard let top = v.max(), top.isFinite else { return (-.infinity, .infinity) }
  let w = v.map { exp($0 - top) }, n = Double(w.count)
  let mean = w.reduce(0, +) / n
  let variance = n > 1 ? w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
  return (top + log(mean), (variance / n).squareRoot() / mean)
}
