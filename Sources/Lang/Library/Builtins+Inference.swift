// The VAE baseline in scripts: encoders, `vae(...)`, and the model builtins' VAE path (train,
// train_step, generate, reconstruct, reconstruction_error, log_likelihood), which those builtins
// hand a VAE to. LatentEBM's VAE.swift holds the math.
import Engine
import Glibc
import LatentEBM

extension ModelRows {
  static let inference: [Builtin] = [
    Builtin("encoder", params: [Param("latent", .positiveInt), Param("input", .positiveInt), Param("hidden", .optional(.intList), default: .list([]))]
              + activationParams,
            doc: """
              A Gaussian encoder q_φ(z | x) = N(μ_φ(x), diag exp(ℓ_φ(x))): an MLP input → hidden… → 2·latent over data of
              `input` values (flattened). q(x) gives {mean, log_var}, each [N, latent].
              """, impl: encoder),
    Builtin("conv_encoder", params: [Param("latent", .positiveInt), Param("size", .positiveInt, default: .number(32)),
                                     Param("channels", .positiveInt, default: .number(3)), Param("ndf", .positiveInt, default: .number(64))],
            doc: """
              A Gaussian encoder over channels × size × size images: the conv_generator of that size read backwards
              (Conv2d k4 s2 p1 layers halving the side, LeakyReLU(0.2), a last Conv2d to 2·latent numbers).
              """, impl: convEncoder),
    Builtin("vae", params: [Param("encoder", .handle(EncoderHandle.self)), Param("generator", .handle(GeneratorHandle.self)),
                            Param("sigma", .number, default: .number(0.3)), Param("prior_sigma", .number, default: .number(1)),
                            Param("lr", .number, default: .number(1e-3))],
            doc: """
              The VAE baseline (docs/method.md, "The VAE baseline"): p(z) = N(0, σ0² I), p(x | z) = N(g_β(z), σ² I), q_φ
              the encoder; trained by Adam (lr, betas 0.9, 0.999) on −ELBO with the reparameterized z = μ + e^{ℓ/2}·ε and
              the KL in closed form. train, train_step, generate, reconstruct (g(μ(x))), reconstruction_error and
              log_likelihood (importance sampling with q_φ, `steps` draws) take it as they take a latent EBM.
              """, impl: vae),
  ]

  static func encoder(_ a: Args) throws -> Value {
    let hidden = try a.ints("hidden") ?? []
    guard hidden.allSatisfy({ $0 >= 1 }) else { throw a.fail("'hidden' sizes must be positive, got \(hidden)") }
    return .opaque(EncoderHandle(try GaussianEncoder(latent: try a.int("latent"), input: try a.int("input"), hidden: hidden,
                                                     activation: try a.activation(), using: &a.interpreter.rng)))
  }

  static func convEncoder(_ a: Args) throws -> Value {
    .opaque(EncoderHandle(try GaussianEncoder(latent: try a.int("latent"), imageSize: try a.int("size"), channels: try a.int("channels"),
                                              ndf: try a.int("ndf"), using: &a.interpreter.rng)))
  }

  static func vae(_ a: Args) throws -> Value {
    guard case .opaque(let e as EncoderHandle) = a["encoder"], case .opaque(let g as GeneratorHandle) = a["generator"] else {
      throw a.fail("needs an encoder and a generator")
    }
    let lr = try a.positive("lr")
    return .opaque(VAEHandle(try VAE(encoder: e.encoder, generator: g.generator, sigma: try a.positive("sigma"),
                                     priorSigma: try a.positive("prior_sigma")), learningRate: lr))
  }

  /// The VAE passed as `model`, or nil for a latent EBM.
  static func vaeModel(_ a: Args) -> VAEHandle? {
    if case .opaque(let v as VAEHandle) = a["model"] { return v }
    return nil
  }

  /// A VAE takes none of the latent EBM's training settings (its rate is vae(..., lr:)).
  static func refuseSettings(_ a: Args) throws {
    if let given = settingParams.first(where: { !a.isNone($0.name) }) {
      throw a.fail("'\(given.name)' is a latent EBM's training setting; a VAE takes its learning rate in vae(..., lr:)")
    }
  }

  static func vaeStats(_ s: VAEStats) -> Value {
    .record(Record([("step", .number(Double(s.step))), ("loss", .number(Double(s.loss))), ("kl", .number(Double(s.kl))),
                    ("mse", .number(Double(s.mse)))]))
  }

  static func vaeTrainStep(_ a: Args, _ v: VAEHandle) throws -> Value {
    try refuseSettings(a)
    return vaeStats(try v.activeTrainer(seed: a.interpreter.rng.next()).step(try a.tensor("x")))
  }

  /// `train` on a VAE: epochs of shuffled batches, a line every `every` epochs, the callback.
  static func vaeTrain(_ a: Args, _ v: VAEHandle) throws -> Value {
    try refuseSettings(a)
    guard try a.int("watch") == 0 else { throw a.fail("'watch' runs diagnose's checks, which are a latent EBM's") }
    let t = try v.activeTrainer(seed: a.interpreter.rng.next())
    let epochs = try a.int("epochs"), every = try a.int("every"), data = try a.tensor("data")
    let before = t.step
    do {
      for e in 1...epochs {
        let s = try t.fit(data, epochs: 1, batchSize: try a.int("batch"), shuffle: try a.bool("shuffle"))[0]
        if every > 0 && (e % every == 0 || e == epochs) {
          a.write("epoch \(e)/\(epochs)  step \(s.step)  loss=\(formatScalar(s.loss)) kl=\(formatScalar(s.kl)) mse=\(formatScalar(s.mse))\n")
        }
        if !a.isNone("callback") {
          _ = try a.call(a["callback"], [.number(Double(e)), vaeStats(s)])
        }
      }
    } catch is Interrupted {
      throw InterruptedWork("interrupted after step \(t.step - before); the VAE keeps every completed step")
    }
    return v.field("history") ?? Value.none
  }

  /// `log_likelihood` of a VAE: importance sampling with q_φ as the proposal, `steps` draws a row.
  static func vaeLogLikelihood(_ a: Args, _ v: VAEHandle) throws -> Value {
    let x = try a.tensor("x")
    let logP = try v.model.importanceSampledLogLikelihood(x, samples: try a.int("steps"), using: &a.interpreter.rng)
    let n = Double(logP.count), mean = logP.reduce(0, +) / n
    let se = n > 1 ? (logP.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) / n).squareRoot() : 0
    let d = Double(v.model.dimensions)
    return .record(Record([
      ("log_p", .tensor(try Tensor(shape: [logP.count], scalars: logP.map(Float.init)))), ("mean", .number(mean)), ("mean_se", .number(se)),
      ("bits_per_dim", .number(-(mean - d * log(127.5)) / (d * log(2.0)))),
    ]))
  }
}
