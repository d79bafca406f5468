// The seam for energy functions on z: what the samplers, summaries and checkpoints ask of one.
import Engine

/// An energy function on the latent vector, `[N, latent] → [N]`: a built-in architecture
/// (``EnergyNet``, ``ResidualEnergyNet``) or any differentiable function of z (a quadratic in
/// tests, a user's own net).
///
/// Everything the method's layer needs from an energy goes through this protocol, so a new
/// architecture is one type (see ``EnergyArchitecture``) and nothing else in LatentEBM changes:
/// - ``plannedLayers``: the layers a Langevin chain runs on fixed buffers (fast, split among
///   threads); nil makes the chains take ∇z through the autodiff graph on one thread.
/// - ``summary``: one line for model summaries.
/// - ``namedParameters`` and ``record``: what a checkpoint stores; nil means it cannot be saved.
public protocol EnergyModel: AnyObject {
  /// The dimension of z.
  var latent: Int { get }
  /// Trainable parameters (may be empty).
  var parameters: [Tensor] { get }
  /// E(z) for each row of z.
  func callAsFunction(_ z: Tensor) throws -> Tensor
  /// The network as layers `[N, latent] → [N, 1]` (energy form included), for planned chains.
  var plannedLayers: [Layer]? { get }
  /// "MLP 2 → 200 → 200 → 1, LeakyReLU(0.2), form identity".
  var summary: String { get }
  /// Parameters in PyTorch's state_dict naming (`0.weight`, …), or nil when it cannot be saved.
  var namedParameters: [(String, Tensor)]? { get }
  /// The architecture and its settings, to rebuild it from a checkpoint; nil when it cannot be.
  var record: EnergyRecord? { get }
}

extension EnergyModel {
  public var plannedLayers: [Layer]? { nil }
  public var summary: String { "a custom energy function" }
  public var namedParameters: [(String, Tensor)]? { nil }
  public var record: EnergyRecord? { nil }
  /// The number of trainable scalars.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

/// How a checkpoint names an energy architecture and the settings that rebuild it.
public struct EnergyRecord: Equatable, Sendable {
  /// The architecture's ``EnergyArchitecture/kind``.
  public var kind: String
  public var settings: [String: JSONValue]
  public init(kind: String, settings: [String: JSONValue]) { self.kind = kind; self.settings = settings }
}

/// An energy architecture checkpoints can rebuild: a kind name and an initialiser from its record.
/// List it in ``energyArchitectures`` (Energies.swift) so `load` finds it.
public protocol EnergyArchitecture: EnergyModel {
  /// The name in checkpoints: "mlp", "residual_mlp".
  static var kind: String { get }
  /// Builds a freshly initialised network from a record's settings (weights are copied after).
  init(latent: Int, settings: [String: JSONValue], using rng: inout RandomGenerator) throws
  /// The number of weights `init(latent:settings:using:)` would make, computed without making
  /// them, so a checkpoint is checked against its tensors before anything is allocated.
  static func parameterCount(latent: Int, settings: [String: JSONValue]) throws -> Int
}

/// The form applied to the energy network's output (the reference's `e_energy_form`).
public enum EnergyForm: String, CaseIterable, Sendable {
  /// E(z) = f(z), unbounded (the reference default).
  case identity
  /// E(z) = tanh f(z), bounded in (−1, 1), so exp(−E) lies in (e⁻¹, e).
  case tanh
  /// E(z) = σ(f(z)), bounded in (0, 1), so exp(−E) lies in (e⁻¹, 1).
  case sigmoid
  /// E(z) = softplus f(z), bounded below by 0 (exp(−E) ≤ 1), unbounded above.
  case softplus

  /// The form as a layer after the network (nil for identity).
  public var layer: Layer? {
    switch self {
    case .identity: return nil
    case .tanh: return ActivationLayer(.tanh)
    case .sigmoid: return ActivationLayer(.sigmoid)
    case .softplus: return ActivationLayer(.softplus)
    }
  }
}

extension EnergyRecord {
  /// The kind of an energy written as a script function: a checkpoint keeps its weights' shapes
  /// (`shapes`) and needs the function again to load.
  public static let scriptKind = "script"

  /// The record of a script energy with weights of these shapes.
  public static func script(shapes: [[Int]]) -> EnergyRecord {
    EnergyRecord(kind: scriptKind, settings: ["shapes": .array(shapes.map { .array($0.map { JSONValue($0) }) })])
  }

  /// The weights' shapes a script energy's record holds.
  static func scriptShapes(_ er: [String: JSONValue]) throws -> [[Int]] {
    try er.refuseUnknownKeys(["kind", "shapes"], in: "energy")
    guard let list = er["shapes"]?.array, list.count <= 1 << 16 else {
      throw LatentEBMError.invalidArgument("a script energy's record needs the list of its weights' shapes")
    }
    return try list.map { s in
      guard let dims = s.array?.compactMap(\.int), dims.count == s.array?.count, dims.count <= 8,
            dims.allSatisfy({ (1...(1 << 30)).contains($0) }) else {
        throw LatentEBMError.invalidArgument("a script energy's weight shape must be a list of up to 8 positive sizes, got \(s.shown)")
      }
      return dims
    }
  }
}
