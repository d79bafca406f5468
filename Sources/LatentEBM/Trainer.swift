// Joint training of a latent EBM: the learning iteration, epochs over a data set, the settings
// and their schedule, and the history of what each iteration did.
import Datasets
import Engine
import Support

/// Joint training of a latent EBM: Adam on G and E, learning-rate decay per epoch, optional
/// clipping, energy penalty and persistent chains; it stops with an error, model untouched, when
/// an iteration would diverge.
public final class Trainer {
  public let model: LatentEBM
  /// The settings; change them with ``configure(_:)``.
  public private(set) var config: TrainConfig
  public private(set) var optimizerG: Adam
  public private(set) var optimizerE: Adam?
  /// Adam on the encoder q_φ (amortized inference), at the generator's rate lr_g; nil without one.
  public private(set) var optimizerQ: Adam?
  public var rng: RandomGenerator
  /// Iterations and epochs completed.
  public internal(set) var step = 0
  public internal(set) var epoch = 0
  /// The persistent prior chains, when on.
  public internal(set) var persistent: Tensor?
  /// Every iteration's statistics.
  public internal(set) var history = TrainHistory()
  /// The learning-rate decay of ``config``.
  private var schedule: ExponentialDecay

  public init(model: LatentEBM, config: TrainConfig = TrainConfig(), seed: UInt64 = 0) throws {
    try config.validate()
    self.model = model; self.config = config
    schedule = try ExponentialDecay(gamma: config.lrDecay)
    optimizerG = try Adam(model.generator.parameters, learningRate: config.lrG, beta1: config.beta1, beta2: config.beta2)
    optimizerE = try model.energyNet.map { try Adam($0.parameters, learningRate: config.lrE, beta1: config.beta1, beta2: config.beta2) }
    optimizerQ = try model.encoder.map { try Adam($0.parameters, learningRate: config.lrG, beta1: config.beta1, beta2: config.beta2) }
    rng = RandomGenerator(seed: seed)
  }

  /// Changes the settings in place, keeping the optimizers' moments, the step and epoch counts,
  /// the chains and the random stream. Adam is rebuilt (its moments copied) only when its betas
  /// change; a new persistent-chain count starts a new buffer.
  public func configure(_ c: TrainConfig) throws {
    try c.validate()
    if c.beta1 != config.beta1 || c.beta2 != config.beta2 {
      optimizerG = try rebuilt(optimizerG, c)
      optimizerE = try optimizerE.map { try rebuilt($0, c) }
      optimizerQ = try optimizerQ.map { try rebuilt($0, c) }
    }
    if c.persistentChains != config.persistentChains { persistent = nil }
    schedule = try ExponentialDecay(gamma: c.lrDecay)
    config = c
    applySchedule()
  }

  private func rebuilt(_ a: Adam, _ c: TrainConfig) throws -> Adam {
    let b = try Adam(a.parameters, learningRate: a.learningRate, beta1: c.beta1, beta2: c.beta2)
    try b.restore(firstMoments: a.firstMoments, secondMoments: a.secondMoments, stepCount: a.stepCount)
    return b
  }

  /// Sets both learning rates from the settings and the epoch count: `lr · lr_decay^epoch`.
  func applySchedule() {
    optimizerG.learningRate = schedule.rate(config.lrG, afterEpochs: epoch)
    optimizerE?.learningRate = schedule.rate(config.lrE, afterEpochs: epoch)
    optimizerQ?.learningRate = schedule.rate(config.lrG, afterEpochs: epoch)
  }

  /// Ends an epoch: decays both learning rates by `lrDecay`.
  public func endEpoch() {
    epoch += 1
    applySchedule()
  }

  /// Trains for `epochs` passes over `data` (`[N, …]`) in mini-batches of `batchSize`, shuffled
  /// each epoch with a seed drawn from the trainer's ``rng`` when `shuffle` is on, decaying the learning rates
  /// after each epoch and calling `onEpoch` with the epoch's mean statistics. `onStep` hears
  /// after each iteration how many of the run's iterations are done, of how many, and its statistics.
  /// - Throws: ``LatentEBMError/diverged(_:)`` (the model keeps every completed iteration), an
  ///   interruption, or what `onEpoch` throws.
  public func fit(
    _ data: Tensor, epochs: Int, batchSize: Int, shuffle: Bool = true,
    onStep: (_ done: Int, _ total: Int, _ stats: TrainStats) -> Void = { _, _, _ in },
    onEpoch: (EpochSummary) throws -> Void = { _ in }
  ) throws {
    guard data.rank >= 2, data.shape[0] > 0 else {
      throw LatentEBMError.invalidArgument("training data must be a non-empty batch [N, …], got shape \(formatShape(data.shape))")
    }
    guard epochs >= 1, batchSize >= 1 else {
      throw LatentEBMError.invalidArgument("epochs and batch size must be positive, got \(epochs) and \(batchSize)")
    }
    let set = try Dataset(name: "training data", x: data), t0 = monotonicSeconds()
    let perEpoch = (set.count - 1) / batchSize + 1
    let (total, tooMany) = perEpoch.multipliedReportingOverflow(by: epochs)
    guard !tooMany else {
      throw LatentEBMError.invalidArgument("\(epochs) epochs of \(perEpoch) batches are more steps than can be counted")
    }
    var done = 0
    for e in 1...epochs {
      var sums = [Double](repeating: 0, count: TrainStats.names.count), count = 0
      for batch in try set.batches(size: batchSize, shuffle: shuffle, seed: rng.next()) {
        let stats = try self.step(batch.x)
        for (i, v) in stats.values.enumerated() { sums[i] += Double(v.1) }
        count += 1
        done += 1
        onStep(done, total, stats)
      }
      endEpoch()
      let means = zip(TrainStats.names, sums).map { ($0, $1 / Double(Swift.max(count, 1))) }
      try onEpoch(EpochSummary(epoch: e, step: step, means: means, seconds: monotonicSeconds() - t0))
    }
  }

  /// One joint iteration on the batch `x` (docs/method.md, "Learning"):
  /// z⁺ ← posterior chains on x, z⁻ ← prior chains; then Adam on G with `Σ‖x − g(z⁺)‖²/batch`
  /// and Adam on E with `mean E(z⁺) − mean E(z⁻)` (+ penalty); with an encoder, the chains start
  /// from q_φ(z | x) and Adam on q_φ takes a step on ``LatentEBM/encoderLoss(_:noise:)``.
  /// - Parameter start: optional starting z for the posterior chains (warm starts).
  /// - Throws: ``LatentEBMError/diverged(_:)`` before changing the model if the chains or the
  ///   gradients are not finite, or the chains run off past `divergenceNorm`.
  public func step(_ x: Tensor, start: Tensor? = nil) throws -> TrainStats {
    // An iteration that stops (diverged, interrupted) leaves the random state and the chain
    // buffer as they were; the weights and moments change only once every check has passed.
    let (rngBefore, persistentBefore) = (rng, persistent)
    do {
      let s = try iterate(x, start: start, parallel: Threads.count > 1 && model.chainsMayRunAtOnce && (config.parallelChains ?? balancedChains))
      history.append(s)
      return s
    } catch {
      rng = rngBefore; persistent = persistentBefore
      throw error
    }
  }

  private func iterate(_ x: Tensor, start: Tensor?, parallel: Bool) throws -> TrainStats {
    try model.checkData(x, "the training batch")
    let n = x.shape[0]
    guard n > 0 else { throw LatentEBMError.invalidArgument("the training batch is empty") }
    let xb = try x.reshaped([n] + model.generator.outputShape)
    var st = TrainStats()
    st.step = step + 1
    let chains = try runChains(xb, start: start, parallel: parallel, stats: &st)
    // The encoder's noise has a stream of its own, drawn only when there is an encoder, so that
    // models without one train exactly as before.
    let noiseQ = try optimizerQ.map { _ in
      var r = RandomGenerator(seed: rng.next())
      return try Tensor.randn([n, model.latent], using: &r)
    }

    // Losses and their gradients (each with respect to its own net only).
    let l = try losses(xb, posterior: chains.posterior, prior: chains.prior)
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
    var gradQ: [Tensor] = []
    if let optQ = optimizerQ, let noiseQ {
      let lossQ = try model.encoderLoss(xb, noise: noiseQ).mean()
      gradQ = try gradients(of: lossQ, wrt: optQ.parameters)
      st.lossQ = try lossQ.item()
      guard gradientNorm(gradQ).isFinite else {
        throw LatentEBMError.diverged("step \(st.step): the encoder's gradient is not finite (loss_q \(formatScalar(st.lossQ))); the model is unchanged since step \(step). \(Trainer.remedies)")
      }
    }
    guard st.lossG.isFinite, st.lossE.isFinite, st.lossQ.isFinite, st.gradNormG.isFinite, st.gradNormE.isFinite else {
      throw LatentEBMError.diverged(
        "step \(st.step): a loss or gradient is not finite (loss_g \(formatScalar(st.lossG)), loss_e \(formatScalar(st.lossE))); " +
        "the model is unchanged since step \(step). \(Trainer.remedies)")
    }

    // Updates, refused before anything changes when they would leave a weight or a moment
    // non-finite, or a weight past max_weight.
    if let c = config.clipG { try clipGradientNorm(gradG, maxNorm: c) }
    if let optE = optimizerE, let c = config.clipE { try clipGradientNorm(gradE, maxNorm: c) }
    if let problem = try updateProblem(gradG, gradE, gradQ) {
      throw LatentEBMError.diverged(
        "step \(st.step): the update would leave \(problem); it was not applied, and the model, both optimizers and the chains " +
        "are as they were after step \(step). Remedies: a smaller lr_g or lr_e, clip_g: 1 or clip_e: 1, energy_penalty: 0.1, form: \"tanh\".")
    }
    try optimizerG.step(gradG)
    try optimizerE?.step(gradE)
    try optimizerQ?.step(gradQ)
    if let buf = persistent, let zp = chains.prior { try buf.scatterRows(chains.persistentRows, from: zp) }
    step += 1
    return st
  }

  /// What is wrong with the nets or the optimizers after the update these gradients would make,
  /// or nil: a non-finite weight or moment, or a weight past ``TrainConfig/maxWeight``.
  private func updateProblem(_ gradG: [Tensor], _ gradE: [Tensor], _ gradQ: [Tensor]) throws -> String? {
    for (net, opt, grads) in [("g_β", optimizerG, gradG), ("E_α", optimizerE, gradE), ("q_φ", optimizerQ, gradQ)] {
      guard let opt else { continue }
      let proposed = try opt.proposedStep(grads)
      guard proposed.finite else { return "non-finite weights or Adam moments in \(net)" }
      guard proposed.largestWeight <= config.maxWeight else {
        return "a weight of \(net) at |w| = \(formatScalar(proposed.largestWeight)), past max_weight \(formatScalar(config.maxWeight))"
      }
    }
    return nil
  }

  /// The posterior chains on `xb` and the prior chains (none for the Gaussian prior), each with a
  /// random stream of its own so running them at once changes nothing; their norms and
  /// displacements go into `st`.
  private func runChains(
    _ xb: Tensor, start: Tensor?, parallel: Bool, stats st: inout TrainStats
  ) throws -> (posterior: Tensor, prior: Tensor?, persistentRows: [Int]) {
    let n = xb.shape[0]
    var rngQ = RandomGenerator(seed: rng.next()), rngP = RandomGenerator(seed: rng.next())
    let zq0 = try start ?? model.posteriorStarts(xb, std: config.posterior.initStd, using: &rngQ)
    var zq = zq0, zp: Tensor? = nil, zp0: Tensor? = nil, rows: [Int] = []
    if model.energyNet != nil {
      if config.persistentChains > 0 {
        if persistent == nil { persistent = try model.initialLatents(config.persistentChains, std: config.prior.initStd, using: &rngP) }
        rows = (0..<n).map { _ in rngP.int(below: config.persistentChains) }
        zp0 = try persistent!.gather(rows)
      } else {
        zp0 = try model.initialLatents(n, std: config.prior.initStd, using: &rngP)
      }
    }
    let posterior = { zq = try self.model.samplePosterior(xb, from: zq0, config: self.config.posterior, using: &rngQ) }
    let prior = { if let z0 = zp0 { zp = try self.model.samplePrior(from: z0, config: self.config.prior, using: &rngP) } }
    if parallel { try runConcurrently(posterior, prior) } else { try posterior(); try prior() }
    st.zNormPos = zq.withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
    st.dispPos = try (zq - zq0).withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
    try checkChains(zq, "posterior", st.zNormPos)
    if let zp, let zp0 {
      st.zNormNeg = zp.withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
      st.dispNeg = try (zp - zp0).withUnsafeBufferPointer { meanRowNorm($0, rows: n) }
      try checkChains(zp, "prior", st.zNormNeg)
    }
    return (zq, zp, rows)
  }

  /// The two learning losses at fixed chains (docs/method.md, "Learning"):
  /// generator `Σ‖x − g(z⁺)‖² / batch` (for text `Σ −log p_β(x | z⁺) / batch`); energy `mean E(z⁺) − mean E(z⁻)` plus the optional penalty
  /// `λ (mean E(z⁺)² + mean E(z⁻)²)`, or nil for the Gaussian prior.
  public func losses(_ x: Tensor, posterior zq: Tensor, prior zp: Tensor?) throws -> (generator: Tensor, energy: Tensor?, enPos: Float, enNeg: Float) {
    let n = x.shape[0]
    let xb = try x.reshaped([n] + model.generator.outputShape)
    // The reference's generator loss: Σ‖x − g(z⁺)‖² / batch (σ is folded into lr_g), or for text
    // Σ −log p_β(x | z⁺) / batch, as the anchors' text configuration.
    let lossG = model.isText
      ? try model.negativeLogLikelihood(xb, given: zq).sum() / Float(n)
      : try (xb - model.generator(zq)).square().sum() / Float(n)
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
    let ce = Double(e.parameterCount), cg = Double(model.generator.parameters.reduce(0) { $0 + $1.count })
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

extension Tensor {
  /// Writes row k of `source` (`[n, d]`) into row `rows[k]` of this `[m, d]` tensor, in place.
  func scatterRows(_ rows: [Int], from source: Tensor) throws {
    guard rank == 2, source.rank == 2, source.shape[1] == shape[1], source.shape[0] == rows.count,
          rows.allSatisfy({ (0..<shape[0]).contains($0) }) else {
      throw LatentEBMError.shape("persistent chains: cannot write \(formatShape(source.shape)) into \(formatShape(shape))")
    }
    let d = shape[1]
    withUnsafeMutableBufferPointer { bp in
      source.withUnsafeBufferPointer { zb in
        for (k, i) in rows.enumerated() { for j in 0..<d { bp[i * d + j] = zb[k * d + j] } }
      }
    }
  }
}
