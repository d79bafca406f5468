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
