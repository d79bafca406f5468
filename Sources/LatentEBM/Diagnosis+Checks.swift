// The checks of `diagnose`, one function each; docs/method.md ("Diagnosis") has their math and
// why each threshold is what it is.
import Engine
import Glibc

extension LatentEBM {
  /// Runs every check on this model with the trainer's settings (the defaults without one), on
  /// `data` (rows the model was trained on) and, for the fit check, `heldOut` (rows it was not).
  public func diagnose(
    trainer: Trainer?, data: Tensor, heldOut: Tensor? = nil, config: DiagnosisConfig = DiagnosisConfig(),
    using rng: inout RandomGenerator
  ) throws -> [DiagnosisCheck] {
    try checkData(data, "the data")
    if let h = heldOut { try checkData(h, "the held-out data") }
    let settings = trainer?.config ?? TrainConfig()
    let rows = try data.slice(axis: 0, start: 0, end: Swift.min(data.shape[0], config.rows))
    return [
      try shortRunGap(settings, config, &rng),
      try posteriorConvergence(rows, settings, &rng),
      energyGap(trainer?.history, settings, config),
      try priorMixing(settings, config, &rng),
      try stepHealth(settings, config, &rng),
      weightCheck(settings),
      try fitCheck(rows, heldOut.map { try $0.slice(axis: 0, start: 0, end: Swift.min($0.shape[0], config.rows)) }, settings, &rng),
    ]
  }

  /// The cheap checks, for watching a run between epochs: the energy gap (from the history), the
  /// step health (200 prior chains of K⁻ steps) and the weights. A few milliseconds to a second.
  public func watchChecks(trainer: Trainer, using rng: inout RandomGenerator) throws -> [DiagnosisCheck] {
    var c = DiagnosisConfig()
    c.priorChains = 200
    return [energyGap(trainer.history, trainer.config, c), try stepHealth(trainer.config, c, &rng), weightCheck(trainer.config)]
  }

  // MARK: - 1. Short-run gap

  /// MMD² between K⁻-step prior samples and samples run `longRunFactor` times longer, over the
  /// MMD² two independent samples of the long run would give (its noise floor): 1 means the short
  /// run already samples what the long run does.
  func shortRunGap(_ s: TrainConfig, _ c: DiagnosisConfig, _ rng: inout RandomGenerator) throws -> DiagnosisCheck {
    let title = "short-run gap: K⁻-step prior samples against \(c.longRunFactor)·K⁻-step ones"
    guard energyNet != nil else { return .notApplicable("short_run_gap", title, "the Gaussian prior is sampled exactly") }
    let n = c.priorChains, k = s.prior.steps
    let z0 = try initialLatents(n, std: s.prior.initStd, using: &rng)
    let short = try samplePrior(from: z0, config: s.prior, using: &rng)
    var more = s.prior
    more.steps = k * (c.longRunFactor - 1)
    let long = try samplePrior(from: short, config: more, using: &rng)
    let h = try medianDistance(long)
    let bandwidths = [h / 2, h, 2 * h]
    let gap = try mmd(short, long, bandwidths: bandwidths)
    let floor = try mmdFloor(long, n: n, m: n, bandwidths: bandwidths)
    let (eShort, eLong) = try withoutGradients { (try energy(short).mean().item(), try energy(long).mean().item()) }
    let ratio = Double(gap / Swift.max(floor, 1e-12))
    return DiagnosisCheck(
      "short_run_gap", title, value: ratio, warnAt: 5, failAt: 20,
      meaning: { v in
        switch v {
        case .ok: "the K⁻-step chains sample what longer chains do: their MMD² is within sampling noise of it"
        default: "the K⁻-step samples are not what the prior's longer chains give (MMD² \(shortNumber(ratio))× its noise floor; mean E \(shortNumber(eShort)) short, \(shortNumber(eLong)) long): training learns from a biased negative phase"
        }
      },
      remedy: "configure(m, prior_steps: \(2 * k))",
      details: [("mmd2", Double(gap)), ("floor", Double(floor)), ("energy_short", Double(eShort)), ("energy_long", Double(eLong))])
  }

  /// The median distance between rows of `z` (at most 500 of them): the kernel's length scale.
  func medianDistance(_ z: Tensor) throws -> Float {
    let m = Swift.min(z.shape[0], 500), d = z.shape[1]
    let v = z.scalars
    var dists: [Float] = []
    dists.reserveCapacity(m * (m - 1) / 2)
    for i in 0..<m {
      for j in (i + 1)..<m {
        var s: Float = 0
        for k in 0..<d { let t = v[i * d + k] - v[j * d + k]; s += t * t }
        dists.append(s.squareRoot())
      }
    }
    dists.sort()
    return dists.isEmpty ? 1 : Swift.max(dists[dists.count / 2], 1e-3)
  }

  // MARK: - 2. Posterior convergence

  /// What stopping the posterior chains at K⁺ steps costs, against 4K⁺ (same starts, same noise
  /// streams): the excess `−log p(x | z)` in nats per data coordinate (``codeFit(_:_:)``): for images
  /// `(mse_K − mse_4K) / (2σ²)`, for sentences the excess cross-entropy per token. Near 0: K⁺
  /// steps have converged. Measured in the likelihood's unit, not against mse_4K, so that a model
  /// that reconstructs its training rows almost exactly does not turn a negligible excess into a
  /// large ratio.
  func posteriorConvergence(_ x: Tensor, _ s: TrainConfig, _ rng: inout RandomGenerator) throws -> DiagnosisCheck {
    let k = s.posterior.steps
    let start = try posteriorStarts(x, std: s.posterior.initStd, using: &rng)
    let seed = rng.next()
    var errors: [Double] = [], nats: [Double] = []
    for factor in [1, 2, 4] {
      var c = s.posterior
      c.steps = k * factor
      var r = RandomGenerator(seed: seed)
      let z = try samplePosterior(x, from: start, config: c, using: &r)
      let fit = try codeFit(x, z)
      errors.append(fit.error)
      nats.append(fit.nats)
    }
    // Longer chains doing much worse is as bad a sign as doing much better: the value is the size
    // of the difference, and the sentence and remedy follow its sign.
    let excess = nats[0] - nats[2]
    let worseWhenLonger = excess < 0
    let what = isText ? "cross-entropy per token" : "reconstruction error"
    return DiagnosisCheck(
      "posterior", "posterior convergence: \(what) at K⁺ against 4·K⁺ steps", value: abs(excess), warnAt: 1, failAt: 3,
      meaning: { v in
        if v == .ok {
          return "K⁺ = \(k) steps reach about the \(what) longer chains reach (\(shortNumber(errors[0])) against \(shortNumber(errors[2]))): the posterior samples have converged"
        }
        return worseWhenLonger
          ? "longer posterior chains make the \(what) worse (\(shortNumber(errors[0])) at K⁺ = \(k), \(shortNumber(errors[2])) at 4·K⁺): the energy pulls the codes away from the data"
          : "K⁺ = \(k) steps leave the \(what) at \(shortNumber(errors[0])) where 4·K⁺ reach \(shortNumber(errors[2])), \(shortNumber(excess)) nats per \(isText ? "token" : "coordinate"): the codes the generator learns from are not yet the posterior's"
      },
      remedy: worseWhenLonger ? "configure(m, lr_e: \(shortNumber(Double(s.lrE) / 10)), energy_penalty: 0.01)" : "configure(m, posterior_steps: \(4 * Swift.max(k, 1)))",
      details: isText ? [("nats_k", nats[0]), ("nats_2k", nats[1]), ("nats_4k", nats[2])] : [("mse_k", errors[0]), ("mse_2k", errors[1]), ("mse_4k", errors[2])])
  }

  /// How well codes z explain x, per data coordinate: for images and points the squared error per
  /// coordinate and it over 2σ² (the Gaussian likelihood's nats, less its constant); for sentences
  /// `−log p(x | z)` per counted token (not `<pad>`), which is both.
  func codeFit(_ x: Tensor, _ z: Tensor) throws -> (error: Double, nats: Double) {
    if isText {
      let total = try withoutGradients { try negativeLogLikelihood(x, given: z).sum().item() }
      let tokens = Swift.max(countedTokens(x).reduce(0, +), 1)
      let nats = Double(total) / Double(tokens)
      return (nats, nats)
    }
    let rec = try withoutGradients { try generator(z).reshaped(x.shape) }
    let mse = Double(try (x - rec).square().mean().item())
    return (mse, mse / (2 * Double(sigma) * Double(sigma)))
  }

  // MARK: - 3. Energy gap

  /// The energies over the last `window` iterations: how far their level has drifted from 0
  /// (|mean of (en_pos + en_neg)/2|) and how widely en_pos − en_neg swings (its standard deviation).
  /// and how far apart they sit (|mean en_pos − en_neg|, which grows when the prior's samples
  /// stop reaching where the data's codes are). The value is the largest of level / 5, gap / 5 and
  /// swing / 2: a level or a gap of 5, or a swing of ±2, warns.
  func energyGap(_ h: TrainHistory?, _ s: TrainConfig, _ c: DiagnosisConfig) -> DiagnosisCheck {
    let title = "energy gap: en_pos − en_neg and the energies' level over the last iterations"
    guard energyNet != nil else { return .notApplicable("energy_gap", title, "the Gaussian prior has no energy") }
    guard let h, h.count >= 20, let ip = TrainStats.names.firstIndex(of: "en_pos"), let ineg = TrainStats.names.firstIndex(of: "en_neg") else {
      return .notApplicable("energy_gap", title, "needs a training history of at least 20 iterations")
    }
    let w = Swift.min(c.window, h.count / 2)
    let pos = h.columns[ip].suffix(w).map(Double.init), neg = h.columns[ineg].suffix(w).map(Double.init)
    let level = zip(pos, neg).map { ($0 + $1) / 2 }.reduce(0, +) / Double(w)
    let gaps = zip(pos, neg).map { $0 - $1 }
    let meanGap = gaps.reduce(0, +) / Double(w)
    let swing = (gaps.map { ($0 - meanGap) * ($0 - meanGap) }.reduce(0, +) / Double(w)).squareRoot()
    let value = Swift.max(abs(level) / 5, abs(meanGap) / 5, swing / 2)
    return DiagnosisCheck(
      "energy_gap", title, value: value, warnAt: 1, failAt: 3,
      meaning: { v in
        if v == .ok {
          return "the energies stay near 0 (level \(shortNumber(level))), close together (gap \(shortNumber(meanGap))) and steady (±\(shortNumber(swing)))"
        }
        if abs(level) / 5 >= Swift.max(abs(meanGap) / 5, swing / 2) {
          return "the energies have drifted to \(shortNumber(level)): nothing holds their level, and a drifting energy sharpens until the sampler cannot follow"
        }
        return "en_pos − en_neg is \(shortNumber(meanGap)) ± \(shortNumber(swing)): the energy tells the data's codes from the prior's samples by far and chases those samples from one iteration to the next"
      },
      remedy: abs(level) / 5 >= Swift.max(abs(meanGap) / 5, swing / 2)
        ? "configure(m, energy_penalty: 0.01)" : "configure(m, lr_e: \(shortNumber(Double(s.lrE) / 10)))",
      details: [("level", level), ("swing", swing), ("mean_gap", meanGap)])
  }

  // MARK: - 4. Prior chain mixing

  /// Split-R̂ of the chains' energies over the second half of long prior runs (10·K⁻ steps, at
  /// least ``DiagnosisConfig/mixingSteps``, so that a short K⁻ does not also make this run short):
  /// chains that mix agree with each other (R̂ ≈ 1); chains stuck where they started do not.
  func priorMixing(_ s: TrainConfig, _ c: DiagnosisConfig, _ rng: inout RandomGenerator) throws -> DiagnosisCheck {
    let title = "prior chain mixing: split-R̂ of the energy across \(c.mixingChains) long prior chains"
    guard energyNet != nil else { return .notApplicable("prior_mixing", title, "the Gaussian prior is sampled exactly") }
    let total = Swift.max(s.prior.steps * c.longRunFactor, c.mixingSteps), records = 40
    let every = Swift.max(1, total / records)
    var z = try initialLatents(c.mixingChains, std: s.prior.initStd, using: &rng)
    var traces: [[Double]] = Array(repeating: [], count: c.mixingChains)
    var leg = s.prior
    leg.steps = every
    for _ in 0..<(total / every) {
      z = try samplePrior(from: z, config: leg, using: &rng)
      let e = try withoutGradients { try energy(z).scalars }
      for i in 0..<c.mixingChains { traces[i].append(Double(e[i])) }
    }
    let second = traces.map { Array($0.suffix($0.count / 2)) }
    let rhat = splitRHat(second)
    return DiagnosisCheck(
      "prior_mixing", title, value: rhat, warnAt: 1.1, failAt: 1.5,
      meaning: { v in
        v == .ok ? "long prior chains agree with each other (R̂ \(shortNumber(rhat))): they reach the same distribution from different starts"
          : "long prior chains disagree (R̂ \(shortNumber(rhat))): each stays near where it went first, so short runs see only part of the prior"
      },
      remedy: "configure(m, prior_step: \(shortNumber(Double(s.prior.stepSize) * 1.5)))",
      details: [("rhat", rhat), ("steps", Double(total))])
  }

  // MARK: - 5. Step health

  /// Per prior-chain step, the drift (s²/2)·‖∇E‖ against the noise's size s·√d; and how unevenly
  /// ‖∇z E‖ spreads over the chains' end points (99th percentile over the median). The value is
  /// the larger of the worst step's ratio and a tenth of the spread.
  func stepHealth(_ s: TrainConfig, _ c: DiagnosisConfig, _ rng: inout RandomGenerator) throws -> DiagnosisCheck {
    let title = "step health: the energy's drift against the noise per prior step"
    guard let e = energyNet else { return .notApplicable("step_health", title, "the Gaussian prior has no energy gradient") }
    let trace = LangevinTrace()
    let z0 = try initialLatents(Swift.min(c.priorChains, 200), std: s.prior.initStd, using: &rng)
    let z = try samplePrior(from: z0, config: s.prior, using: &rng, trace: trace)
    let step = s.prior.stepSize, noise = step * Float(latent).squareRoot()
    let worst = trace.steps.map { Double(step * step / 2 * $0.gradEnergy / noise) }.max() ?? 0
    let zt = z.requiringGrad()
    let g = try gradients(of: try e(zt).sum(), wrt: [zt])[0]
    let norms = try g.square().sum(axes: [1]).scalars.map { Double($0.squareRoot()) }.sorted()
    let median = norms[norms.count / 2], p99 = norms[Swift.min(norms.count - 1, norms.count * 99 / 100)]
    let spread = p99 / Swift.max(median, 1e-12)
    let value = Swift.max(worst, spread / 10)
    return DiagnosisCheck(
      "step_health", title, value: value, warnAt: 1, failAt: 3,
      meaning: { v in
        v == .ok ? "each step's drift is smaller than its noise (at most \(shortNumber(worst))×): the step size resolves the energy"
          : "a step's drift reaches \(shortNumber(worst))× its noise and ‖∇E‖ at the 99th percentile is \(shortNumber(spread))× the median: the energy is sharper than the step size s⁻ = \(shortNumber(Double(step))) can follow"
      },
      remedy: "configure(m, lr_e: \(shortNumber(Double(s.lrE) / 10)), energy_penalty: 0.01)",
      details: [("drift_over_noise", worst), ("grad_spread", spread), ("grad_median", median)])
  }

  // MARK: - 6. Weights

  /// The largest |weight| of either net over `max_weight`, the bound past which training stops.
  func weightCheck(_ s: TrainConfig) -> DiagnosisCheck {
    var largest: Float = 0
    for p in parameters { for v in p.scalars { largest = Swift.max(largest, abs(v)) } }
    let share = Double(largest / s.maxWeight)
    let norms = [("norm_g", generator.parameters), ("norm_e", energyNet?.parameters ?? [])].map { name, ps in
      (name, ps.map { p in p.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } }.reduce(0, +).squareRoot())
    }
    return DiagnosisCheck(
      "weights", "weights: the largest |weight| against max_weight", value: share, warnAt: 0.1, failAt: 0.5,
      meaning: { v in
        v == .ok ? "the largest weight (\(shortNumber(Double(largest)))) is far from max_weight = \(shortNumber(Double(s.maxWeight)))"
          : "a weight has grown to \(shortNumber(Double(largest))), \(shortNumber(100 * share)) % of max_weight: training is heading for a stop"
      },
      remedy: "configure(m, clip_e: 1, clip_g: 10)",
      details: [("largest", Double(largest))] + norms)
  }

  // MARK: - 7. Fit

  /// Reconstruction error on held-out rows over the error on training rows, minus 1: how much
  /// worse the model explains data it has not seen. For sentences the error is the cross-entropy
  /// per token at the posterior's codes (``codeFit(_:_:)``).
  func fitCheck(_ x: Tensor, _ heldOut: Tensor?, _ s: TrainConfig, _ rng: inout RandomGenerator) throws -> DiagnosisCheck {
    let what = isText ? "cross-entropy per token" : "reconstruction error"
    let title = "fit: \(what) on held-out against training data"
    guard let heldOut else { return .notApplicable("fit", title, "give held-out data (diagnose(m, data, held_out: test)) to compare") }
    let seed = rng.next()
    var r1 = RandomGenerator(seed: seed), r2 = RandomGenerator(seed: seed)
    let train: Double, test: Double
    if isText {
      train = try codeFit(x, try samplePosterior(x, from: posteriorStarts(x, std: s.posterior.initStd, using: &r1), config: s.posterior, using: &r1)).error
      test = try codeFit(heldOut, try samplePosterior(heldOut, from: posteriorStarts(heldOut, std: s.posterior.initStd, using: &r2), config: s.posterior, using: &r2)).error
    } else {
      train = Double(try reconstructionError(x, config: s.posterior, using: &r1))
      test = Double(try reconstructionError(heldOut, config: s.posterior, using: &r2))
    }
    return .fit(title, what: what, train: train, test: test, model: "the generator", call: "m",
                details: isText ? ("nats_train", "nats_held_out") : ("mse_train", "mse_held_out"))
  }
}

extension DiagnosisCheck {
  /// The fit check from a model's error on training and on held-out rows: their ratio minus 1,
  /// warning at 0.5 and failing at 2. `what` names the error, `model` what memorises, `call` the
  /// model's name in the remedy, `details` the two numbers' names.
  static func fit(_ title: String, what: String, train: Double, test: Double, model: String, call: String,
                  details: (String, String)) -> DiagnosisCheck {
    let ratio = test / Swift.max(train, 1e-12)
    return DiagnosisCheck(
      "fit", title, value: ratio - 1, warnAt: 0.5, failAt: 2,
      meaning: { v in
        v == .ok ? "held-out rows are explained about as well as training rows (\(what) \(shortNumber(test)) against \(shortNumber(train)))"
          : "held-out rows are explained \(shortNumber(ratio))× worse than training rows (\(shortNumber(test)) against \(shortNumber(train))): \(model) has memorised its data"
      },
      remedy: "stop earlier, or train on more data: train(\(call), more_data, epochs: fewer)",
      details: [(details.0, train), (details.1, test)])
  }
}

/// Gelman–Rubin's split-R̂ of chains' traces: each trace is cut in two halves, and
/// R̂ = √(((n−1)/n · W + B/n) / W) with W the mean within-half variance and B/n the variance of
/// the half means. 1 when the halves agree.
func splitRHat(_ traces: [[Double]]) -> Double {
  var halves: [[Double]] = []
  for t in traces where t.count >= 4 {
    let m = t.count / 2
    halves.append(Array(t[0..<m]))
    halves.append(Array(t[(t.count - m)...]))
  }
  guard halves.count >= 2, let n = halves.first?.count, n >= 2 else { return .nan }
  let means = halves.map { $0.reduce(0, +) / Double(n) }
  let grand = means.reduce(0, +) / Double(means.count)
  let b = Double(n) * means.map { ($0 - grand) * ($0 - grand) }.reduce(0, +) / Double(means.count - 1)
  let w = zip(halves, means).map { h, mu in h.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(n - 1) }.reduce(0, +) / Double(halves.count)
  guard w > 0 else { return b > 0 ? .infinity : 1 }
  let varPlus = Double(n - 1) / Double(n) * w + b / Double(n)
  return (varPlus / w).squareRoot()
}

/// A number with four significant digits for a sentence.
func shortNumber(_ x: Double) -> String { formatScalar(Float(x)) }
func shortNumber(_ x: Float) -> String { formatScalar(x) }
