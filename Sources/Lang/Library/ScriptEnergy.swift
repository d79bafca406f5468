// An energy written in the language: `latent_ebm(energy: fn(z) { … }, generator: G)`.
import Engine
import LatentEBM

/// A differentiable script function of z as the model's energy E_α(z), `[N, latent] → [N]`.
///
/// Its weights are found by running it once on a tracked z (``leaves(of:excluding:)``): every
/// other autodiff leaf the result depends on — the weights of the nets it calls, tensors made with
/// `grad: true` — is a parameter, trained by `train` and saved by `save` (as `energy.p0`, …). It
/// runs on the autodiff path: the chains take ∇z through the graph, one chain block at a time,
/// and the posterior and prior chains one after the other, since the interpreter runs one thing
/// at a time.
final class ScriptEnergy: EnergyModel {
  let latent: Int
  let function: Value
  let name: String
  private weak var interpreter: Interpreter?
  let parameters: [Tensor]

  /// Checks the function on a probe batch (two rows) and finds its weights.
  init(_ function: Value, latent: Int, name: String, interpreter: Interpreter) throws {
    self.latent = latent; self.function = function; self.name = name; self.interpreter = interpreter
    let probe = try Tensor.zeros([2, latent]).requiringGrad()
    let e = try ScriptEnergy.apply(function, probe, interpreter, name: name)
    parameters = leaves(of: e, excluding: [probe])
  }

  func callAsFunction(_ z: Tensor) throws -> Tensor {
    guard let interpreter else { throw BuiltinError("energy \(name): the session it was written in has ended") }
    return try ScriptEnergy.apply(function, z, interpreter, name: name)
  }

  /// f(z) as `[N]`; a result of shape `[N, 1]` is flattened, anything else is an error.
  private static func apply(_ f: Value, _ z: Tensor, _ interpreter: Interpreter, name: String) throws -> Tensor {
    let out = try interpreter.call(f, [.tensor(z)])
    let n = z.shape[0]
    guard case .tensor(let e) = out, e.shape == [n] || e.shape == [n, 1] else {
      let got: String
      if case .tensor(let t) = out { got = "a tensor of shape \(formatShape(t.shape))" } else { got = out.typeName }
      throw BuiltinError("energy \(name) must return one energy per row of z (shape [\(n)]), got \(got)")
    }
    return e.rank == 1 ? e : try e.reshaped([n])
  }

  var summary: String { "the script function \(name)" }
  var namedParameters: [(String, Tensor)]? { parameters.enumerated().map { ("p\($0.offset)", $0.element) } }
  var record: EnergyRecord? { .script(shapes: parameters.map(\.shape)) }
}

/// A net the script composed (`sequential([linear(2, 64), relu, linear(64, 1)])`) as the model's
/// energy: `[N, latent] → [N, 1]`, read as `[N]`. When every layer is an engine layer the chains
/// run it on planned buffers, as the built-in energies; a net with script-function items runs on
/// the autodiff path. A checkpoint keeps its weights' shapes, as for a script energy, and
/// `load(path, energy: L)` gives them back to the net.
final class LayerEnergy: EnergyModel {
  let latent: Int
  let net: LayerHandle
  /// Whether the chains may run the net on planned buffers (engine layers only, output [N, 1]).
  private let planned: Bool

  init(_ net: LayerHandle, latent: Int) throws {
    self.latent = latent; self.net = net
    let out = try net.layer(try Tensor.zeros([2, latent]))
    planned = net.isPlannable && out.shape == [2, 1]
    guard out.shape == [2, 1] || out.shape == [2] else {
      throw BuiltinError("an energy net must map [N, \(latent)] to [N, 1] (one energy per row of z), but \(layerLine(net.layer)) gives \(formatShape(out.shape)) for N = 2")
    }
  }

  var parameters: [Tensor] { net.layer.parameters }
  func callAsFunction(_ z: Tensor) throws -> Tensor {
    let e = try net.layer(z)
    return e.rank == 1 ? e : try e.reshaped([z.shape[0]])
  }
  var plannedLayers: [Layer]? { planned ? [net.layer] : nil }
  var summary: String { layerLine(net.layer) }
  var namedParameters: [(String, Tensor)]? { net.namedParameters }
  var record: EnergyRecord? { .script(shapes: parameters.map(\.shape)) }
}
