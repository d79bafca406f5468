// The latent EBM as builtins: nets, models, samplers, training, evaluation, checkpoints.
import Engine
import LatentEBM

// MARK: - Handles

/// `energy_net(...)` in a script.
final class EnergyNetHandle: OpaqueValue {
  let net: EnergyNet
  init(_ net: EnergyNet) { self.net = net }
  var typeName: String { "energy_net" }
  var summary: String {
    "<energy_net \(([net.latent] + net.hidden + [1]).map(String.init).joined(separator: " → ")), \(net.activation), form \(net.form.rawValue), \(net.net.parameterCount) parameters>"
  }
  func field(_ name: String) -> Value? {
    switch name {
    case "latent": return .number(Double(net.latent))
    case "parameters": return .number(Double(net.net.parameterCount))
    default: return nil
    }
  }
  var fieldNames: [String] { ["latent", "parameters"] }
}

/// `generator(...)` or `conv_generator(...)` in a script.
final class GeneratorHandle: OpaqueValue {
  let generator: Generator
  init(_ g: Generator) { generator = g }
  var typeName: String { "generator" }
  var summary: String {
    switch generator.kind {
    case let .mlp(hidden, act):
      return "<generator MLP \(([generator.latent] + hidden + generator.outputShape).map(String.init).joined(separator: " → ")), \(act), \(generator.net.parameterCount) parameters>"
    case let .conv(size, channels, ngf):
      return "<generator ConvT \(generator.latent) → \(channels)×\(size)×\(size), ngf \(ngf), \(generator.net.parameterCount) parameters>"
    }
  }
  func field(_ name: String) -> Value? {
    switch name {
    case "latent": return .number(Double(generator.latent))
    case "output": return .list(generator.outputShape.map { .number(Double($0)) })
    case "parameters": return .number(Double(generator.net.parameterCount))
    default: return nil
    }
  }
  var fieldNames: [String] { ["latent", "output", "parameters"] }
}

/// `latent_ebm(E, G)` in a script: the model, its training state and its statistics history.
final class ModelHandle: OpaqueValue {
  let model: LatentEBM
  var config = TrainConfig()
  var trainer: Trainer?
  /// Every training step's statistics, by name, plus "step".
  var history: [(String, [Double])] = []

  init(_ model: LatentEBM, trainer: Trainer? = nil) {
    self.model = model
    self.trainer = trainer
    if let t = trainer { config = t.config }
  }

  /// The trainer, made on first use with the current configuration (seeded from the script's
  /// generator, so `seed(n)` makes training reproducible).
  func activeTrainer(seed: @autoclosure () -> UInt64) throws -> Trainer {
    if let t = trainer { return t }
    let t = try Trainer(model: model, config: config, seed: seed())
    trainer = t
    return t
  }

  /// Applies a new configuration, keeping the optimizers' state and the step count.
  func reconfigure(_ c: TrainConfig) throws {
    config = c
    if let t = trainer { trainer = try t.reconfigured(c) }
  }

  func record(_ s: TrainStats) {
    if history.isEmpty { history = [("step", [])] + s.values.map { ($0.0, []) } }
    history[0].1.append(Double(s.step))
    for (i, (_, v)) in s.values.enumerated() { history[i + 1].1.append(Double("\(v)") ?? Double(v)) }
  }

  var historyValue: Value { .opaque(HistoryHandle(history)) }

  var typeName: String { "latent_ebm" }
  var summary: String {
    let steps = trainer?.step ?? 0
    return "<" + model.description.replacingOccurrences("\n", " |") + (steps > 0 ? " | trained \(steps) steps>" : ">")
  }
  func field(_ name: String) -> Value? {
    switch name {
    case "latent": return .number(Double(model.latent))
    case "sigma": return num(model.sigma)
    case "prior_sigma": return num(model.priorSigma)
    case "steps": return .number(Double(trainer?.step ?? 0))
    case "epochs": return .number(Double(trainer?.epoch ?? 0))
    case "history": return historyValue
    case "gaussian_prior": return .bool(model.energyNet == nil)
    case "config": return .record(configRecord(config))
    case "parameters": return .number(Double(model.parameters.reduce(0) { $0 + $1.count }))
    default: return nil
    }
  }
  var fieldNames: [String] { ["latent", "sigma", "prior_sigma", "steps", "epochs", "history", "gaussian_prior", "config", "parameters"] }
}

extension String {
  func replacingOccurrences(_ a: String, _ b: String) -> String { split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b) }
}

func configRecord(_ c: TrainConfig) -> Record {
  var r = Record()
  r["lr_g"] = num(c.lrG); r["lr_e"] = num(c.lrE)
  r["beta1"] = num(c.beta1); r["beta2"] = num(c.beta2)
  r["lr_decay"] = num(c.lrDecay); r["energy_penalty"] = num(c.energyPenalty)
  r["clip_g"] = c.clipG.map(num) ?? .none
  r["clip_e"] = c.clipE.map(num) ?? .none
  r["persistent"] = .number(Double(c.persistentChains))
  r["prior_steps"] = .number(Double(c.prior.steps)); r["prior_step"] = num(c.prior.stepSize)
  r["posterior_steps"] = .number(Double(c.posterior.steps)); r["posterior_step"] = num(c.posterior.stepSize)
  r["noise"] = .bool(c.prior.noise)
  return r
}

/// A training history: one list per statistic (`h.loss_g`), with a short summary for echo.
final class HistoryHandle: OpaqueValue {
  let columns: [(String, [Double])]
  init(_ columns: [(String, [Double])]) { self.columns = columns }
  var typeName: String { "history" }
  var steps: Int { columns.first?.1.count ?? 0 }
  var summary: String {
    guard steps > 0 else { return "<history: no steps yet>" }
    let last = columns.dropFirst().prefix(4).map { "\($0.0)=\(formatScalar(Float($0.1.last ?? .nan)))" }.joined(separator: " ")
    return "<history: \(steps) steps; last \(last); fields \(fieldNames.joined(separator: ", "))>"
  }
  func field(_ name: String) -> Value? {
    columns.first { $0.0 == name }.map { .list($0.1.map { .number($0) }) }
  }
  var fieldNames: [String] { columns.map(\.0) }
  /// The history as a record of lists.
  var record: Record { Record(columns.map { ($0.0, .list($0.1.map { .number($0) })) }) }
}

// MARK: - Argument helpers

extension Args {
  func model(_ p: String) throws -> ModelHandle {
    if case .opaque(let o) = self[p], let m = o as? ModelHandle { return m }
    throw fail("'\(p)' must be a model made by latent_ebm(...), got \(shown(self[p]))")
  }

  func activation(_ p: String, slope: Float = 0.2) throws -> Activation {
    let name = try string(p)
    guard let a = Activation(name: name, slope: slope) else {
      throw fail("'\(p)' must be one of \(Activation.names.joined(separator: ", ")), got \"\(name)\"")
    }
    return a
  }

  /// A float from an optional numeric parameter (nil when none).
  func optionalFloat(_ p: String) throws -> Float? { isNone(p) ? nil : try float(p) }
  func optionalInt(_ p: String) throws -> Int? { isNone(p) ? nil : try int(p) }

  func positive(_ p: String) throws -> Float {
    let v = try float(p)
    guard v > 0, v.isFinite else { throw fail("'\(p)' must be a positive number, got \(formatScalar(v))") }
    return v
  }

  /// A Langevin configuration from `steps`, `step`, `noise`, `init_std` around a default.
  func langevin(_ base: LangevinConfig) throws -> LangevinConfig {
    var c = base
    if let k = try optionalInt("steps") {
      guard k >= 0 else { throw fail("'steps' must be a non-negative integer, got \(k)") }
      c.steps = k
    }
    if !isNone("step") { c.stepSize = try positive("step") }
    c.noise = try bool("noise")
    c.initStd = try float("init_std")
    return c
  }

  /// The training configuration `base` with every given keyword of ``trainParams`` applied.
  func trainConfig(_ base: TrainConfig) throws -> TrainConfig {
    var c = base
    if let v = try optionalFloat("lr_g") { c.lrG = v }
    if let v = try optionalFloat("lr_e") { c.lrE = v }
    if let v = try optionalFloat("beta1") { c.beta1 = v }
    if let v = try optionalFloat("lr_decay") { c.lrDecay = v }
    if let v = try optionalFloat("energy_penalty") { c.energyPenalty = v }
    if let v = try optionalFloat("clip_g") { c.clipG = v > 0 ? v : nil }
    if let v = try optionalFloat("clip_e") { c.clipE = v > 0 ? v : nil }
    if let v = try optionalInt("persistent") { c.persistentChains = v }
    if let v = try optionalInt("prior_steps") { c.prior.steps = v }
    if let v = try optionalFloat("prior_step") { c.prior.stepSize = v }
    if let v = try optionalInt("posterior_steps") { c.posterior.steps = v }
    if let v = try optionalFloat("posterior_step") { c.posterior.stepSize = v }
    if case .bool(let b) = self["noise"] { c.prior.noise = b; c.posterior.noise = b }
    return c
  }
}

/// The training settings every training builtin accepts (none = keep the model's current value).
let trainParams: [Param] = [
  Param("lr_g", .optional(.number), default: .none), Param("lr_e", .optional(.number), default: .none),
  Param("beta1", .optional(.number), default: .none), Param("lr_decay", .optional(.number), default: .none),
  Param("energy_penalty", .optional(.number), default: .none),
  Param("clip_g", .optional(.number), default: .none), Param("clip_e", .optional(.number), default: .none),
  Param("persistent", .optional(.nonNegativeInt), default: .none),
  Param("prior_steps", .optional(.nonNegativeInt), default: .none), Param("prior_step", .optional(.number), default: .none),
  Param("posterior_steps", .optional(.nonNegativeInt), default: .none), Param("posterior_step", .optional(.number), default: .none),
  Param("noise", .optional(.bool), default: .none),
]

let trainParamsDoc = """
  Training settings (keywords; the model keeps them): lr_g (1e-4), lr_e (2e-5), beta1 (0.5),
  lr_decay per epoch (0.998), energy_penalty λ (0: off; adds λ·(mean E(z⁺)² + mean E(z⁻)²)),
  clip_g / clip_e (gradient-norm clipping, 0 or none: off), persistent (buffer of prior chains, 0: off),
  prior_steps K⁻ (60), prior_step s⁻ (0.4), posterior_steps K⁺ (20), posterior_step s⁺ (0.1), noise (true).
  """

func langevinParams(steps: Int, step: Double) -> [Param] {
  [Param("steps", .optional(.nonNegativeInt), default: .number(Double(steps))), Param("step", .optional(.number), default: .number(step)),
   Param("noise", .bool, default: .bool(true)), Param("init_std", .number, default: .number(1))]
}

/// A Float as a script number with the digits it prints with (0.2, not 0.20000000298023224).
func num(_ x: Float) -> Value { .number(Double("\(x)") ?? Double(x)) }

/// Statistics as a record.
func statsRecord(_ s: TrainStats) -> Value {
  .record(Record([("step", .number(Double(s.step)))] + s.values.map { ($0.0, num($0.1)) }))
}

/// z as an [N, latent] tensor: a count of chains to start from N(0, init_std²), or given z.
func startLatents(_ a: Args, _ m: ModelHandle, _ p: String) throws -> Tensor {
  if case .number = a[p] {
    let n = try a.int(p)
    guard n >= 1 else { throw a.fail("'\(p)' must be a positive integer or a tensor of z, got \(n)") }
    return try m.model.initialLatents(n, std: try a.float("init_std"), using: &a.interpreter.rng)
  }
  return try a.tensor(p)
}

func traceRecord(_ t: LangevinTrace) -> Value {
  let s = t.steps
  return .record(Record([
    ("step", .list(s.map { .number(Double($0.step)) })),
    ("energy", .list(s.map { .number(Double($0.energy)) })),
    ("grad_energy", .list(s.map { .number(Double($0.gradEnergy)) })),
    ("grad_prior", .list(s.map { .number(Double($0.gradPrior)) })),
    ("grad_likelihood", .list(s.map { .number(Double($0.gradLikelihood)) })),
    ("displacement", .list(s.map { .number(Double($0.displacement)) })),
    ("summary", .string(t.summary)),
  ]))
}

extension BuiltinGroup {
  /// The latent EBM: nets, the model, samplers, training, evaluation and checkpoints.
  public static var model: BuiltinGroup {
    BuiltinGroup(name: "model", summary: "latent EBM: nets, samplers, training, evaluation, checkpoints", builtins: [
      Builtin("energy_net", params: [Param("latent", .positiveInt), Param("hidden", .intList, default: .list([.number(200), .number(200)])),
                                     Param("act", .string, default: .string("leaky_relu")), Param("slope", .number, default: .number(0.2)),
                                     Param("form", .string, default: .string("identity"))],
              doc: """
                The energy net E_α(z): an MLP latent → hidden… → 1 (PyTorch's default init).
                The prior it defines is p_α(z) ∝ exp(−E_α(z)) · N(0, σ0² I).
                act: relu, leaky_relu (slope), gelu, silu/swish, mish, tanh, sigmoid, softplus.
                form, applied to the output: identity (default), tanh, sigmoid, softplus (the bounded
                forms keep training from diverging).
                """) { a in
        let hidden = try a.ints("hidden") ?? []
        guard hidden.allSatisfy({ $0 >= 1 }) else { throw a.fail("'hidden' sizes must be positive, got \(hidden)") }
        let formName = try a.string("form")
        guard let form = EnergyForm(rawValue: formName) else {
          throw a.fail("'form' must be one of \(EnergyForm.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(formName)\"")
        }
        let net = try EnergyNet(latent: try a.int("latent"), hidden: hidden, activation: try a.activation("act", slope: try a.float("slope")),
                                form: form, using: &a.interpreter.rng)
        return .opaque(EnergyNetHandle(net))
      },
      Builtin("generator", params: [Param("latent", .positiveInt), Param("hidden", .intList, default: .list([.number(128), .number(128)])),
                                    Param("out", .positiveInt), Param("act", .string, default: .string("leaky_relu")),
                                    Param("slope", .number, default: .number(0.2))],
              doc: "An MLP generator g_β: latent → hidden… → out (no activation on the output).") { a in
        let hidden = try a.ints("hidden") ?? []
        guard hidden.allSatisfy({ $0 >= 1 }) else { throw a.fail("'hidden' sizes must be positive, got \(hidden)") }
        let g = try Generator(latent: try a.int("latent"), hidden: hidden, output: try a.int("out"),
                              activation: try a.activation("act", slope: try a.float("slope")), using: &a.interpreter.rng)
        return .opaque(GeneratorHandle(g))
      },
      Builtin("conv_generator", params: [Param("latent", .positiveInt), Param("size", .positiveInt, default: .number(32)),
                                         Param("channels", .positiveInt, default: .number(3)), Param("ngf", .positiveInt, default: .number(64))],
              doc: """
                A transposed-convolution generator for size×size images (size 32: the reference SVHN net
                ConvT(nz→8ngf, k4 s1 p0) → ConvT(→4ngf, k4 s2 p1) → ConvT(→2ngf) → ConvT(→C) → tanh;
                size 28: ConvT(k7) → 7 → 14 → 28). LeakyReLU(0.2) between, Xavier-normal conv weights.
                """) { a in
        let g = try Generator(latent: try a.int("latent"), imageSize: try a.int("size"), channels: try a.int("channels"),
                              ngf: try a.int("ngf"), using: &a.interpreter.rng)
        return .opaque(GeneratorHandle(g))
      },
      Builtin("latent_ebm", params: [Param("energy"), Param("generator"), Param("sigma", .number, default: .number(0.3)),
                                     Param("prior_sigma", .number, default: .number(1))],
              doc: """
                A latent space EBM prior model (Pang et al., 2020):
                  z ~ p_α(z) ∝ exp(−E_α(z)) · N(0, σ0² I),   x = g_β(z) + ε,  ε ~ N(0, σ² I).
                energy: an energy_net, or none for the Gaussian-prior baseline (p(z) = N(0, σ0² I)).
                sigma: σ (0.3); prior_sigma: σ0 (1).
                """) { a in
        var e: EnergyNet? = nil
        switch a["energy"] {
        case .none: break
        case .opaque(let o as EnergyNetHandle): e = o.net
        default: throw a.fail("'energy' must be an energy_net(...) or none, got \(shown(a["energy"]))")
        }
        guard case .opaque(let o) = a["generator"], let g = o as? GeneratorHandle else {
          throw a.fail("'generator' must be a generator(...) or conv_generator(...), got \(shown(a["generator"]))")
        }
        return .opaque(ModelHandle(try LatentEBM(energy: e, generator: g.generator, sigma: try a.positive("sigma"), priorSigma: try a.positive("prior_sigma"))))
      },
      Builtin("energy", params: [Param("model"), Param("z", .tensor)],
              doc: "E_α(z) for each row of z ([N, latent] → [N]); zeros for the Gaussian prior. Differentiable: grad works through it.") { a in
        let m = try a.model("model")
        return .tensor(try m.model.energy(try a.tensor("z")))
      },
      Builtin("decode", params: [Param("model"), Param("z", .tensor)],
              doc: "g_β(z), the generator's output for each row of z ([N, latent] → [N, …]). Differentiable: grad works through it.") { a in
        let m = try a.model("model")
        return .tensor(try m.model.generator(try a.tensor("z")))
      },
      Builtin("sample_prior", params: [Param("model"), Param("n", .any, default: .number(100))] + langevinParams(steps: 60, step: 0.4)
                + [Param("trace", .bool, default: .bool(false))],
              doc: """
                z ~ p_α(z) by short-run Langevin: n chains from N(0, init_std² I) (or from a given [N, latent] z),
                  z ← z − (s²/2)·∇z[E_α(z) + ‖z‖²/(2σ0²)] + s·N(0, I)
                for `steps` (K⁻ = 60) steps of size `step` (s⁻ = 0.4). noise: false gives gradient descent.
                trace: true returns {z, trace} with per-step energy, gradient norms and displacement.
                """) { a in
        let m = try a.model("model")
        let z0 = try startLatents(a, m, "n")
        let trace = try a.bool("trace") ? LangevinTrace() : nil
        let z = try m.model.samplePrior(from: z0, config: try a.langevin(.prior), using: &a.interpreter.rng, trace: trace)
        if let trace { return .record(Record([("z", .tensor(z)), ("trace", traceRecord(trace))])) }
        return .tensor(z)
      },
      Builtin("sample_posterior", params: [Param("model"), Param("x", .tensor)] + langevinParams(steps: 20, step: 0.1)
                + [Param("init", .optional(.tensor), default: .none), Param("trace", .bool, default: .bool(false))],
              doc: """
                z ~ p(z | x) by short-run Langevin, one chain per row of x, from N(0, init_std² I) or `init`:
                  z ← z − (s²/2)·∇z[‖x − g_β(z)‖²/(2σ²) + E_α(z) + ‖z‖²/(2σ0²)] + s·N(0, I)
                for `steps` (K⁺ = 20) steps of size `step` (s⁺ = 0.1). trace: true returns {z, trace}.
                """) { a in
        let m = try a.model("model")
        let x = try a.tensor("x")
        guard x.rank >= 1 else { throw a.fail("'x' must have a batch axis, got a scalar") }
        let z0 = a.isNone("init") ? try m.model.initialLatents(x.shape[0], std: try a.float("init_std"), using: &a.interpreter.rng) : try a.tensor("init")
        let trace = try a.bool("trace") ? LangevinTrace() : nil
        let z = try m.model.samplePosterior(x, from: z0, config: try a.langevin(.posterior), using: &a.interpreter.rng, trace: trace)
        if let trace { return .record(Record([("z", .tensor(z)), ("trace", traceRecord(trace))])) }
        return .tensor(z)
      },
      Builtin("generate", params: [Param("model"), Param("n", .positiveInt, default: .number(100))] + langevinParams(steps: 60, step: 0.4),
              doc: "Samples x = g_β(z) with z from prior Langevin (exactly N(0, σ0² I) for the Gaussian prior).") { a in
        let m = try a.model("model")
        return .tensor(try m.model.generate(try a.int("n"), config: try a.langevin(.prior), using: &a.interpreter.rng))
      },
      Builtin("reconstruct", params: [Param("model"), Param("x", .tensor)] + langevinParams(steps: 20, step: 0.1),
              doc: "Reconstructions g_β(z⁺) with z⁺ from posterior Langevin on x.") { a in
        let m = try a.model("model")
        return .tensor(try m.model.reconstruct(try a.tensor("x"), config: try a.langevin(.posterior), using: &a.interpreter.rng))
      },
      Builtin("reconstruction_error", params: [Param("model"), Param("x", .tensor)] + langevinParams(steps: 20, step: 0.1),
              doc: "Per-pixel mean squared error ‖x − g(z⁺)‖² / (N·D) with z⁺ from posterior Langevin (DESIGN.md §8).") { a in
        let m = try a.model("model")
        return .number(Double(try m.model.reconstructionError(try a.tensor("x"), config: try a.langevin(.posterior), using: &a.interpreter.rng)))
      },
      Builtin("anomaly_score", params: [Param("model"), Param("x", .tensor)] + langevinParams(steps: 20, step: 0.1),
              doc: """
                The anomaly score per row of x (higher = more anomalous), z from posterior Langevin:
                  ‖x − g(z)‖²/(2σ²) + E_α(z) + ‖z‖²/(2σ0²).
                """) { a in
        let m = try a.model("model")
        return .tensor(try m.model.anomalyScore(try a.tensor("x"), config: try a.langevin(.posterior), using: &a.interpreter.rng))
      },
      Builtin("auprc", params: [Param("scores", .tensor), Param("labels", .any)],
              doc: "Area under the precision–recall curve of scores (higher = positive) against labels (true/1 = positive).") { a in
        let s = try a.tensor("scores").scalars
        let labels: [Bool]
        switch a["labels"] {
        case .list(let l): labels = try l.map { try $0.truthy() }
        case .tensor(let t): labels = t.scalars.map { $0 != 0 }
        default: throw a.fail("'labels' must be a list or a tensor, got \(shown(a["labels"]))")
        }
        return .number(Double(try auprc(scores: s, labels: labels)))
      },
      Builtin("mmd", params: [Param("x", .tensor), Param("y", .tensor), Param("bandwidths", .list, default: .list([.number(0.1), .number(0.3), .number(1)]))],
              doc: "Squared MMD (biased) between samples [N, d] and [M, d] with Σ of Gaussian kernels exp(−‖a−b‖²/(2h²)).") { a in
        let hs = try a.list("bandwidths").map { v -> Float in
          guard case .number(let h) = v else { throw a.fail("'bandwidths' must be numbers") }
          return Float(h)
        }
        return .number(Double(try mmd(try a.tensor("x"), try a.tensor("y"), bandwidths: hs)))
      },
      Builtin("configure", params: [Param("model")] + trainParams,
              doc: "Sets the model's training settings; returns them as a record.\n" + trainParamsDoc) { a in
        let m = try a.model("model")
        try m.reconfigure(try a.trainConfig(m.config))
        return .record(configRecord(m.config))
      },
      Builtin("train_step", params: [Param("model"), Param("x", .tensor)] + trainParams,
              doc: """
                One joint learning iteration on the batch x (DESIGN.md §1): z⁺ by posterior Langevin, z⁻ by prior
                Langevin, then Adam on G with Σ‖x − g(z⁺)‖²/batch and on E with mean E(z⁺) − mean E(z⁻).
                Returns {step, loss_g, loss_e, en_pos, en_neg, grad_g, grad_e, z_pos, z_neg, disp_pos, disp_neg, mse}.
                Stops with an error, the model unchanged, if the chains or gradients blow up.
                """ + "\n" + trainParamsDoc) { a in
        let m = try a.model("model")
        let c = try a.trainConfig(m.config)
        if c != m.config { try m.reconfigure(c) }
        let s = try m.activeTrainer(seed: a.interpreter.rng.next()).step(try a.tensor("x"))
        m.record(s)
        return statsRecord(s)
      },
      Builtin("train", params: [Param("model"), Param("data", .tensor), Param("epochs", .positiveInt, default: .number(1)),
                                Param("batch", .positiveInt, default: .number(100)), Param("shuffle", .bool, default: .bool(true)),
                                Param("every", .nonNegativeInt, default: .number(1)), Param("callback", .optional(.function), default: .none)] + trainParams,
              doc: """
                Trains for `epochs` passes over data in shuffled mini-batches of `batch`, printing a line every
                `every` epochs (0: quiet) and calling callback(epoch, stats) after each epoch. The learning rates
                decay by lr_decay per epoch. Ctrl-C stops between steps; the model keeps every completed step.
                Returns the statistics history (also model.history): h.step, h.loss_g, h.loss_e, … are lists.
                """ + "\n" + trainParamsDoc) { a in
        let m = try a.model("model")
        let c = try a.trainConfig(m.config)
        if c != m.config { try m.reconfigure(c) }
        let t = try m.activeTrainer(seed: a.interpreter.rng.next())
        let data = try a.tensor("data")
        guard data.rank >= 2, data.shape[0] > 0 else { throw a.fail("'data' must be a non-empty batch [N, …], got shape \(formatShape(data.shape))") }
        let epochs = try a.int("epochs"), size = try a.int("batch"), every = try a.int("every")
        let n = data.shape[0]
        let t0 = monotonicSeconds()
        do {
          for e in 1...epochs {
            let order = try a.bool("shuffle") ? a.interpreter.rng.permutation(n) : Array(0..<n)
            var last = TrainStats(), sums = [Double](repeating: 0, count: last.values.count), count = 0
            var start = 0
            while start < n {
              let idx = Array(order[start..<min(n, start + size)])
              start += size
              last = try t.step(try data.gather(idx))
              m.record(last)
              for (i, v) in last.values.enumerated() { sums[i] += Double(v.1) }
              count += 1
            }
            t.endEpoch()
            let means = Record(zip(last.values.map(\.0), sums).map { ($0, .number($1 / Double(max(count, 1)))) })
            if every > 0 && (e % every == 0 || e == epochs) {
              func f(_ k: String) -> String { if case .number(let x)? = means[k] { return formatScalar(Float(x)) }; return "?" }
              a.write("epoch \(e)/\(epochs)  step \(t.step)  loss_g=\(f("loss_g")) loss_e=\(f("loss_e")) en_pos=\(f("en_pos")) en_neg=\(f("en_neg"))  (\(Int(monotonicSeconds() - t0)) s)\n")
            }
            if !a.isNone("callback") {
              var r = means
              r["epoch"] = .number(Double(e))
              _ = try a.call(a["callback"], [.number(Double(e)), .record(r)])
            }
          }
        } catch is Interrupted {
          a.write("interrupted after step \(t.step); the model keeps every completed step\n")
        }
        return m.historyValue
      },
      Builtin("save", params: [Param("model"), Param("path", .string)],
              doc: "Writes the model and its training state to a safetensors checkpoint (atomically).") { a in
        let m = try a.model("model")
        let path = try a.outputPath()
        makeParentFolders(path)
        try Checkpoint.save(m.model, trainer: m.trainer, to: path)
        return .string(path)
      },
      Builtin("load", params: [Param("path", .string)],
              doc: "Reads a checkpoint written by save: the model, ready to sample or to continue training.") { a in
        let (model, trainer) = try Checkpoint.load(try a.string("path"))
        return .opaque(ModelHandle(model, trainer: trainer))
      },
    ])
  }
}
