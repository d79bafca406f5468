/// A residual connection around a block of layers: `y = x + f(x)` (He et al., 2016), the block
/// `f` keeping the shape of its input.
public final class Residual: Layer {
  public let block: Sequential
  public init(_ layers: [Layer]) { block = Sequential(layers) }
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    let fx = try block(x)
    guard fx.shape == x.shape else {
      throw TensorError.shapeMismatch(op: "Residual", shapes: [x.shape, fx.shape], detail: "the block must keep the shape of its input")
    }
    return try x + fx
  }
  /// Parameters named `"block.<index>.<name>"`.
  public var namedParameters: [(String, Tensor)] { block.namedParameters.map { ("block.\($0.0)", $0.1) } }
  public var description: String { "Residual(\(block.layers.map(\.description).joined(separator: " → ")))" }
}
