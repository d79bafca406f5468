/// A differentiable function with parameters: the contract every layer and network keeps
/// (mlx-swift's `UnaryLayer`, micrograd's `Module`).
///
/// Parameters are leaves of the autodiff graph (``Tensor/requiringGrad()``); an optimizer updates
/// their memory in place, so a layer never needs to be rebuilt.
public protocol Layer: AnyObject, CustomStringConvertible {
  /// Applies the layer to a batch.
  func callAsFunction(_ x: Tensor) throws -> Tensor
  /// Every trainable tensor, in a fixed order.
  var parameters: [Tensor] { get }
  /// Named parameters, for checkpoints: `["0.weight": …, "0.bias": …]` as in PyTorch's state_dict.
  var namedParameters: [(String, Tensor)] { get }
}

extension Layer {
  public var parameters: [Tensor] { namedParameters.map(\.1) }
  /// The total number of trainable scalars.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

/// Makes a trainable leaf from initial values.
func parameter(_ t: Tensor) -> Tensor { t.detached().requiringGrad() }

/// Copies `source`'s values into the parameter `target` (same shape), in place.
public func assign(_ target: Tensor, from source: Tensor) throws {
  guard target.shape == source.shape else {
    throw TensorError.shapeMismatch(op: "assign", shapes: [target.shape, source.shape], detail: "parameter shape differs")
  }
  target.storage.pointer.update(from: source.storage.pointer, count: target.count)
}
