import Engine

/// The settings of joint training, with the reference implementation's defaults.
public struct TrainConfig: Equatable, Sendable {
  /// The prior chains (K⁻ = 60, s⁻ = 0.4).
  public var prior = LangevinConfig.prior
  /// The posterior chains (K⁺ = 20, s⁺ = 0.1).
  public var posterior = LangevinConfig.posterior
  /// Adam for the generator: lr 1e-4, betas (0.5, 0.999).
  public var lrG: Float = 1e-4
  /// Adam for the energy net: lr 2e-5, betas (0.5, 0.999).
  public var lrE: Float = 2e-5
  public var beta1: Float = 0.5
  public var beta2: Float = 0.999
  /// Exponential learning-rate decay per epoch (0.998); 1 turns it off.
  public var lrDecay: Float = 0.998
  /// λ of the optional L2 penalty `λ · (mean E(z⁺)² + mean E(z⁻)²)` on the energy loss (0: off).
  public var energyPenalty: Float = 0
  /// Optional gradient-norm clipping of each net's update (nil: off).
  public var clipG: Float? = nil
  public var clipE: Float? = nil
  /// Persistent prior chains: continue from a buffer of this many chains instead of N(0, I)
  /// (0: off, the reference's short-run restart).
  public var persistentChains: Int = 0
  /// A mean ‖z‖ above this stops training as diverged.
  public var divergenceNorm: Float = 1e3
  /// Run the posterior and prior chains at the same time on two cores, each on one thread (nil:
  /// when the generator is an MLP and the two chains cost about the same, within a factor of 3;
  /// otherwise the chains run one after the other with both cores inside each product).
  public var parallelChains: Bool? = nil

  public init() {}
}

/// What one training iteration did (the statistics the reference prints).
public struct TrainStats: Equatable, Sendable {
  public var step = 0
  /// `Σ‖x − g(z⁺)‖² / batch`.
  public var lossG: Float = 0
  /// `mean E(z⁺) − mean E(z⁻)` (plus the penalty when on).
  public var lossE: Float = 0
  /// Mean energy of posterior samples (en_pos) and of prior samples (en_neg).
  public var enPos: Float = 0
  public var enNeg: Float = 0
  /// Gradient norms of each net's loss, before clipping.
  public var gradNormG: Float = 0
  public var gradNormE: Float = 0
  /// Mean ‖z⁺‖ and ‖z⁻‖.
  public var zNormPos: Float = 0
  public var zNormNeg: Float = 0
  /// Mean ‖z_K − z_0‖ of the posterior and prior chains.
  public var dispPos: Float = 0
  public var dispNeg: Float = 0
  /// Per-pixel mean squared reconstruction error of g(z⁺).
  public var mse: Float = 0

  public init() {}

  /// The statistics as named values, in a fixed order (for histories, printing and plots).
  public var values: [(String, Float)] {
    [("loss_g", lossG), ("loss_e", lossE), ("en_pos", enPos), ("en_neg", enNeg), ("grad_g", gradNormG),
     ("grad_e", gradNormE), ("z_pos", zNormPos), ("z_neg", zNormNeg), ("disp_pos", dispPos), ("disp_neg", dispNeg), ("mse", mse)]
  }
}

/// Joint training of a latent EBM: Adam on G and E, learning-rate decay per epoch, optional
/// clipping, energy penalty and persistent chains; it stops with an error, model untouched, when
/// an iteration would diverge.
public final class Trainer {
  public let model: LatentEBM
  public let config: TrainConfig
  public let optimizerG: Adam
  public let optimizerE: Adam?
  public var rng: RandomGenerator
  /// Iterations and epochs completed.
  public internal(set) var step = 0
  public internal(set) var epoch = 0
  /// The persistent prior chains, when on.
  public internal(set) var persistent: Tensor?

  /// A trainer with new settings that continues this one: the same model, optimizer moments,
  /// step, epoch, chains and random stream (Adam's betas come from the new settings).
  public func reconfigured(_ c: TrainConfig) throws -> Trainer {
    let t = try Trainer(model: model, config: c)
    t.rng = rng; t.step = step; t.epoch = epoch; t.persistent = persistent
    try t.optimizerG.restore(firstMoments: optimizerG.firstMoments, secondMoments: optimizerG.secondMoments, stepCount: optimizerG.stepCount)
    if let e = optimizerE, let te = t.optimizerE {
      try te.restore(firstMoments: e.firstMoments, secondMoments: e.secondMoments, stepCount: e.stepCount)
    }
    let f = Float(pow(Double(c.lrDecay), Double(epoch)))
    t.optimizerG.learningRate = c.lrG * f
    t.optimizerE?.learningRate = c.lrE * f
    return t
  }

  public init(model: LatentEBM, config: TrainConfig = TrainConfig(), seed: UInt64 = 0) throws {
    try config.prior.validate("train: prior")
    try config.posterior.validate("train: posterior")
    guard config.lrDecay > 0, config.lrDecay <= 1 else {
      throw LatentEBMError.invalidArgument("train: 'lr_decay' must be in (0, 1], got \(config.lrDecay)")
    }
    guard config.energyPenalty >= 0, config.persistentChains >= 0, config.divergenceNorm > 0 else {
      throw LatentEBMError.invalidArgument("train: 'energy_penalty', 'persistent' must be ≥ 0 and 'divergence_norm' > 0")
    }
    for c in [config.clipG, config.clipE] { if let c, !(c > 0) { throw LatentEBMError.invalidArgument("train: clip values must be positive, got \(c)") } }
    self.model = model; self.config = config
    optimizerG = try Adam(model.generator.parameters, learningRate: config.lrG, beta1: config.beta1, beta2: config.beta2)
    optimizerE = try model.energyNet.map { try Adam($0.parameters, learningRate: config.lrE, beta1: config.beta1, beta2: config.beta2) }
    rng = RandomGenerator(seed: seed)
  }

  /// Ends an epoch: decays both learning rates by `lrDecay`.
  public func endEpoch() {
    epoch += 1
    let f = Float(pow(Double(config.lrDecay), Double(epoch)))
    optimizerG.learningRate = config.lrG * f
    optimizerE?.learningRate = config.lrE * f
  }

  /// One joint iteration on the batch `x` (DESIGN.md §1):
  /// z⁺ ← posterior chains on x, z⁻ ← prior chains; then Adam on G with `Σ‖x − g(z⁺)‖²/batch`
  /// and Adam on E with `mean E(z⁺) − mean E(z⁻)` (+ penalty).
  /// - Parameter start: optional starting z for the posterior chains (warm starts).
  /// - Throws: ``LatentEBMError/diverged(_:)`` before changing the model if the chains or the
  ///   gradients are not finite, or the chains run off past `divergenceNorm`.
  public func step(_ x: Tensor, start: Tensor? = nil) throws -> TrainStats {
    try iterate(x, start: start, parallel: Threads.count > 1 && (config.parallelChains ?? balancedChains))
  }

  private func iterate(_ x: Tensor, start: Tensor?, parallel: Bool) throws -> TrainStats {
    try model.checkData(x, "train_step")
    let n = x.shape[0]
    guard n > 0 else { throw LatentEBMError.invalidArgument("train_step: the batch is empty") }
    let xb = try x.reshaped([n] + model.generator.outputShape)
    var st = TrainStats()
    st.step = step + 1

    // The two chains, each with its own random stream so running them at once changes nothing.
    var rngQ = RandomGenerator(seed: rng.next()), rngP = RandomGenerator(seed: rng.next())
    let zq0 = try start ?? model.initialLatents(n, std: config.posterior.initStd, using: &rngQ)
    var zq = zq0, zp = Tensor(scalar: 0), zp0 = Tensor(scalar: 0), indices: [Int] = []
    let hasPrior = model.energyNet != nil
    if hasPrior {
      if config.persistentChains > 0 {
        if persistent == nil { persistent = try model.initialLatents(config.persistentChains, std: config.prior.initStd, using: &rngP) }
        indices = (0..<n).map { _ in rngP.int(below: config.persistentChains) }
        zp0 = try persistent!.gather(indices)
      } else {
        zp0 = try model.initialLatents(n, std: config.prior.initStd, using: &rngP)
      }
    }
    let posterior = { zq = try self.model.samplePosterior(xb, from: zq0, config: self.config.posterior, using: &rngQ) }
    let prior = { if hasPrior { zp = try self.model.samplePrior(from: zp0, config: self.config.prior, using: &rngP) } }
    if parallel {
      try runConcurrently(posterior, prior)
    } else {
      try posterior(); try prior()
    }
    if hasPrior {
      st.zNormNeg = zp.withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
      st.dispNeg = try (zp - zp0).withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
    }
    st.zNormPos = zq.withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
    st.dispPos = try (zq - zq0).withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
    try checkChains(zq, "posterior", st.zNormPos)
    if model.energyNet != nil { try checkChains(zp, "prior", st.zNormNeg) }

    // Losses and their gradients (each with respect to its own net only).
    let l = try losses(xb, posterior: zq, prior: model.energyNet == nil ? nil : zp)
    let gradG = try gradients(of: l.generator, wrt: optimizerG.parameters)
    st.lossG = try l.generator.item()
    st.mse = st.lossG / Float(model.generator.outputShape.reduce(1, *))
    st.gradNormG = gradientNorm(gradG)
    var gradE: [Tensor] = []
    if let lossE = l.energy, let optE = optimizerE {
      gradE = try gradients(of: lossE, wrt: optE.parameters)
      st.enPos = l.enPos; st.enNeg = l.enNeg; st.lossE = try lossE.item()
      st.gradNormE = gradientNorm(gradE)
    }
    guard st.lossG.isFinite, st.lossE.isFinite, st.gradNormG.isFinite, st.gradNormE.isFinite else {
      throw LatentEBMError.diverged(
        "step \(st.step): a loss or gradient is not finite (loss_g \(formatScalar(st.lossG)), loss_e \(formatScalar(st.lossE))); " +
        "the model is unchanged since step \(step). \(Trainer.remedies)")
    }

    // Updates.
    if let c = config.clipG { try clipGradientNorm(gradG, maxNorm: c) }
    try optimizerG.step(gradG)
    if let optE = optimizerE {
      if let c = config.clipE { try clipGradientNorm(gradE, maxNorm: c) }
      try optE.step(gradE)
    }
    if let buf = persistent {
      let d = model.latent
      buf.withUnsafeMutableBufferPointer { bp in
        zp.withUnsafeBufferPointer { zb in
          for (k, i) in indices.enumerated() { for j in 0..<d { bp[i * d + j] = zb[k * d + j] } }
        }
      }
    }
    step += 1
    return st
  }

  /// The two learning losses at fixed chains (DESIGN.md §1):
  /// generator `Σ‖x − g(z⁺)‖² / batch`; energy `mean E(z⁺) − mean E(z⁻)` plus the optional penalty
  /// `λ (mean E(z⁺)² + mean E(z⁻)²)`, or nil for the Gaussian prior.
  public func losses(_ x: Tensor, posterior zq: Tensor, prior zp: Tensor?) throws -> (generator: Tensor, energy: Tensor?, enPos: Float, enNeg: Float) {
    let n = x.shape[0]
    let xb = try x.reshaped([n] + model.generator.outputShape)
    let lossG = try (xb - model.generator(zq)).square().sum() / Float(n)
    guard let e = model.energyNet, let zp else { return (lossG, nil, 0, 0) }
    let ePos = try e(zq), eNeg = try e(zp)
    let mPos = try ePos.mean(), mNeg = try eNeg.mean()
    var lossE = try mPos - mNeg
    if config.energyPenalty > 0 {
      lossE = try lossE + (ePos.square().mean() + eNeg.square().mean()) * config.energyPenalty
    }
    return (lossG, lossE, try mPos.item(), try mNeg.item())
  }

  /// Whether the posterior and prior chains cost about the same (MLP generators only; the
  /// parameter count of an MLP is its multiply-adds per sample).
  var balancedChains: Bool {
    guard let e = model.energyNet, case .mlp = model.generator.kind else { return false }
    let ce = Double(e.parameters.reduce(0) { $0 + $1.count }), cg = Double(model.generator.parameters.reduce(0) { $0 + $1.count })
    let post = Double(config.posterior.steps) * (cg + ce), prior = Double(config.prior.steps) * ce
    return max(post, prior) <= 3 * min(post, prior)
  }

  static let remedies = "Remedies: energy_penalty: 0.1, clip_e: 1, a bounded energy form (form: \"tanh\"), or a smaller lr_e."

  private func checkChains(_ z: Tensor, _ which: String, _ norm: Float) throws {
    guard z.isFinite else {
      throw LatentEBMError.diverged("step \(step + 1): the \(which) chains reached non-finite values; the model is unchanged since step \(step). \(Trainer.remedies)")
    }
    guard norm <= config.divergenceNorm else {
      throw LatentEBMError.diverged(
        "step \(step + 1): the \(which) chains ran off (mean ‖z‖ = \(formatScalar(norm)) > \(formatScalar(config.divergenceNorm))); " +
        "the model is unchanged since step \(step). \(Trainer.remedies)")
    }
  }
}

import Glibc
