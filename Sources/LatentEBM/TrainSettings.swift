// The training settings: `TrainConfig` and the one table that names, documents and checks them.
// A new setting is a stored property of `TrainConfig` (or of its chains) plus one row in
// `TrainConfig.table`: the script keywords, `configure`'s echo, help, validation and checkpoints
// all read the table.
import Engine

/// The settings of joint training, with the reference implementation's defaults.
public struct TrainConfig: Equatable, Sendable {
  /// The prior chains (K⁻ = 60, s⁻ = 0.4, from N(0, I)).
  public var prior = LangevinConfig.prior
  /// The posterior chains (K⁺ = 20, s⁺ = 0.1, from N(0, I)).
  public var posterior = LangevinConfig.posterior
  /// Adam for the generator: lr 1e-4.
  public var lrG: Float = 1e-4
  /// Adam for the energy net: lr 2e-5.
  public var lrE: Float = 2e-5
  /// Adam's betas for both nets (0.5, 0.999).
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
  /// An update that leaves any weight with |w| above this is undone and stops training as
  /// diverged. The nets start with |w| ≤ 1/√fan_in ≤ 1 and trained ones stay within a few units;
  /// a weight of 10⁴ turns O(1) inputs into activations of 10⁴·width, which no useful model has,
  /// while a learning rate 10⁶ times too large gets there in one step.
  public var maxWeight: Float = 1e4
  /// Run the posterior and prior chains at the same time on two cores, each on one thread (nil:
  /// when the generator is an MLP and the two chains cost about the same, within a factor of 3;
  /// otherwise the chains run one after the other with both cores inside each product).
  public var parallelChains: Bool? = nil

  public init() {}

  /// Every setting a script can read and write, in `help` order.
  public static let table: [TrainSetting] = [
    .number("lr_g", \.lrG, "Adam learning rate of the generator g_β", .positive),
    .number("lr_e", \.lrE, "Adam learning rate of the energy net E_α", .positive),
    .number("beta1", \.beta1, "Adam's β₁ for both nets", .fraction),
    .number("beta2", \.beta2, "Adam's β₂ for both nets", .fraction),
    .number("lr_decay", \.lrDecay, "learning-rate decay per epoch (1: off)", .decay),
    .number("energy_penalty", \.energyPenalty, "λ of the penalty λ·(mean E(z⁺)² + mean E(z⁻)²) (0: off)", .nonNegative),
    .optionalNumber("clip_g", \.clipG, "gradient-norm clip of g_β's update (0 or none: off)"),
    .optionalNumber("clip_e", \.clipE, "gradient-norm clip of E_α's update (0 or none: off)"),
    .count("persistent", \.persistentChains, "a buffer of this many persistent prior chains (0: off)", maximum: 1_000_000),
    .count("prior_steps", \.prior.steps, "K⁻, prior Langevin steps", maximum: LangevinConfig.maximumSteps),
    .number("prior_step", \.prior.stepSize, "s⁻, prior Langevin step size", .positive),
    .number("prior_init_std", \.prior.initStd, "σ of the prior chains' start N(0, σ²I)", .nonNegative),
    .count("posterior_steps", \.posterior.steps, "K⁺, posterior Langevin steps", maximum: LangevinConfig.maximumSteps),
    .number("posterior_step", \.posterior.stepSize, "s⁺, posterior Langevin step size", .positive),
    .flag("noise", [\.prior.noise, \.posterior.noise], "the chains' noise term (false: gradient descent)"),
    .number("divergence_norm", \.divergenceNorm, "a mean ‖z‖ past this stops training as diverged", .positive),
    .number("max_weight", \.maxWeight, "an update leaving any |weight| past this is undone and stops training", .positive),
  ]

  /// The setting called `name`, if any.
  public static func setting(_ name: String) -> TrainSetting? { table.first { $0.name == name } }

  /// Every setting's value, in table order.
  public var values: [(name: String, value: JSONValue)] { Self.table.map { ($0.name, $0.read(self)) } }

  /// The settings that differ from the defaults, as `lr_g 0.001`, in table order.
  public var changes: [String] {
    let defaults = TrainConfig()
    return Self.table.compactMap { s in s.read(self) == s.read(defaults) ? nil : "\(s.name) \(TrainSetting.shown(s.read(self)))" }
  }

  /// These settings with `name` set to `value` (checked by the setting's rule).
  /// - Throws: for an unknown name, a value of the wrong kind, or one its rule rejects.
  public func setting(_ name: String, to value: JSONValue) throws -> TrainConfig {
    guard let s = Self.setting(name) else { throw LatentEBMError.invalidArgument("no training setting '\(name)'") }
    var c = self
    try s.write(&c, value)
    return c
  }

  /// Checks every setting against its rule.
  public func validate() throws {
    for s in Self.table { _ = try setting(s.name, to: s.read(self)) }
  }
}

/// One training setting: its keyword, what it means, its kind and rule, and where it lives in
/// ``TrainConfig``.
public struct TrainSetting: @unchecked Sendable {
  public enum Kind: Sendable {
    /// A number checked by a ``Rule``.
    case number
    /// A number where 0 (or none) means off.
    case optionalNumber
    /// A whole number from 0 to a maximum.
    case count(maximum: Int)
    case flag
  }

  /// What a number may be.
  public enum Rule: Sendable {
    /// > 0.
    case positive
    /// ≥ 0.
    case nonNegative
    /// In [0, 1).
    case fraction
    /// In (0, 1].
    case decay

    func check(_ x: Double) -> String? {
      guard x.isFinite, Float(x).isFinite else { return "a finite number within Float32's range (±3.4e38)" }
      switch self {
      case .positive: return x > 0 ? nil : "a positive number"
      case .nonNegative: return x >= 0 ? nil : "a number ≥ 0"
      case .fraction: return x >= 0 && x < 1 ? nil : "a number in [0, 1)"
      case .decay: return x > 0 && x <= 1 ? nil : "a number in (0, 1]"
      }
    }
  }

  /// The keyword in scripts and the key in checkpoints: "lr_g".
  public let name: String
  /// One line for help: what it is.
  public let doc: String
  public let kind: Kind
  let read: (TrainConfig) -> JSONValue
  let write: (inout TrainConfig, JSONValue) throws -> Void

  /// "lr_g (1e-4): Adam learning rate of the generator g_β".
  public var helpLine: String { "\(name) (\(TrainSetting.shown(read(TrainConfig())))): \(doc)" }

  static func shown(_ v: JSONValue) -> String {
    switch v {
    case .null: return "off"
    case let .bool(b): return "\(b)"
    case let .number(d): return formatScalar(Float(d))
    default: return v.int.map(String.init) ?? v.shown
    }
  }

  static func fail(_ name: String, _ wanted: String, _ v: JSONValue) -> LatentEBMError {
    .invalidArgument("'\(name)' must be \(wanted), got \(shown(v))")
  }

  static func number(_ name: String, _ path: WritableKeyPath<TrainConfig, Float>, _ doc: String, _ rule: Rule) -> TrainSetting {
    TrainSetting(name: name, doc: doc, kind: .number, read: { JSONValue($0[keyPath: path]) }) { c, v in
      guard let x = v.double else { throw fail(name, "a number", v) }
      if let problem = rule.check(x) { throw fail(name, problem, v) }
      c[keyPath: path] = Float(x)
    }
  }

  static func optionalNumber(_ name: String, _ path: WritableKeyPath<TrainConfig, Float?>, _ doc: String) -> TrainSetting {
    TrainSetting(name: name, doc: doc, kind: .optionalNumber, read: { $0[keyPath: path].map { JSONValue($0) } ?? .null }) { c, v in
      if v == .null { c[keyPath: path] = nil; return }
      guard let x = v.double, x.isFinite, Float(x).isFinite, x >= 0 else {
        throw fail(name, "a number ≥ 0 (0: off) within Float32's range (±3.4e38)", v)
      }
      c[keyPath: path] = x > 0 ? Float(x) : nil
    }
  }

  static func count(_ name: String, _ path: WritableKeyPath<TrainConfig, Int>, _ doc: String, maximum: Int) -> TrainSetting {
    TrainSetting(name: name, doc: doc, kind: .count(maximum: maximum), read: { JSONValue($0[keyPath: path]) }) { c, v in
      guard let n = v.int, n >= 0, n <= maximum else { throw fail(name, "a whole number from 0 to \(maximum)", v) }
      c[keyPath: path] = n
    }
  }

  /// A flag written to every path (one switch for several chains); read from the first.
  static func flag(_ name: String, _ paths: [WritableKeyPath<TrainConfig, Bool>], _ doc: String) -> TrainSetting {
    TrainSetting(name: name, doc: doc, kind: .flag, read: { .bool($0[keyPath: paths[0]]) }) { c, v in
      guard let b = v.bool else { throw fail(name, "true or false", v) }
      for p in paths { c[keyPath: p] = b }
    }
  }
}
