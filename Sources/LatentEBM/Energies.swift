// The energy architectures: E_α(z) as an MLP or a residual MLP, and the list checkpoints read.
// A new architecture is a type here conforming to `EnergyArchitecture`, one entry in
// `energyArchitectures`, and one builtin row in Lang.
import Engine
import Support

/// Every architecture a checkpoint can name, by ``EnergyArchitecture/kind``.
public let energyArchitectures: [any EnergyArchitecture.Type] = [EnergyNet.self, ResidualEnergyNet.self]

/// The energy net E_α on the latent vector: an MLP `latent → hidden… → 1` and an energy form.
/// The prior it defines is `p_α(z) ∝ exp(−E_α(z)) · N(0, σ0² I)` (Pang et al., 2020, eq. 2).
public final class EnergyNet: NetworkEnergy {
  public static let kind = "mlp"
  public let latent: Int
  public let hidden: [Int]
  public let activation: Activation
  public let form: EnergyForm
  public let net: Sequential

  /// - Parameters:
  ///   - latent: the dimension of z.
  ///   - hidden: hidden widths; the reference uses `[200, 200]`.
  ///   - activation: between layers; the reference uses LeakyReLU(0.2) or GELU.
  ///   - form: applied to the output (default identity).
  public init(
    latent: Int, hidden: [Int] = [200, 200], activation: Activation = .leakyRelu(0.2), form: EnergyForm = .identity,
    using rng: inout RandomGenerator
  ) throws {
    guard latent > 0, hidden.allSatisfy({ $0 > 0 }) else {
      throw LatentEBMError.invalidArgument("energy net: latent and hidden sizes must be positive")
    }
    self.latent = latent; self.hidden = hidden; self.activation = activation; self.form = form
    net = try mlp([latent] + hidden + [1], activation: activation, using: &rng)
  }

  public convenience init(latent: Int, settings s: [String: JSONValue], using rng: inout RandomGenerator) throws {
    try s.refuseUnknownKeys(["kind", "hidden", "activation", "slope", "form"], in: "energy")
    try self.init(latent: latent, hidden: try s.sizes("hidden"), activation: try s.activation(), form: try s.form(), using: &rng)
  }

  public static func parameterCount(latent: Int, settings s: [String: JSONValue]) throws -> Int {
    mlpParameterCount([latent] + (try s.sizes("hidden")) + [1])
  }

  public var summary: String {
    "MLP \(([latent] + hidden + [1]).map(String.init).joined(separator: " → ")), \(activation), form \(form.rawValue)"
  }
  public var record: EnergyRecord? {
    EnergyRecord(kind: Self.kind, settings: ["hidden": .array(hidden.map { JSONValue($0) }), "form": .string(form.rawValue)]
      .merging(activationSettings(activation)) { a, _ in a })
  }
}

/// A residual MLP energy: `latent → width`, then `blocks` residual blocks
/// `h ← h + W₂ act(W₁ act(h))` of width `width`, then `act → 1` and the energy form. Deeper
/// energies train more easily with the skips (He et al., 2016); the chains plan it like the MLP.
public final class ResidualEnergyNet: NetworkEnergy {
  public static let kind = "residual_mlp"
  public let latent: Int, width: Int, blocks: Int
  public let activation: Activation
  public let form: EnergyForm
  public let net: Sequential

  public init(
    latent: Int, width: Int = 128, blocks: Int = 2, activation: Activation = .leakyRelu(0.2), form: EnergyForm = .identity,
    using rng: inout RandomGenerator
  ) throws {
    guard latent > 0, width > 0, blocks >= 0 else {
      throw LatentEBMError.invalidArgument("residual energy net: latent and width must be positive and blocks ≥ 0")
    }
    self.latent = latent; self.width = width; self.blocks = blocks; self.activation = activation; self.form = form
    var layers: [Layer] = [try Linear(latent, width, using: &rng)]
    for _ in 0..<blocks {
      layers.append(Residual([ActivationLayer(activation), try Linear(width, width, using: &rng),
                              ActivationLayer(activation), try Linear(width, width, using: &rng)]))
    }
    layers += [ActivationLayer(activation), try Linear(width, 1, using: &rng)]
    net = Sequential(layers)
  }

  public convenience init(latent: Int, settings s: [String: JSONValue], using rng: inout RandomGenerator) throws {
    try s.refuseUnknownKeys(["kind", "width", "blocks", "activation", "slope", "form"], in: "energy")
    try self.init(latent: latent, width: try s.size("width"), blocks: try s.size("blocks", minimum: 0),
                  activation: try s.activation(), form: try s.form(), using: &rng)
  }

  public static func parameterCount(latent: Int, settings s: [String: JSONValue]) throws -> Int {
    let w = try s.size("width"), blocks = try s.size("blocks", minimum: 0)
    return mlpParameterCount([latent, w]) + blocks * 2 * mlpParameterCount([w, w]) + mlpParameterCount([w, 1])
  }

  public var summary: String {
    "residual MLP \(latent) → \(width) → \(blocks) block\(blocks == 1 ? "" : "s") → 1, \(activation), form \(form.rawValue)"
  }
  public var record: EnergyRecord? {
    EnergyRecord(kind: Self.kind, settings: ["width": JSONValue(width), "blocks": JSONValue(blocks), "form": .string(form.rawValue)]
      .merging(activationSettings(activation)) { a, _ in a })
  }
}

/// An energy that is a network `[N, latent] → [N, 1]` (``net``) followed by its ``form``: the
/// evaluation, the planned layers and the parameters follow from those two.
public protocol NetworkEnergy: EnergyArchitecture {
  var net: Sequential { get }
  var form: EnergyForm { get }
}

extension NetworkEnergy {
  /// E_α(z) for each row of z: `[N, latent] → [N]`.
  public func callAsFunction(_ z: Tensor) throws -> Tensor {
    try checkLatent(z, latent)
    return try Sequential(plannedLayers!)(z).reshaped([z.shape[0]])
  }
  public var parameters: [Tensor] { net.parameters }
  public var plannedLayers: [Layer]? { [net] + (form.layer.map { [$0] } ?? []) }
  public var namedParameters: [(String, Tensor)]? { net.namedParameters }
}

func checkLatent(_ z: Tensor, _ latent: Int) throws {
  guard z.rank == 2, z.shape[1] == latent else {
    throw LatentEBMError.shape("z must have shape [N, \(latent)], got \(formatShape(z.shape))")
  }
}

func activationSettings(_ a: Activation) -> [String: JSONValue] {
  if case let .leakyRelu(s) = a { return ["activation": .string("leaky_relu"), "slope": JSONValue(s)] }
  return ["activation": .string(a.description.lowercased())]
}

/// The largest |slope| of a LeakyReLU (in scripts and checkpoints): slopes in use are below 1; one
/// past this turns every negative activation into an overflow.
public let maximumLeakySlope = 1000.0

/// Why `slope` cannot be a LeakyReLU's slope ("a finite number in -1000…1000"), or nil.
public func slopeProblem(_ slope: Double) -> String? {
  slope.isFinite && abs(slope) <= maximumLeakySlope ? nil : "a finite number in -\(Int(maximumLeakySlope))…\(Int(maximumLeakySlope))"
}

/// Largest width a checkpoint may ask for, so a crafted file cannot make lebm allocate terabytes.
let maximumLayerWidth = 1 << 16

extension Dictionary where Key == String, Value == JSONValue {
  func size(_ key: String, minimum: Int = 1) throws -> Int {
    guard let v = self[key]?.int, v >= minimum, v <= maximumLayerWidth else {
      throw LatentEBMError.invalidArgument("'\(key)' must be a whole number in \(minimum)…\(maximumLayerWidth), got \(self[key].map { "\($0)" } ?? "nothing")")
    }
    return v
  }
  func sizes(_ key: String) throws -> [Int] {
    guard let a = self[key]?.array, a.count <= 64,
          case let sizes = a.compactMap(\.int), sizes.count == a.count, sizes.allSatisfy({ 1...maximumLayerWidth ~= $0 }) else {
      throw LatentEBMError.invalidArgument("'\(key)' must be a list of at most 64 sizes in 1…\(maximumLayerWidth)")
    }
    return sizes
  }
  /// A list of at most 2²⁴ strings (a text generator's vocabulary).
  func words(_ key: String) throws -> [String] {
    guard let a = self[key]?.array, a.count <= 1 << 24, case let words = a.compactMap(\.string), words.count == a.count else {
      throw LatentEBMError.invalidArgument("'\(key)' must be a list of at most 2²⁴ words")
    }
    return words
  }
  func activation() throws -> Activation {
    let name = try text("activation", default: "leaky_relu")
    let slope = try number("slope", default: 0.2)
    if let problem = slopeProblem(slope) { throw LatentEBMError.invalidArgument("'slope' must be \(problem), got \(slope)") }
    guard let a = Activation(name: name, slope: Float(slope)) else {
      throw LatentEBMError.invalidArgument("unknown activation '\(name)'")
    }
    return a
  }
  func form() throws -> EnergyForm {
    let name = try text("form", default: "identity")
    guard let f = EnergyForm(rawValue: name) else { throw LatentEBMError.invalidArgument("unknown energy form '\(name)'") }
    return f
  }

  /// The string at `key`, or `fallback` when the key is absent; any other value is an error.
  func text(_ key: String, default fallback: String) throws -> String {
    guard let v = self[key] else { return fallback }
    guard let s = v.string else { throw LatentEBMError.invalidArgument("'\(key)' must be a string, got \(v.shown)") }
    return s
  }

  /// The number at `key` (`fallback` when absent), which must be finite as a Float32; any other
  /// value (a string, `true`, 1e308) is an error naming the key.
  func number(_ key: String, default fallback: Double? = nil) throws -> Double {
    guard let v = self[key] else {
      if let fallback { return fallback }
      throw LatentEBMError.invalidArgument("'\(key)' is missing")
    }
    guard let x = v.double else { throw LatentEBMError.invalidArgument("'\(key)' must be a number, got \(v.shown)") }
    guard Float(x).isFinite else {
      throw LatentEBMError.invalidArgument("'\(key)' must be a finite number within Float32's range (±3.4e38), got \(x)")
    }
    return x
  }

  /// Refuses the keys of this record that are not `known`, naming each with a did-you-mean: a
  /// misspelt key would otherwise be ignored and its default used in silence.
  func refuseUnknownKeys(_ known: [String], in what: String) throws {
    let unknown = keys.filter { !known.contains($0) }.sorted()
    guard !unknown.isEmpty else { return }
    let named = unknown.map { k in "'\(k)'" + (suggestion(for: k, among: known).map { " (did you mean '\($0)'?)" } ?? "") }
    throw LatentEBMError.invalidArgument(
      "unknown key\(unknown.count == 1 ? "" : "s") \(named.joined(separator: ", ")) in the \(what) record; it takes \(known.sorted().joined(separator: ", "))")
  }
}

/// The weights and biases of the linear layers `sizes[0] → sizes[1] → … → sizes.last`.
func mlpParameterCount(_ sizes: [Int]) -> Int {
  zip(sizes, sizes.dropFirst()).reduce(0) { $0 + ($1.0 + 1) * $1.1 }
}

/// `sizes[0] → sizes[1] → … → sizes.last` with `activation` between the linear layers.
func mlp(_ sizes: [Int], activation: Activation, using rng: inout RandomGenerator) throws -> Sequential {
  var layers: [Layer] = []
  for i in 0..<(sizes.count - 1) {
    layers.append(try Linear(sizes[i], sizes[i + 1], using: &rng))
    if i < sizes.count - 2 { layers.append(ActivationLayer(activation)) }
  }
  return Sequential(layers)
}
