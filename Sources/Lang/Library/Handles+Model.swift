// The latent EBM's values in scripts: energy nets, generators, models and training histories.
import Engine
import LatentEBM

/// `energy_net(...)` or `residual_energy_net(...)` in a script.
final class EnergyNetHandle: TypedHandle {
  static let handleName = "energy_net"
  static let phrase = "an energy_net(...)"
  let net: EnergyModel
  init(_ net: EnergyModel) { self.net = net }
  var typeName: String { "energy_net" }
  var summary: String { "<energy_net \(net.summary), \(net.parameterCount) parameters>" }
  func field(_ name: String) -> Value? {
    switch name {
    case "latent": return .number(Double(net.latent))
    case "parameters": return .number(Double(net.parameterCount))
    default: return nil
    }
  }
  var fieldNames: [String] { ["latent", "parameters"] }
  /// `E(z)`: the energies of the rows of z, differentiable.
  func call(_ positional: [Value], keywords: [(String, Value)]) throws -> Value? {
    .tensor(try latentArgument("E(z)", positional, keywords, latent: net.latent) { try net($0) })
  }
}

/// The one tensor argument z of `E(z)` or `G(z)`, passed to `body`; errors name the call.
func latentArgument(_ call: String, _ positional: [Value], _ keywords: [(String, Value)], latent: Int,
                    _ body: (Tensor) throws -> Tensor) throws -> Tensor {
  guard positional.count == 1, keywords.isEmpty, case .tensor(let z) = positional[0] else {
    throw BuiltinError("\(call) takes one tensor z of shape [N, \(latent)]")
  }
  do { return try body(z) } catch let e as LatentEBMError { throw BuiltinError("\(call): \(e)") }
}

/// `generator(...)` or `conv_generator(...)` in a script.
final class GeneratorHandle: TypedHandle {
  static let handleName = "generator"
  static let phrase = "a generator(...) or conv_generator(...)"
  let generator: Generator
  init(_ g: Generator) { generator = g }
  var typeName: String { "generator" }
  var summary: String { "<generator \(generator.summary), \(generator.net.parameterCount) parameters>" }
  func field(_ name: String) -> Value? {
    switch name {
    case "latent": return .number(Double(generator.latent))
    case "output": return .list(generator.outputShape.map { .number(Double($0)) })
    case "parameters": return .number(Double(generator.net.parameterCount))
    default: return nil
    }
  }
  var fieldNames: [String] { ["latent", "output", "parameters"] }
  /// `G(z)`: g_β(z) for the rows of z, differentiable.
  func call(_ positional: [Value], keywords: [(String, Value)]) throws -> Value? {
    .tensor(try latentArgument("G(z)", positional, keywords, latent: generator.latent) { try generator($0) })
  }
}

/// `latent_ebm(E, G)` in a script: the model and, once it trains, its ``Trainer`` (which owns
/// the settings, the optimizers and the history). Settings given before the first step wait in
/// ``pending``.
final class ModelHandle: TypedHandle {
  static let handleName = "latent_ebm"
  static let phrase = "a model made by latent_ebm(...)"

  /// A net given where a model was expected is applied by calling it.
  static func hint(for value: Value) -> String? {
    guard case .opaque(let o) = value, o is EnergyNetHandle || o is GeneratorHandle else { return nil }
    return "to apply a net on its own, call it: \(o is EnergyNetHandle ? "E(z)" : "G(z)")"
  }
  let model: LatentEBM
  private(set) var trainer: Trainer?
  private var pending = TrainConfig()
  /// The optimizers `load` found saved with the model (`m.optimizers`).
  var optimizers: [(String, OptimizerHandle)] = []

  init(_ model: LatentEBM, trainer: Trainer? = nil) {
    self.model = model
    self.trainer = trainer
  }

  /// The training settings.
  var config: TrainConfig { trainer?.config ?? pending }

  /// The trainer, made on first use with the current settings (seeded from the script's
  /// generator, so `seed(n)` makes training reproducible).
  func activeTrainer(seed: @autoclosure () -> UInt64) throws -> Trainer {
    if let t = trainer { return t }
    let t = try Trainer(model: model, config: pending, seed: seed())
    trainer = t
    return t
  }

  /// Takes the trainer a run outside lebm left (`train(…, on: "torch")`), over this model's weights.
  func adopt(_ t: Trainer) {
    precondition(t.model === model, "a trainer of another model")
    trainer = t
  }

  /// Applies new settings in place (the trainer keeps its optimizers, step count and chains).
  func configure(_ c: TrainConfig) throws {
    if let t = trainer { try t.configure(c) } else { try c.validate(); pending = c }
  }

  /// Every training step's statistics.
  var history: TrainHistory { trainer?.history ?? TrainHistory() }
  var historyValue: Value { .opaque(HistoryHandle(history, gaussianPrior: model.energyNet == nil, encoder: model.encoder != nil)) }

  var typeName: String { "latent_ebm" }
  var summary: String {
    let steps = trainer?.step ?? 0
    return "<" + model.description.split(separator: "\n").joined(separator: " |") + (steps > 0 ? " | trained \(steps) steps>" : ">")
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
    case "energy": return model.energyNet.map { .opaque(EnergyNetHandle($0)) } ?? Value.none
    case "generator": return .opaque(GeneratorHandle(model.generator))
    case "encoder": return model.encoder.map { .opaque(EncoderHandle($0)) } ?? Value.none
    case "config": return .record(configRecord(config))
    case "parameters": return .number(Double(model.parameters.reduce(0) { $0 + $1.count }))
    case "optimizers": return .record(Record(optimizers.map { ($0.0, .opaque($0.1)) }))
    default: return nil
    }
  }
  var fieldNames: [String] {
    ["latent", "sigma", "prior_sigma", "steps", "epochs", "history", "gaussian_prior", "config", "parameters", "energy", "generator", "encoder", "optimizers"]
  }
}

/// A training history: one list per statistic (`h.loss_g`), with a short summary for echo.
final class HistoryHandle: OpaqueValue {
  let columns: [(String, [Double])]
  /// The losses the summary shows: loss_g alone for a Gaussian prior (no energy: loss_e, en_pos
  /// and en_neg are 0), else the first four statistics. Every column stays a field.
  let summarized: Int
  init(_ columns: [(String, [Double])], gaussianPrior: Bool = false) {
    self.columns = columns
    summarized = gaussianPrior ? 1 : 4
  }
  /// `encoder`: whether the model has one; without, the encoder's loss (`loss_q`, always 0) is left out.
  convenience init(_ h: TrainHistory, gaussianPrior: Bool = false, encoder: Bool = false) {
    let columns = zip(TrainStats.names, h.columns).filter { encoder || $0.0 != "loss_q" }
    self.init([("step", h.steps.map(Double.init))] + columns.map { ($0, $1.map(shortDouble)) }, gaussianPrior: gaussianPrior)
  }
  var typeName: String { "history" }
  var steps: Int { columns.first?.1.count ?? 0 }
  var summary: String {
    guard steps > 0 else { return "<history: no steps yet>" }
    let last = columns.dropFirst().prefix(summarized).map { "\($0.0)=\(formatScalar(Float($0.1.last ?? .nan)))" }.joined(separator: " ")
    return "<history: \(steps) steps; last \(last); fields \(fieldNames.joined(separator: ", "))>"
  }
  func field(_ name: String) -> Value? {
    columns.first { $0.0 == name }.map { .list($0.1.map { .number($0) }) }
  }
  var fieldNames: [String] { columns.map(\.0) }
  /// The history as a record of lists.
  var record: Record { Record(columns.map { ($0.0, .list($0.1.map { .number($0) })) }) }
}

/// A Float as the Double it prints as (0.2, not 0.20000000298023224).
func shortDouble(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }

/// A Float as a script number with the digits it prints with.
func num(_ x: Float) -> Value { .number(shortDouble(x)) }

/// The training settings as a record, keyed by the names of ``TrainConfig/table``.
func configRecord(_ c: TrainConfig) -> Record {
  Record(c.values.map { ($0.name, value($0.value)) })
}

/// A setting's value in a script.
func value(_ v: JSONValue) -> Value {
  switch v {
  case let .bool(b): return .bool(b)
  case .null: return .none
  default: return v.double.map { .number($0) } ?? Value.none
  }
}

/// Statistics as a record; the encoder's loss (`loss_q`) only for a model with an encoder.
func statsRecord(_ s: TrainStats, encoder: Bool) -> Value {
  .record(Record([("step", .number(Double(s.step)))] + s.values.filter { encoder || $0.0 != "loss_q" }.map { ($0.0, num($0.1)) }))
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
