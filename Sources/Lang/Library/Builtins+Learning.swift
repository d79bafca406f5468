// The method's pieces as values: weights, gradients with respect to them, optimizers, clipping
// and a Langevin sampler for any potential. With these the learning iteration is a script
// (stdlib/learning.lebm); the built-in train_step is the same iteration in Swift.
import Engine
import LatentEBM
import Support

extension BuiltinGroup {
  /// Weights, gradients, optimizers and samplers a script composes.
  public static var learning: BuiltinGroup {
    BuiltinGroup(name: "learning", summary: "weights as values, gradients, optimizers, Langevin on any potential",
                 builtins: LearningRows.weights + LearningRows.losses + LearningRows.optimizers + LearningRows.sampling)
  }
}

enum LearningRows {
  static let weights: [Builtin] = [
    Builtin("params", params: [Param("x")],
            doc: """
              The live weights of a net, a generator, a model or a layer, as a record under the names a checkpoint
              gives them (`energy.0.weight`, `generator.0.bias`, …). They are the weights themselves, not copies:
              grad(f, params(E)) differentiates with respect to them and step(opt, g) changes them in place.
              A list of those gives one record, each name prefixed by its position (`0.energy.0.weight`).
              """, impl: params),
    Builtin("set_params", params: [Param("x"), Param("values", .record)],
            doc: """
              Writes tensors into the weights of x by name (some or all of params(x)). Every name, shape and
              value is checked first (each must be finite); on any error no weight changes.
              """, impl: setParams),
    Builtin("value_and_grad", params: [Param("f", .function), Param("x")],
            doc: """
              {value, grad}: f's value and its gradient, as grad(f, x) gives it, from one evaluation of f.
              Example: r = value_and_grad(fn() { mean(E(z)) }, params(E)); r.value, r.grad["energy.0.weight"].
              """, impl: valueAndGrad),
    Builtin("grad_norm", params: [Param("grads", .record)],
            doc: "The joint L2 norm √(Σᵢ ‖gᵢ‖²) of a record of gradients (what clip_grad_norm compares with max).",
            impl: gradNorm),
    Builtin("clip_grad_norm", params: [Param("grads", .record), Param("max", .number)],
            doc: """
              The gradients scaled so that their joint L2 norm is at most max, as PyTorch's clip_grad_norm_:
              g ← g · max/(‖g‖ + 1e-6) when ‖g‖ > max, else unchanged. Returns a new record (grads is not changed).
              """, impl: clipGradNorm),
  ]

  static let losses: [Builtin] = [
    Builtin("cross_entropy", params: [Param("logits", .tensor), Param("targets", .tensor), Param("mask", .optional(.tensor), default: .none),
                                      Param("reduction", .string, default: .string("rows"))],
            doc: """
              Softmax cross-entropy from logits, as PyTorch's F.cross_entropy with the classes on the last axis:
              at each position p, with logits x = logits[p, :] ([N, V] or [B, T, V]) and target id y = targets[p],
                ℓ_p = m_p · (log Σ_v exp(x_v) − x_y),
              the log-sum-exp taken stably (less the row's maximum first). targets are ids shaped like logits without
              the last axis, whole numbers in [0, V) (else an error naming the first bad one and its position); mask
              (the targets' shape) holds m_p: 1 where the position counts, 0 for padding (all ones when none).
              The gradient to the logits is m_p · (softmax(x) − onehot(y)); targets and mask get none.
              reduction: "rows" (default) sums each example's positions, [B, T] → [B] (the negative log-likelihood of
              each sentence; for [N, V] logits, one loss per row); "none" keeps every ℓ_p; "sum" adds all (a number);
              "mean" divides that sum by the number of positions that count (PyTorch's default, with padding as
              ignore_index).
              """, impl: crossEntropy),
  ]

  static let optimizers: [Builtin] = [
    Builtin("adam", params: [Param("params", .record), Param("lr", .number, default: .number(1e-3)),
                             Param("betas", .list, default: .list([.number(0.9), .number(0.999)])),
                             Param("eps", .number, default: .number(1e-8)), Param("weight_decay", .number, default: .number(0))],
            doc: """
              Adam over a record of weights (params(E)), exactly as torch.optim.Adam: at step t with gradient g,
                g ← g + λθ;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  θ ← θ − lr/(1 − β₁ᵗ) · m/(√v/√(1 − β₂ᵗ) + ε).
              The latent EBM's reference uses betas [0.5, 0.999]. Apply it with step(opt, grads).
              """, impl: adam),
    Builtin("sgd", params: [Param("params", .record), Param("lr", .number), Param("momentum", .number, default: .number(0)),
                            Param("weight_decay", .number, default: .number(0)), Param("nesterov", .bool, default: .bool(false))],
            doc: """
              Stochastic gradient descent over a record of weights, exactly as torch.optim.SGD. At each step,
                g ← g + λθ;  b ← μb + g (b = g at the first step);  θ ← θ − lr · (nesterov ? g + μb : b).
              """, impl: sgd),
    Builtin("step", params: [Param("opt", .handle(OptimizerHandle.self)), Param("grads", .record)],
            doc: """
              One update of the optimizer's weights from a record of gradients with the same names (as grad(f,
              params(…)) returns them). Refused, with every weight and the optimizer's state as they were, when a
              name or shape differs or a gradient or the result would not be finite.
              """, impl: step),
    Builtin("set_lr", params: [Param("opt", .handle(OptimizerHandle.self)), Param("lr", .number)],
            doc: "Sets the optimizer's learning rate (a schedule written in the script); the moments are kept.", impl: setLR),
  ]

  static let sampling: [Builtin] = [
    Builtin("langevin", params: [Param("potential", .function), Param("z", .tensor), Param("steps", .nonNegativeInt, default: .number(60)),
                                 Param("step", .number, default: .number(0.4)), Param("noise", .bool, default: .bool(true)), rngParam],
            doc: """
              Short-run Langevin dynamics on any differentiable potential U (one value per row of z, or their sum).
              From z ([N, d]), for `steps` steps of size `step` (s):
                z ← z − (s²/2)·∇z U(z) + s·N(0, I).
              Chain r draws its noise from a stream of its own, seeded by N draws of the script's generator (or of
              rng), as sample_prior's chains do: sample_prior(m, z) is langevin on U(z) = E_α(z) + ‖z‖²/(2σ0²), and
              sample_posterior adds ‖x − g(z)‖²/(2σ²); after the same seed they agree up to float rounding.
              noise: false gives gradient descent.
              """, impl: langevin),
    Builtin("random_stream", params: [Param("seed", .nonNegativeInt)],
            doc: "A random generator of its own, fixed by seed; pass it as rng: to randn, sample_prior, sample_posterior, langevin.",
            impl: randomStream),
    Builtin("fork", params: [Param("stream", .optional(.handle(RandomStreamHandle.self)), default: .none)],
            doc: """
              A new random stream seeded by the next draw of `stream` (or of the script's generator). train_step's
              trainer is fork() at its first step, and each iteration forks two streams from it, posterior then prior.
              """, impl: forkStream),
  ]

  // MARK: - Losses

  static func crossEntropy(_ a: Args) throws -> Value {
    let name = try a.string("reduction")
    guard let reduction = CrossEntropyReduction(rawValue: name) else {
      let names = CrossEntropyReduction.allCases.map(\.rawValue)
      throw a.fail("unknown reduction \(quote(name))\(suggestion(name, names)); the reductions are \(names.map(quote).joined(separator: ", "))")
    }
    let mask = a.isNone("mask") ? nil : try a.tensor("mask")
    return .tensor(try Tensor.crossEntropy(logits: try a.tensor("logits"), targets: try a.tensor("targets"), mask: mask, reduction: reduction))
  }

  // MARK: - Weights

  static func params(_ a: Args) throws -> Value {
    .record(Record(try namedWeights(a, a["x"]).map { ($0.0, .tensor($0.1)) }))
  }

  /// The weights of a holder, or of a list of holders (names prefixed by position).
  static func namedWeights(_ a: Args, _ v: Value) throws -> [(String, Tensor)] {
    switch v {
    case .opaque(let o as ParameterHolder): return o.namedParameters
    case .list(let items):
      var out: [(String, Tensor)] = []
      for (i, item) in items.enumerated() {
        guard case .opaque(let o as ParameterHolder) = item else { throw a.fail("item \(i) is \(shown(item)), not a net, a model or a layer") }
        out += o.namedParameters.map { ("\(i).\($0.0)", $0.1) }
      }
      return out
    default:
      throw a.fail("'x' must be a net, a generator, a model or a layer (or a list of them), got \(shown(v))")
    }
  }

  static func setParams(_ a: Args) throws -> Value {
    let weights = Dictionary(try namedWeights(a, a["x"]), uniquingKeysWith: { w, _ in w })
    guard case .record(let r) = a["values"] else { throw a.fail("'values' must be a record") }
    var writes: [(Tensor, Tensor)] = []
    for (name, v) in r.pairs {
      guard let w = weights[name] else {
        throw a.fail("there is no weight '\(name)'\(suggestion(name, Array(weights.keys)))")
      }
      guard case .tensor(let t) = v else { throw a.fail("'\(name)' must be a tensor, got \(shown(v))") }
      guard t.shape == w.shape else {
        throw a.fail("'\(name)' has shape \(formatShape(w.shape)), the value \(formatShape(t.shape)); no weight was changed")
      }
      guard t.isFinite else { throw a.fail("'\(name)' would hold non-finite values; no weight was changed") }
      writes.append((w, t))
    }
    for (w, t) in writes { try assign(w, from: t) }
    return .none
  }

  static func valueAndGrad(_ a: Args) throws -> Value {
    let (value, grads) = try differentiate(a, a["f"], a["x"])
    return .record(Record([("value", value), ("grad", grads)]))
  }

  static func gradNorm(_ a: Args) throws -> Value {
    .number(Double(gradientNorm(try gradientRecord(a, "grads").map(\.1))))
  }

  static func clipGradNorm(_ a: Args) throws -> Value {
    let grads = try gradientRecord(a, "grads").map { ($0.0, $0.1.copy()) }
    let limit = try a.float("max")
    guard limit > 0, limit.isFinite else { throw a.fail("'max' must be a positive number, got \(formatScalar(limit))") }
    try clipGradientNorm(grads.map(\.1), maxNorm: limit)
    return .record(Record(grads.map { ($0.0, .tensor($0.1)) }))
  }

  // MARK: - Optimizers

  static func adam(_ a: Args) throws -> Value {
    let (names, ws) = try trainable(a)
    let betas = try a.list("betas")
    guard betas.count == 2, case .number(let b1) = betas[0], case .number(let b2) = betas[1] else {
      throw a.fail("'betas' must be two numbers [β₁, β₂], got \(shown(a["betas"]))")
    }
    return .opaque(OptimizerHandle(try Adam(ws, learningRate: try a.float("lr"), beta1: Float(b1), beta2: Float(b2), epsilon: try a.float("eps"),
                                            weightDecay: try a.float("weight_decay")), names: names))
  }

  static func sgd(_ a: Args) throws -> Value {
    let (names, ws) = try trainable(a)
    return .opaque(OptimizerHandle(try SGD(ws, learningRate: try a.float("lr"), momentum: try a.float("momentum"),
                                           weightDecay: try a.float("weight_decay"), nesterov: try a.bool("nesterov")), names: names))
  }

  /// The `params` record of an optimizer: live weights (leaves), at least one.
  static func trainable(_ a: Args) throws -> ([String], [Tensor]) {
    let ws = try gradientRecord(a, "params")
    guard !ws.isEmpty else { throw a.fail("'params' is empty: give the weights to train, as params(E) gives them") }
    for (n, w) in ws where !w.isLeaf {
      throw a.fail("'\(n)' is not a weight but a computed tensor; give weights as params(…) gives them")
    }
    return (ws.map(\.0), ws.map(\.1))
  }

  static func step(_ a: Args) throws -> Value {
    guard case .opaque(let o) = a["opt"], let opt = o as? OptimizerHandle else { throw a.fail("'opt' must be an optimizer") }
    let given = Dictionary(try gradientRecord(a, "grads"), uniquingKeysWith: { g, _ in g })
    let missing = opt.names.filter { given[$0] == nil }, extra = given.keys.filter { !opt.names.contains($0) }.sorted()
    guard missing.isEmpty, extra.isEmpty else {
      let what = extra.isEmpty ? "no gradient for '\(missing[0])'" : "a gradient for '\(extra[0])', which it does not train"
      throw a.fail("the optimizer trains \(opt.names.count) weights (\(opt.names.prefix(3).joined(separator: ", "))\(opt.names.count > 3 ? ", …" : "")) but was given \(what): are the gradients of another net? No weight was changed")
    }
    let grads = opt.names.map { given[$0]! }
    for (n, (g, w)) in zip(opt.names, zip(grads, opt.optimizer.parameters)) {
      guard g.shape == w.shape else {
        throw a.fail("the gradient for '\(n)' has shape \(formatShape(g.shape)), its weight \(formatShape(w.shape)); no weight was changed")
      }
      guard g.isFinite else { throw a.fail("the gradient for '\(n)' holds non-finite values (NaN or ∞); no weight was changed") }
    }
    if let adam = opt.optimizer as? Adam, try !adam.proposedStep(grads).finite {
      throw a.fail("the update would leave a weight or a moment non-finite; no weight was changed (a smaller lr, or clip_grad_norm)")
    }
    try opt.optimizer.step(grads)
    return .none
  }

  static func setLR(_ a: Args) throws -> Value {
    guard case .opaque(let o) = a["opt"], let opt = o as? OptimizerHandle else { throw a.fail("'opt' must be an optimizer") }
    let lr = try a.float("lr")
    guard lr >= 0, lr.isFinite else { throw a.fail("'lr' must be ≥ 0 and finite, got \(formatScalar(lr))") }
    opt.optimizer.learningRate = lr
    return .none
  }

  // MARK: - Sampling

  static func langevin(_ a: Args) throws -> Value {
    let z0 = try a.tensor("z"), s = try a.float("step"), steps = try a.int("steps")
    guard z0.rank == 2 else { throw a.fail("'z' must be a batch of chains [N, d], got shape \(formatShape(z0.shape))") }
    guard s > 0, s.isFinite else { throw a.fail("'step' must be a positive number, got \(formatScalar(s))") }
    guard steps <= LangevinConfig.maximumSteps else { throw a.fail("'steps' must be at most \(LangevinConfig.maximumSteps), got \(steps)") }
    let (n, d) = (z0.shape[0], z0.shape[1]), noise = try a.bool("noise"), potential = a["potential"]
    try MemoryLimit.check(n * MemoryLayout<RandomGenerator>.stride / 4, op: "langevin's random streams")
    var streams = a.withRNG { rng in (0..<n).map { _ in RandomGenerator(seed: rng.next()) } }
    var z = z0.detached().copy()
    let xi = try Tensor.zeros([n, d])
    for _ in 0..<steps {
      try a.checkInterrupt()
      let zt = z.requiringGrad()
      let u = try a.call(potential, [.tensor(zt)])
      guard case .tensor(let ut) = u, ut.shape == [n] || ut.count == 1 else {
        throw a.fail("the potential must give one value per chain (shape [\(n)]) or their sum, got \(shown(u))")
      }
      let g = try gradients(of: try ut.sum(), wrt: [zt])[0]
      if noise { xi.withUnsafeMutableBufferPointer { p in for r in 0..<n { streams[r].fillNormal(p.baseAddress! + r * d, count: d) } } }
      let next = try withoutGradients { try z - g * (s * s / 2) + xi * s }
      guard next.isFinite else { throw a.fail("the chains reached non-finite values (a smaller step, or a bounded potential)") }
      z = next
    }
    return .tensor(z)
  }

  static func randomStream(_ a: Args) throws -> Value {
    .opaque(RandomStreamHandle(RandomGenerator(seed: UInt64(try a.int("seed")))))
  }

  static func forkStream(_ a: Args) throws -> Value {
    if case .opaque(let o) = a["stream"], let s = o as? RandomStreamHandle {
      return .opaque(RandomStreamHandle(RandomGenerator(seed: s.generator.next())))
    }
    return .opaque(RandomStreamHandle(RandomGenerator(seed: a.interpreter.rng.next())))
  }
}

/// A record of tensors (weights or gradients), in order; anything else in it is an error.
func gradientRecord(_ a: Args, _ p: String) throws -> [(String, Tensor)] {
  guard case .record(let r) = a[p] else { throw a.fail("'\(p)' must be a record of tensors, got \(shown(a[p]))") }
  return try r.pairs.map { k, v in
    guard case .tensor(let t) = v else { throw a.fail("'\(p)' must hold tensors, but '\(k)' is \(shown(v))") }
    return (k, t)
  }
}

/// " (did you mean 'x'?)" for a misspelt name among `names`, else "".
private func suggestion(_ name: String, _ names: [String]) -> String {
  suggestion(for: name, among: names).map { " (did you mean '\($0)'?)" } ?? ""
}
