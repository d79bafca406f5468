// The VAE baseline's values in scripts: encoders q_φ(z | x) and VAE models with their trainer.
import Engine
import LatentEBM

/// `encoder(...)` or `conv_encoder(...)`: a Gaussian q_φ(z | x). Calling it, `q(x)`, gives
/// `{mean, log_var}`.
final class EncoderHandle: TypedHandle {
  static let handleName = "encoder"
  static let phrase = "an encoder(...) or conv_encoder(...)"
  let encoder: GaussianEncoder
  init(_ encoder: GaussianEncoder) { self.encoder = encoder }
  var typeName: String { "encoder" }
  var parameterCount: Int { encoder.parameters.reduce(0) { $0 + $1.count } }
  var summary: String { "<encoder \(encoder.summary), \(parameterCount) parameters>" }
  var display: String {
    "encoder q_φ: " + networkLines(encoder.summary, layers: [encoder.net], parameters: encoder.net.parameterCount, indent: "")
  }
  func field(_ name: String) -> Value? {
    switch name {
    case "latent": return .number(Double(encoder.latent))
    case "parameters": return .number(Double(parameterCount))
    default: return nil
    }
  }
  var fieldNames: [String] { ["latent", "parameters"] }
  func call(_ positional: [Value], keywords: [(String, Value)]) throws -> Value? {
    guard positional.count == 1, keywords.isEmpty, case .tensor(let x) = positional[0] else {
      throw BuiltinError("q(x) takes one tensor x of shape \(formatShape([-1] + encoder.inputShape))")
    }
    do {
      let q = try encoder(x)
      return .record(Record([("mean", .tensor(q.mean)), ("log_var", .tensor(q.logVariance))]))
    } catch let e as LatentEBMError { throw BuiltinError("q(x): \(e)") }
  }
}

/// `vae(q, G, sigma:)`: the VAE baseline and its trainer (made on first use).
final class VAEHandle: TypedHandle {
  static let handleName = "vae"
  static let phrase = "a VAE made by vae(...)"
  let model: VAE
  let learningRate: Float
  private(set) var trainer: VAETrainer?
  init(_ model: VAE, learningRate: Float, trainer: VAETrainer? = nil) {
    self.model = model; self.learningRate = learningRate; self.trainer = trainer
  }

  /// The trainer, made on first use (seeded from the script's generator).
  func activeTrainer(seed: @autoclosure () -> UInt64) throws -> VAETrainer {
    if let t = trainer { return t }
    let t = try VAETrainer(model: model, learningRate: learningRate, seed: seed())
    trainer = t
    return t
  }

  var typeName: String { "vae" }
  var summary: String {
    let steps = trainer?.step ?? 0
    return "<" + model.description.split(separator: "\n").joined(separator: " |") + (steps > 0 ? " | trained \(steps) steps>" : ">")
  }
  var display: String {
    var lines = ["VAE: z ∈ ℝ^\(model.latent), σ = \(formatScalar(model.sigma)), σ0 = \(formatScalar(model.priorSigma)), Adam lr \(formatScalar(learningRate))"]
    let e = model.encoder, g = model.generator
    lines.append("  encoder q_φ: " + networkLines(e.summary, layers: [e.net], parameters: e.net.parameterCount, indent: "  "))
    lines.append("  generator g_β: " + networkLines(g.summary, layers: [g.net], parameters: g.net.parameterCount, indent: "  "))
    lines.append("  " + ((trainer?.step ?? 0) > 0 ? "trained \(trainer!.step) steps" : "not trained yet: train(m, data) or train_step(m, x)"))
    return lines.joined(separator: "\n")
  }
  func field(_ name: String) -> Value? {
    switch name {
    case "latent": return .number(Double(model.latent))
    case "sigma": return .number(Double(model.sigma))
    case "prior_sigma": return .number(Double(model.priorSigma))
    case "steps": return .number(Double(trainer?.step ?? 0))
    case "encoder": return .opaque(EncoderHandle(model.encoder))
    case "generator": return .opaque(GeneratorHandle(model.generator))
    case "parameters": return .number(Double(model.parameters.reduce(0) { $0 + $1.count }))
    case "history":
      let h = trainer?.history ?? []
      return .record(Record([
        ("step", .list(h.map { .number(Double($0.step)) })), ("loss", .list(h.map { .number(Double($0.loss)) })),
        ("kl", .list(h.map { .number(Double($0.kl)) })), ("mse", .list(h.map { .number(Double($0.mse)) })),
      ]))
    default: return nil
    }
  }
  var fieldNames: [String] { ["latent", "sigma", "prior_sigma", "steps", "encoder", "generator", "parameters", "history"] }
}
