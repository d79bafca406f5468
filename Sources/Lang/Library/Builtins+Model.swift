// The latent EBM as builtins: nets, models, samplers, training, evaluation, checkpoints. The rows
// are data (name, parameters, doc, a named function); the functions follow, in the same order.
// The method's errors (LatentEBMError) are told as the builtin's: "sample_prior: …".
import Engine
import LatentEBM

extension BuiltinGroup {
  /// The latent EBM: nets, the model, samplers, training, evaluation and checkpoints.
  public static var model: BuiltinGroup {
    BuiltinGroup(name: "model", summary: "latent EBM: nets, samplers, training, evaluation, checkpoints",
                 builtins: (ModelRows.networks + ModelRows.samplers + ModelRows.evaluation + ModelRows.training + ModelRows.diagnosis + ModelRows.inference + ModelRows.checkpoints)
                   .map { $0.namingMethodErrors() })
  }
}

enum ModelRows {
  /// Energy nets, generators and the model.
  static let networks: [Builtin] = [
    Builtin("energy_net", params: [Param("latent", .positiveInt), Param("hidden", .intList, default: .list([.number(200), .number(200)]))]
              + activationParams + [Param("form", .string, default: .string("identity"))],
            doc: """
              The energy net E_α(z): an MLP latent → hidden… → 1 (PyTorch's default init).
              The prior it defines is p_α(z) ∝ exp(−E_α(z)) · N(0, σ0² I).
              act: relu, leaky_relu (slope), gelu, silu/swish, mish, tanh, sigmoid, softplus.
              form, applied to the output: identity (default), tanh (E in (−1, 1)), sigmoid (E in (0, 1)),
              softplus (E ≥ 0); the bounded forms keep training from diverging.
              """, impl: energyNet),
    Builtin("residual_energy_net", params: [Param("latent", .positiveInt), Param("width", .positiveInt, default: .number(128)),
                                            Param("blocks", .nonNegativeInt, default: .number(2))]
              + activationParams + [Param("form", .string, default: .string("identity"))],
            doc: """
              A residual MLP energy E_α(z): latent → width, then `blocks` residual blocks h ← h + W₂ act(W₁ act(h)),
              then act → 1 and the form (as energy_net). The skips let deeper energies train.
              """, impl: residualEnergyNet),
    Builtin("generator", params: [Param("latent", .positiveInt), Param("hidden", .intList, default: .list([.number(128), .number(128)])),
                                  Param("out", .positiveInt)] + activationParams,
            doc: "An MLP generator g_β: latent → hidden… → out (no activation on the output).", impl: mlpGenerator),
    Builtin("conv_generator", params: [Param("latent", .positiveInt), Param("size", .positiveInt, default: .number(32)),
                                       Param("channels", .positiveInt, default: .number(3)), Param("ngf", .positiveInt, default: .number(64))],
            doc: """
              A transposed-convolution generator for size×size images, size 4·2^k or 7·2^k with k ≥ 1 and at most 1024
              (8, 14, 16, 28, 32, 56, 64, …). ConvT(nz→8ngf, k4 s1 p0) makes a 4×4 map (ConvT(nz→4ngf, k7 s1 p0) a 7×7
              one), then one ConvT(k4 s2 p1) per doubling, each halving the channels but never below ngf, the last
              giving C; tanh at the end. Size 32 is the reference SVHN net nz → 8ngf → 4ngf → 2ngf → C
              (1 → 4 → 8 → 16 → 32); 64 the paper's CelebA net nz → 8ngf → 4ngf → 2ngf → ngf → C; 28 is
              nz → 4ngf → 2ngf → C (1 → 7 → 14 → 28). LeakyReLU(0.2) between, Xavier-normal conv weights.
              """, impl: convGenerator),
    Builtin("latent_ebm", params: [Param("energy"), Param("generator", .handle(GeneratorHandle.self)), Param("sigma", .number, default: .number(0.3)),
                                   Param("prior_sigma", .number, default: .number(1)),
                                   Param("inference", .optional(.handle(EncoderHandle.self)), default: .none)],
            doc: """
              A latent space EBM prior model (Pang et al., 2020):
                z ~ p_α(z) ∝ exp(−E_α(z)) · N(0, σ0² I),   x = g_β(z) + ε,  ε ~ N(0, σ² I).
              energy: an energy_net, none for the Gaussian-prior baseline (p(z) = N(0, σ0² I)), or any differentiable
              function of z giving one energy per row: fn(z) { square(E1(z)) + E2(z) }. Its weights are those it
              reads (found by running it once); it trains, samples and saves on the autodiff path, and loads with
              load(path, energy: f). A net of layers ([N, latent] → [N, 1], e.g. sequential([linear(2, 64), relu,
              linear(64, 1)])) works too, on the planned path when all its items are layers.
              sigma: σ (0.3); prior_sigma: σ0 (1).
              inference: an encoder(...) or conv_encoder(...) q_φ(z | x) for amortized inference (docs/method.md,
              "Amortized inference"): posterior chains start at z ~ q_φ(z | x) instead of N(0, I) and run K⁺ steps
              (posterior_steps: 0 keeps q's sample); train fits q_φ at lr_g by the ELBO under the tilted prior
              (history column loss_q), and log_likelihood(m, x, proposal: "encoder") bounds log p(x) with q_φ.
              """, impl: latentEBM),
    Builtin("energy", params: [Param("model", .handle(ModelHandle.self)), Param("z", .tensor)],
            doc: "E_α(z) for each row of z ([N, latent] → [N]); zeros for the Gaussian prior. Differentiable: grad works through it.",
            impl: energy),
    Builtin("decode", params: [Param("model", .handles([ModelHandle.self, VAEHandle.self])), Param("z", .tensor)],
            doc: "g_β(z), the generator's output for each row of z ([N, latent] → [N, …]). Differentiable: grad works through it.",
            impl: decode),
  ]

  /// The two short-run Langevin samplers and sampling x.
  static let samplers: [Builtin] = [
    Builtin("sample_prior", params: [Param("model", .handle(ModelHandle.self)), Param("n", .any, default: .number(100))] + langevinParams(steps: 60, step: 0.4)
              + [temperatureParam, Param("trace", .bool, default: .bool(false)), rngParam],
            doc: """
              z ~ p_α(z) by short-run Langevin: n chains from N(0, init_std² I) (or from a given [N, latent] z),
                z ← z − (s²/2)·∇z[E_α(z) + ‖z‖²/(2σ0²)] + s·N(0, I)
              for `steps` (K⁻ = 60) steps of size `step` (s⁻ = 0.4). noise: false gives gradient descent.
              temperature: T samples p_α(z)^(1/T): drift (s²/2)·∇z[…]/T, same noise (T = 1 is the method;
              T < 1 sharpens the modes).
              trace: true returns {z, trace} with per-step energy, gradient norms and displacement.
              rng: a random_stream to draw from instead of the script's generator.
              """, impl: samplePrior),
    Builtin("sample_posterior", params: [Param("model", .handle(ModelHandle.self)), Param("x", .tensor)] + langevinParams(steps: 20, step: 0.1)
              + [Param("init", .optional(.tensor), default: .none), Param("trace", .bool, default: .bool(false)), rngParam],
            doc: """
              z ~ p(z | x) by short-run Langevin, one chain per row of x, from N(0, init_std² I) (from z ~ q_φ(z | x) for a
              model with an encoder), or from `init`:
                z ← z − (s²/2)·∇z[‖x − g_β(z)‖²/(2σ²) + E_α(z) + ‖z‖²/(2σ0²)] + s·N(0, I)
              for `steps` (K⁺ = 20) steps of size `step` (s⁺ = 0.1). trace: true returns {z, trace}.
              rng: a random_stream to draw from instead of the script's generator.
              """, impl: samplePosterior),
    Builtin("generate", params: [Param("model", .handles([ModelHandle.self, VAEHandle.self])), Param("n", .positiveInt, default: .number(100))] + langevinParams(steps: 60, step: 0.4)
              + [temperatureParam],
            doc: """
              Samples x = g_β(z) with z from prior Langevin (exactly N(0, σ0² I) for the Gaussian prior and a VAE,
              which ignore the chain keywords).
              temperature: T runs the prior chains on p_α(z)^(1/T), as sample_prior does (1: the method).
              """, impl: generate),
    Builtin("reconstruct", params: [Param("model", .handles([ModelHandle.self, VAEHandle.self])), Param("x", .tensor)] + langevinParams(steps: 20, step: 0.1),
            doc: "Reconstructions g_β(z⁺) with z⁺ from posterior Langevin on x; for a VAE, g_β(μ_φ(x)).", impl: reconstruct),
  ]

  /// Measures of a trained model.
  static let evaluation: [Builtin] = [
    Builtin("reconstruction_error", params: [Param("model", .handles([ModelHandle.self, VAEHandle.self])), Param("x", .tensor)] + langevinParams(steps: 20, step: 0.1),
            doc: "Per-pixel mean squared error ‖x − g(z⁺)‖² / (N·D) with z⁺ from posterior Langevin (docs/method.md).",
            impl: reconstructionError),
    Builtin("anomaly_score", params: [Param("model", .handles([ModelHandle.self, VAEHandle.self])), Param("x", .tensor)] + langevinParams(steps: 20, step: 0.1)
              + [Param("terms", .list, default: .list([.string("reconstruction"), .string("energy"), .string("gaussian")]))],
            doc: """
              The anomaly score per row of x (higher = more anomalous), z from posterior Langevin:
                ‖x − g(z)‖²/(2σ²) + E_α(z) + ‖z‖²/(2σ0²)
              terms: which to add, of "reconstruction", "energy" and "gaussian" (all by default), so each
              can be measured alone. For a VAE, z is the encoder's mean μ_φ(x) and there is no energy term.
              """, impl: anomalyScore),
    Builtin("log_likelihood", params: [Param("model", .handles([ModelHandle.self, VAEHandle.self])), Param("x", .tensor), Param("steps", .positiveInt, default: .number(500)),
                                       Param("chains", .positiveInt, default: .number(16)), Param("proposal", .string, default: .string("ais"))],
            doc: """
              log p(x) per row of x by annealed importance sampling (docs/method.md, "Log-likelihood"):
                log p(x) = log ∫ exp(−E_α(z)) p_β(x | z) N(z; 0, σ0² I) dz − log Z(α),
              both terms by AIS from N(0, σ0² I) with `steps` temperatures and one MALA step at each,
              `chains` chains per example. Returns {log_p (tensor), se (tensor), mean, mean_se, log_z,
              log_z_se, bits_per_dim (for images in [−1, 1] from 0…255)}. Slow: steps × chains passes.
              proposal: "encoder" (a model with an encoder) estimates the integral by importance sampling with
              q_φ(z | x) as the proposal instead, `steps` draws a row: a lower bound on log p(x) in expectation that
              tightens as steps grow; log Z(α) still comes from AIS. Its se is log Z's alone.
              """, impl: logLikelihood),
    Builtin("auprc", params: [Param("scores", .tensor), Param("labels", .any)],
            doc: "Area under the precision–recall curve of scores (higher = positive) against labels (true/1 = positive).", impl: auprcRow),
    Builtin("mmd", params: [Param("x", .tensor), Param("y", .tensor), Param("bandwidths", .list, default: .list([.number(0.1), .number(0.3), .number(1)])),
                            Param("floor", .bool, default: .bool(false))],
            doc: """
              Squared MMD (biased) between samples [N, d] and [M, d] with Σ of Gaussian kernels exp(−‖a−b‖²/(2h²)).
              floor: true returns {mmd2, floor}: floor is the MMD² expected between two independent samples of
              sizes N and M from y's distribution, (1/N + 1/M)·(K₀ − mean k(yᵢ, yⱼ), i ≠ j), K₀ = number of
              bandwidths: the value to read mmd2 against (data vs data scores about that much, not 0).
              """, impl: mmdRow),
    Builtin("mode_coverage", params: [Param("samples", .tensor), Param("centres", .tensor), Param("radius", .number, default: .number(0.3))],
            doc: """
              How samples [N, d] cover a set of modes [K, d]: a sample is near mode k when k is its nearest centre
              and ‖x − c_k‖ ≤ radius. Returns {near, shares, counts, min_share}: near = near samples / N;
              counts[k] the near samples of mode k; shares[k] = counts[k] / (near samples); min_share the smallest.
              toy_centres("8gaussians") gives the centres of the 8-Gaussians data.
              """, impl: modeCoverageRow),
  ]

  /// Settings and learning.
  static let training: [Builtin] = [
    Builtin("configure", params: [Param("model", .handle(ModelHandle.self))] + settingParams,
            doc: """
              Sets the model's training settings: every later train, train_step and export_torch uses them.
              Returns them as a record.
              """ + "\n" + settingsDoc(kept: true), impl: configure),
    Builtin("train_step", params: [Param("model", .handles([ModelHandle.self, VAEHandle.self])), Param("x", .tensor)] + settingParams,
            doc: """
              One joint learning iteration on the batch x (docs/method.md): z⁺ by posterior Langevin, z⁻ by prior
              Langevin, then Adam on G with Σ‖x − g(z⁺)‖²/batch and on E with mean E(z⁺) − mean E(z⁻).
              Returns {step, loss_g, loss_e, en_pos, en_neg, grad_g, grad_e, z_pos, z_neg, disp_pos, disp_neg, mse}.
              Stops with an error, the model unchanged, if the chains or gradients blow up.
              """ + "\n" + settingsDoc(kept: false), impl: trainStep),
    Builtin("train", params: [Param("model", .handles([ModelHandle.self, VAEHandle.self])), Param("data", .tensor), Param("epochs", .positiveInt, default: .number(1)),
                              Param("batch", .positiveInt, default: .number(100)), Param("shuffle", .bool, default: .bool(true)),
                              Param("every", .nonNegativeInt, default: .number(1)), Param("callback", .optional(.function), default: .none),
                              Param("watch", .nonNegativeInt, default: .number(0)), Param("on", .string, default: .string("lebm")),
                              Param("device", .optional(.string), default: .none)]
              + settingParams,
            doc: """
              Trains for `epochs` passes over data in shuffled mini-batches of `batch`, printing a line every
              `every` epochs (0: quiet; loss_g, and loss_e, en_pos, en_neg when the model has an energy, at fixed
              widths) and calling callback(epoch, stats) after each epoch. On a terminal a progress line (step/total,
              it/s, time left, last losses) is redrawn in place meanwhile; in Jupyter it is an output updated in place.
              The learning rates decay by lr_decay per epoch. Ctrl-C stops between steps; the model keeps every
              completed step, and the message says how many ("interrupted after step 257 of 1000; …").
              watch: N runs diagnose's cheap checks (energy_gap, step_health, weights) every N epochs and prints a
              line when one turns to warn or fail, with its remedy.
              Returns the statistics history (also model.history): h.step, h.loss_g, h.loss_e, … are lists.
              on: "torch" trains with PyTorch instead (docs/pytorch.md): the model is exported to a temporary
              folder and its train.py runs under the Python of LEBM_PYTHON (default python3) on device ("cpu",
              "cuda", "cuda:N", "mps"; default cuda when torch sees one), compiled on a GPU (CUDA graphs); its
              progress shows as here, Ctrl-C stops it after the iteration under way, and its last checkpoint comes
              back into the model with the history. An epoch there is floor(N / batch) whole batches.
              """ + "\n" + settingsDoc(kept: false), impl: train),
  ]

  static let checkpoints: [Builtin] = [
    Builtin("save", params: [Param("model", .handles([ModelHandle.self, VAEHandle.self])), Param("path", .string),
                             Param("optimizers", .record, default: .record(Record()))],
            doc: """
              Writes the model (a latent EBM or a VAE) and its training state to a safetensors checkpoint (atomically).
              optimizers: a record of optimizers over the model's weights ({e: opt_e, g: opt_g}), saved with their
              moments and step counts; load gives them back as m.optimizers, over the loaded weights.
              """, impl: save),
    Builtin("load", params: [Param("path", .string), Param("energy", .any, default: .none)],
            doc: """
              Reads a checkpoint written by save: the model (a latent EBM or a VAE), ready to sample or to continue training, with the
              optimizers saved beside it in m.optimizers. A model whose energy was a script function or a net of
              layers needs it again: load(path, energy: f) writes the saved weights into the nets f reads (or the net).
              """, impl: load),
    Builtin("export_torch", params: [Param("model", .handle(ModelHandle.self)), Param("folder", .string), Param("overwrite", .bool, default: .bool(false))]
              + settingParams,
            doc: """
              Writes the model as a PyTorch project into folder (made when missing; docs/pytorch.md):
                model.py             the nets as nn.Modules under the checkpoint's names, sample_prior, sample_posterior
                train.py             the learning iteration with the model's settings; DistributedDataParallel
                                     under `torchrun --nproc_per_node N` (nccl on GPUs, gloo on CPUs)
                weights.safetensors  the weights and training state, as save writes them
                README.md            the commands
              train.py writes checkpoints that load reads, to continue here. Returns the folder.
              A folder that holds anything is refused unless overwrite: true, which replaces these four
              files in it (other files stay). The files are written beside the folder first and moved into
              place, so a failed export leaves nothing half-written.
              train.py carries the model's settings (configure), with any setting keyword given here in their place;
              a line says which learning rates it starts from (lr · lr_decay^epoch, the epoch the model reached).
              """ + "\n" + settingsDoc(kept: false), impl: exportTorch),
  ]

  // MARK: - Parameters shared by rows

  static let activationParams = [Param("act", .string, default: .string("leaky_relu")), Param("slope", .number, default: .number(0.2))]

  /// T of the prior samplers: the chains sample p_α(z)^(1/T) (1 is the method).
  static let temperatureParam = Param("temperature", .number, default: .number(1))

  static func langevinParams(steps: Int, step: Double) -> [Param] {
    [Param("steps", .optional(.nonNegativeInt), default: .number(Double(steps))), Param("step", .optional(.number), default: .number(step)),
     Param("noise", .bool, default: .bool(true)), Param("init_std", .number, default: .number(1))]
  }

  /// A keyword per training setting of ``TrainConfig/table`` (none keeps the model's value).
  static let settingParams: [Param] = TrainConfig.table.map { s in
    switch s.kind {
    case .number, .optionalNumber: return Param(s.name, .optional(.number), default: .none)
    case .count: return Param(s.name, .optional(.nonNegativeInt), default: .none)
    case .flag: return Param(s.name, .optional(.bool), default: .none)
    }
  }

  /// The settings' help lines, under a heading that says whether the model keeps them
  /// (`configure`) or they apply to the one call (`train`, `train_step`, `export_torch`).
  static func settingsDoc(kept: Bool) -> String {
    (kept ? "Training settings (keywords; the model keeps them; none keeps the current value):\n"
          : "Training settings for this call only (keywords; the model's own, from configure, hold again after it):\n")
      + TrainConfig.table.map { "  " + $0.helpLine }.joined(separator: "\n")
  }

  // MARK: - Networks and the model

  static func energyNet(_ a: Args) throws -> Value {
    let hidden = try a.ints("hidden") ?? []
    guard hidden.allSatisfy({ $0 >= 1 }) else { throw a.fail("'hidden' sizes must be positive, got \(hidden)") }
    return .opaque(EnergyNetHandle(try EnergyNet(latent: try a.int("latent"), hidden: hidden, activation: try a.activation(),
                                                 form: try a.energyForm(), using: &a.interpreter.rng)))
  }

  static func residualEnergyNet(_ a: Args) throws -> Value {
    .opaque(EnergyNetHandle(try ResidualEnergyNet(latent: try a.int("latent"), width: try a.int("width"), blocks: try a.int("blocks"),
                                                  activation: try a.activation(), form: try a.energyForm(), using: &a.interpreter.rng)))
  }

  static func mlpGenerator(_ a: Args) throws -> Value {
    let hidden = try a.ints("hidden") ?? []
    guard hidden.allSatisfy({ $0 >= 1 }) else { throw a.fail("'hidden' sizes must be positive, got \(hidden)") }
    return .opaque(GeneratorHandle(try Generator(latent: try a.int("latent"), hidden: hidden, output: try a.int("out"),
                                                 activation: try a.activation(), using: &a.interpreter.rng)))
  }

  static func convGenerator(_ a: Args) throws -> Value {
    .opaque(GeneratorHandle(try Generator(latent: try a.int("latent"), imageSize: try a.int("size"), channels: try a.int("channels"),
                                          ngf: try a.int("ngf"), using: &a.interpreter.rng)))
  }

  static func latentEBM(_ a: Args) throws -> Value {
    guard case .opaque(let o) = a["generator"], let g = o as? GeneratorHandle else {
      throw a.fail("'generator' must be a generator(...) or conv_generator(...), got \(shown(a["generator"]))")
    }
    let e = try energyModel(a, a["energy"], latent: g.generator.latent)
    var q: GaussianEncoder? = nil
    if case .opaque(let h as EncoderHandle) = a["inference"] { q = h.encoder }
    return .opaque(ModelHandle(try LatentEBM(energy: e, generator: g.generator, sigma: try a.positive("sigma"),
                                             priorSigma: try a.positive("prior_sigma"), encoder: q)))
  }

  /// The `energy` argument as an energy model: an energy net, a script function of z, or none.
  static func energyModel(_ a: Args, _ v: Value, latent: Int) throws -> EnergyModel? {
    switch v {
    case .none: return nil
    case .opaque(let o as EnergyNetHandle): return o.net
    case .opaque(let o as LayerHandle): return try LayerEnergy(o, latent: latent)
    case .function(let c): return try ScriptEnergy(v, latent: latent, name: c.name, interpreter: a.interpreter)
    case .builtin(let b): return try ScriptEnergy(v, latent: latent, name: b.name, interpreter: a.interpreter)
    default: throw a.fail("'energy' must be an energy_net(...), a function of z, a net of layers, or none, got \(shown(v))")
    }
  }

  static func energy(_ a: Args) throws -> Value { .tensor(try a.model("model").model.energy(try a.tensor("z"))) }

  static func decode(_ a: Args) throws -> Value {
    if let v = vaeModel(a) { return .tensor(try v.model.generator(try a.tensor("z"))) }
    return .tensor(try a.model("model").model.generator(try a.tensor("z")))
  }

  // MARK: - Samplers

  static func samplePrior(_ a: Args) throws -> Value {
    let m = try a.model("model")
    let z0 = try startLatents(a, m, "n")
    let trace = try a.bool("trace") ? LangevinTrace() : nil
    let config = try a.priorLangevin()
    let z = try a.withRNG { try m.model.samplePrior(from: z0, config: config, using: &$0, trace: trace) }
    if let trace { return .record(Record([("z", .tensor(z)), ("trace", traceRecord(trace))])) }
    return .tensor(z)
  }

  static func samplePosterior(_ a: Args) throws -> Value {
    let m = try a.model("model")
    let x = try a.tensor("x")
    guard x.rank >= 1 else { throw a.fail("'x' must have a batch axis, got a scalar") }
    let std = try a.float("init_std"), config = try a.langevin(.posterior)
    let z0 = a.isNone("init") ? try a.withRNG { try m.model.posteriorStarts(x, std: std, using: &$0) } : try a.tensor("init")
    let trace = try a.bool("trace") ? LangevinTrace() : nil
    let z = try a.withRNG { try m.model.samplePosterior(x, from: z0, config: config, using: &$0, trace: trace) }
    if let trace { return .record(Record([("z", .tensor(z)), ("trace", traceRecord(trace))])) }
    return .tensor(z)
  }

  /// z as an [N, latent] tensor: a count of chains to start from N(0, init_std²), or given z.
  static func startLatents(_ a: Args, _ m: ModelHandle, _ p: String) throws -> Tensor {
    if case .number = a[p] {
      let n = try a.int(p)
      guard n >= 1 else { throw a.fail("'\(p)' must be a positive integer or a tensor of z, got \(n)") }
      let std = try a.float("init_std")
      return try a.withRNG { try m.model.initialLatents(n, std: std, using: &$0) }
    }
    return try a.tensor(p)
  }

  static func generate(_ a: Args) throws -> Value {
    if let v = vaeModel(a) { return .tensor(try v.model.generate(try a.int("n"), using: &a.interpreter.rng)) }
    return .tensor(try a.model("model").model.generate(try a.int("n"), config: try a.priorLangevin(), using: &a.interpreter.rng))
  }

  static func reconstruct(_ a: Args) throws -> Value {
    if let v = vaeModel(a) { return .tensor(try v.model.reconstruct(try a.tensor("x"))) }
    return .tensor(try a.model("model").model.reconstruct(try a.tensor("x"), config: try a.langevin(.posterior), using: &a.interpreter.rng))
  }

  // MARK: - Evaluation

  static func reconstructionError(_ a: Args) throws -> Value {
    if let v = vaeModel(a) {
      let x = try a.tensor("x")
      return .number(Double(try (x - v.model.reconstruct(x)).square().mean().item()))
    }
    let m = try a.model("model")
    return .number(Double(try m.model.reconstructionError(try a.tensor("x"), config: try a.langevin(.posterior), using: &a.interpreter.rng)))
  }

  static func anomalyScore(_ a: Args) throws -> Value {
    var terms: AnomalyTerms = []
    for v in try a.list("terms") {
      guard case .string(let name) = v, let t = AnomalyTerms.names.first(where: { $0.0 == name })?.1 else {
        throw a.fail("'terms' must list \(AnomalyTerms.names.map { "\"\($0.0)\"" }.joined(separator: ", ")), got \(shown(v))")
      }
      terms.insert(t)
    }
    if let v = vaeModel(a) { return .tensor(try v.model.anomalyScore(try a.tensor("x"), terms: terms)) }
    return .tensor(try a.model("model").model.anomalyScore(try a.tensor("x"), terms: terms, config: try a.langevin(.posterior),
                                                           using: &a.interpreter.rng))
  }

  static func logLikelihood(_ a: Args) throws -> Value {
    if let v = vaeModel(a) { return try vaeLogLikelihood(a, v) }
    let m = try a.model("model")
    let config = AISConfig(steps: try a.int("steps"), chains: try a.int("chains")), x = try a.tensor("x")
    let e: LogLikelihoodEstimate
    switch try a.string("proposal") {
    case "ais": e = try m.model.logLikelihood(x, config: config, using: &a.interpreter.rng)
    case "encoder":
      guard m.model.encoder != nil else { throw a.fail("proposal: \"encoder\" needs a model with an encoder: latent_ebm(E, G, inference: q)") }
      let (logZ, logZError) = try m.model.logPartition(config, using: &a.interpreter.rng)
      let values = try m.model.importanceSampledLogLikelihood(x, samples: config.steps, logPartition: logZ, using: &a.interpreter.rng)
      e = LogLikelihoodEstimate(perExample: values, standardErrors: values.map { _ in logZError }, logPartition: logZ,
                                logPartitionError: logZError, dimensions: m.model.generator.outputShape.reduce(1, *))
    case let other: throw a.fail("'proposal' must be \"ais\" or \"encoder\", got \"\(other)\"")
    }
    return .record(Record([
      ("log_p", .tensor(try Tensor(shape: [e.perExample.count], scalars: e.perExample.map(Float.init)))),
      ("se", .tensor(try Tensor(shape: [e.standardErrors.count], scalars: e.standardErrors.map(Float.init)))),
      ("mean", .number(e.mean)), ("mean_se", .number(e.meanError)),
      ("log_z", .number(e.logPartition)), ("log_z_se", .number(e.logPartitionError)),
      ("bits_per_dim", .number(e.bitsPerDimension)),
    ]))
  }

  static func auprcRow(_ a: Args) throws -> Value {
    let s = try a.tensor("scores").scalars
    let labels: [Bool]
    switch a["labels"] {
    case .list(let l): labels = try l.map { try $0.truthy() }
    case .tensor(let t): labels = t.scalars.map { $0 != 0 }
    default: throw a.fail("'labels' must be a list or a tensor, got \(shown(a["labels"]))")
    }
    return .number(Double(try auprc(scores: s, labels: labels)))
  }

  static func mmdRow(_ a: Args) throws -> Value {
    let hs = try a.list("bandwidths").map { v -> Float in
      guard case .number(let h) = v else { throw a.fail("'bandwidths' must be numbers") }
      return Float(h)
    }
    let x = try a.tensor("x"), y = try a.tensor("y")
    let value = Value.number(Double(try mmd(x, y, bandwidths: hs)))
    guard try a.bool("floor") else { return value }
    let floor = try mmdFloor(y, n: x.shape[0], m: y.shape[0], bandwidths: hs)
    return .record(Record([("mmd2", value), ("floor", .number(Double(floor)))]))
  }

  static func modeCoverageRow(_ a: Args) throws -> Value {
    let (near, counts) = try modeCoverage(try a.tensor("samples"), centres: try a.tensor("centres"), radius: try a.positive("radius"))
    let total = counts.reduce(0, +)
    let shares = counts.map { total == 0 ? 0 : Double($0) / Double(total) }
    return .record(Record([("near", .number(Double(near))), ("shares", .list(shares.map { .number($0) })),
                           ("counts", .list(counts.map { .number(Double($0)) })), ("min_share", .number(shares.min() ?? 0))]))
  }

  // MARK: - Training

  static func configure(_ a: Args) throws -> Value {
    let m = try a.model("model")
    try m.configure(try a.settings(m.config))
    return .record(configRecord(m.config))
  }

  /// Runs `body` with the model's trainer under the call's setting keywords, then puts the model's
  /// own settings back (also when `body` throws or is interrupted): a call's keywords apply to that
  /// call only; `configure` is what changes the model. The optimizers' moments, the step count and
  /// the chains carry on as usual.
  static func withCallSettings<T>(_ a: Args, _ body: (ModelHandle, Trainer) throws -> T) throws -> T {
    let m = try a.model("model")
    let call = try a.settings(m.config)
    let t = try m.activeTrainer(seed: a.interpreter.rng.next())
    let own = m.config
    guard call != own else { return try body(m, t) }
    try m.configure(call)
    // `own` was valid when it was set, so putting it back cannot fail.
    defer { try? m.configure(own) }
    return try body(m, t)
  }

  static func trainStep(_ a: Args) throws -> Value {
    if let v = vaeModel(a) { return try vaeTrainStep(a, v) }
    return try withCallSettings(a) { m, t in statsRecord(try t.step(try a.tensor("x")), encoder: m.model.encoder != nil) }
  }

  static func train(_ a: Args) throws -> Value {
    let on = try a.string("on")
    guard on == "lebm" || on == "torch" else {
      throw a.fail("on: must be \"lebm\" or \"torch\", got \"\(on)\"")
    }
    if on == "torch" {
      if vaeModel(a) != nil { throw a.fail("on: \"torch\" trains a latent EBM; a VAE trains in lebm") }
      return try torchTraining(a)
    }
    if !a.isNone("device") {
      throw a.fail("device: is for on: \"torch\" (PyTorch's device); lebm trains on the CPU")
    }
    if let v = vaeModel(a) { return try vaeTrain(a, v) }
    return try withCallSettings(a) { m, t in try fitting(a, m, t) }
  }

  /// `train`'s epochs, with its progress display and epoch lines.
  static func fitting(_ a: Args, _ m: ModelHandle, _ t: Trainer) throws -> Value {
    let epochs = try a.int("epochs"), every = try a.int("every"), data = try a.tensor("data"), batch = try a.int("batch")
    let watch = try a.int("watch"), watcher = Watcher()
    // The live line (a terminal) or the display updated in place (the kernel): the host's choice.
    let live = every > 0 ? LiveProgress.make(a.interpreter.host.progress) : nil
    defer { live?.finish() }
    // Only the numbers that apply: a Gaussian prior has no energy, so no loss_e, en_pos, en_neg.
    let shown = (m.model.energyNet == nil ? ["loss_g"] : ["loss_g", "loss_e", "en_pos", "en_neg"]) + (m.model.encoder == nil ? [] : ["loss_q"])
    let stepsBefore = t.step
    let perEpoch = (max(data.rank >= 1 ? data.shape[0] : 0, 1) - 1) / batch + 1
    let (steps, tooMany) = perEpoch.multipliedReportingOverflow(by: epochs)
    guard !tooMany, steps <= Int.max - stepsBefore else {
      throw a.fail("'epochs' (\(epochs)) times \(perEpoch) batches an epoch is more steps than lebm can count")
    }
    var (done, total) = (0, steps)
    let lastStep = stepsBefore + total
    do {
      try t.fit(
        data, epochs: epochs, batchSize: batch, shuffle: try a.bool("shuffle"),
        onStep: { d, n, stats in
          (done, total) = (d, n)
          live?.update(done: d, total: n, values: stats.values.filter { shown.prefix(2).contains($0.0) }.map { ($0.0, Double($0.1)) })
        }
      ) { s in
        var r = Record(s.means.filter { m.model.encoder != nil || $0.0 != "loss_q" }.map { ($0.0, .number($0.1)) })
        if every > 0 && (s.epoch % every == 0 || s.epoch == epochs) {
          let values = shown.map { k -> (String, Double) in
            if case .number(let x)? = r[k] { return (k, x) }
            return (k, .nan)
          }
          live?.clear()
          a.write(EpochLine.format(epoch: s.epoch, epochs: epochs, step: s.step, lastStep: lastStep, values: values, seconds: s.seconds) + "\n")
        }
        if watch > 0 && s.epoch % watch == 0 {
          live?.clear()
          try watcher.look(m.model, t, epoch: s.epoch) { a.write($0) }
        }
        if !a.isNone("callback") {
          r["epoch"] = .number(Double(s.epoch))
          _ = try a.call(a["callback"], [.number(Double(s.epoch)), .record(r)])
        }
      }
    } catch let e as ScriptError where e.kind == .interrupted {  // Ctrl-C while the callback ran
      throw InterruptedWork(interruptionMessage(done: done, total: total, stepsBefore: stepsBefore))
    } catch is Interrupted {
      // One message, in place of "interrupted": it stops the whole evaluation, as an interrupt anywhere else does.
      throw InterruptedWork(interruptionMessage(done: done, total: total, stepsBefore: stepsBefore))
    }
    return m.historyValue
  }

  /// What `train(…, watch: N)` has reported: each check's last verdict, so that a line is printed
  /// only when one turns worse.
  final class Watcher {
    var verdicts: [String: Verdict] = [:]

    /// Runs the cheap checks (on a random stream of their own, so watching changes no number of the
    /// run) and writes a line for each that turned to warn or fail.
    func look(_ model: LatentEBM, _ t: Trainer, epoch: Int, write: (String) -> Void) throws {
      var rng = RandomGenerator(seed: UInt64(t.step))
      for c in try model.watchChecks(trainer: t, using: &rng) {
        let before = verdicts[c.name] ?? .ok
        verdicts[c.name] = c.verdict
        guard c.verdict > before, c.verdict == .warn || c.verdict == .fail else { continue }
        write("watch, epoch \(epoch): \(c.name) \(c.verdict.rawValue): \(c.meaning)" + (c.remedy.map { "; remedy: \($0)" } ?? "") + "\n")
      }
    }
  }

  /// What `train` says when Ctrl-C stops it (the host prints it in place of "interrupted"; the
  /// REPL's `:save` keeps it beside the commented-out call).
  static func interruptionMessage(done: Int, total: Int, stepsBefore: Int) -> String {
    let kept = done == 0 ? "the model is as it was" : "the model keeps \(done == 1 ? "that step" : "those \(done) steps")"
    let inAll = stepsBefore > 0 && done > 0 ? " (\(stepsBefore + done) in all)" : ""
    return "interrupted after step \(done) of \(total); \(kept)\(inAll)"
  }

  // MARK: - Checkpoints

  static func save(_ a: Args) throws -> Value {
    let path = try a.outputPath()
    if let v = vaeModel(a) {
      guard case .record(let r) = a["optimizers"], r.pairs.isEmpty else { throw a.fail("a VAE keeps its own optimizer; 'optimizers' is the latent EBM's") }
      makeParentFolders(path)
      try Checkpoint.save(v.model, trainer: v.trainer, learningRate: v.learningRate, to: path)
      return .string(path)
    }
    let m = try a.model("model")
    makeParentFolders(path)
    guard case .record(let r) = a["optimizers"] else { throw a.fail("'optimizers' must be a record") }
    let optimizers = try r.pairs.map { key, v -> NamedOptimizer in
      guard case .opaque(let o) = v, let opt = o as? OptimizerHandle else {
        throw a.fail("'optimizers' must hold optimizers (adam(...), sgd(...)), but '\(key)' is \(shown(v))")
      }
      return NamedOptimizer(key: key, optimizer: opt.optimizer)
    }
    try Checkpoint.save(m.model, trainer: m.trainer, optimizers: optimizers, to: path)
    return .string(path)
  }

  static func load(_ a: Args) throws -> Value {
    let path = try a.string("path")
    if try Checkpoint.holdsVAE(path) {
      guard a.isNone("energy") else { throw a.fail("'\(path)' holds a VAE, which has no energy to give") }
      let c = try Checkpoint.readVAE(path)
      return .opaque(VAEHandle(c.model, learningRate: c.learningRate, trainer: c.trainer))
    }
    var energy: EnergyModel? = nil
    if !a.isNone("energy") {
      // The function's latent size comes from the file; a probe of the wrong size fails in the check.
      let latent = try Checkpoint.latentSize(path)
      energy = try energyModel(a, a["energy"], latent: latent)
    }
    let c = try Checkpoint.read(path, energy: energy)
    let m = ModelHandle(c.model, trainer: c.trainer)
    m.optimizers = c.optimizers.map { ($0.key, OptimizerHandle($0.optimizer, names: optimizerNames($0.optimizer, of: m))) }
    return .opaque(m)
  }

  /// The model's names for an optimizer's weights.
  static func optimizerNames(_ o: Optimizer, of m: ModelHandle) -> [String] {
    let named = m.namedParameters
    return o.parameters.map { p in named.first { $0.1.sharesStorage(with: p) }?.0 ?? "?" }
  }

  static func exportTorch(_ a: Args) throws -> Value {
    let m = try a.model("model")
    let folder = try a.outputPath("folder")
    let settings = try a.settings(m.config)
    try TorchExport.write(m.model, trainer: m.trainer, config: settings, to: folder, overwrite: try a.bool("overwrite"))
    let own = settings == m.config ? "the model's settings" : "the model's settings with this call's keywords"
    a.write(TorchExport.ratesNote(settings, epoch: m.trainer?.epoch ?? 0, hasEnergy: m.model.energyNet != nil) + " (\(own))\n")
    return .string(folder)
  }
}

// MARK: - Argument helpers

extension Args {
  func model(_ p: String) throws -> ModelHandle {
    if case .opaque(let o) = self[p], let m = o as? ModelHandle { return m }
    var hint = ""
    if case .opaque(let o) = self[p], o is EnergyNetHandle || o is GeneratorHandle {
      hint = " (to apply a net on its own, call it: \(o is EnergyNetHandle ? "E(z)" : "G(z)"))"
    }
    throw fail("'\(p)' must be a model made by latent_ebm(...), got \(shown(self[p]))\(hint)")
  }

  /// The activation of `act` and `slope`.
  func activation() throws -> Activation {
    let name = try string("act")
    let slope = try number("slope")
    if let problem = slopeProblem(slope) { throw fail("'slope' must be \(problem), got \(slope)") }
    guard let a = Activation(name: name, slope: Float(slope)) else {
      throw fail("'act' must be one of \(Activation.names.joined(separator: ", ")), got \"\(name)\"")
    }
    return a
  }

  func energyForm() throws -> EnergyForm {
    let name = try string("form")
    guard let form = EnergyForm(rawValue: name) else {
      throw fail("'form' must be one of \(EnergyForm.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(name)\"")
    }
    return form
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

  /// The prior chains' configuration: ``langevin(_:)`` around K⁻ = 60, s⁻ = 0.4, plus `temperature`.
  func priorLangevin() throws -> LangevinConfig {
    var c = try langevin(.prior)
    c.temperature = try positive("temperature")
    return c
  }

  /// The settings `base` with every given setting keyword applied, each checked by its rule.
  func settings(_ base: TrainConfig) throws -> TrainConfig {
    var c = base
    for s in TrainConfig.table where !isNone(s.name) {
      let v: JSONValue
      switch self[s.name] {
      case .bool(let b): v = .bool(b)
      case .number(let x): v = .number(x)
      default: continue
      }
      c = try c.setting(s.name, to: v)
    }
    return c
  }
}

extension Builtin {
  /// The row with the method's argument and shape errors told as this builtin's.
  func namingMethodErrors() -> Builtin {
    let body = impl
    return Builtin(name, group: group, params: params, doc: doc) { a in
      do { return try body(a) } catch let e as LatentEBMError {
        switch e {
        case let .invalidArgument(m), let .shape(m): throw a.fail(m)
        default: throw e
        }
      }
    }
  }
}
