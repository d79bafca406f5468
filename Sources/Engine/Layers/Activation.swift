/// The activations a network can use between layers.
public enum Activation: Equatable, Sendable, CustomStringConvertible {
  case relu, gelu, silu, mish, tanh, sigmoid, softplus, identity
  /// LeakyReLU with the given negative slope (the reference uses 0.2).
  case leakyRelu(Float)

  /// Parses a name as users write it: "relu", "leaky_relu" / "lrelu" (slope 0.2), "gelu",
  /// "silu" / "swish", "mish", "tanh", "sigmoid", "softplus", "identity" / "linear" / "none".
  public init?(name: String, slope: Float = 0.2) {
    switch name.lowercased() {
    case "relu": self = .relu
    case "leaky_relu", "leakyrelu", "lrelu": self = .leakyRelu(slope)
    case "gelu": self = .gelu
    case "silu", "swish": self = .silu
    case "mish": self = .mish
    case "tanh": self = .tanh
    case "sigmoid": self = .sigmoid
    case "softplus": self = .softplus
    case "identity", "linear", "none": self = .identity
    default: return nil
    }
  }

  /// The names ``init(name:slope:)`` accepts, for help and error messages.
  public static let names = ["relu", "leaky_relu", "gelu", "silu", "swish", "mish", "tanh", "sigmoid", "softplus", "identity"]

  /// Applies the activation element-wise.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    switch self {
    case .relu: return x.apply(.relu)
    case .gelu: return x.apply(.gelu)
    case .silu: return x.apply(.silu)
    case .mish: return x.apply(.mish)
    case .tanh: return x.apply(.tanh)
    case .sigmoid: return x.apply(.sigmoid)
    case .softplus: return x.apply(.softplus)
    case .identity: return x
    case let .leakyRelu(s): return x.leakyRelu(s)
    }
  }

  public var description: String {
    switch self {
    case let .leakyRelu(s): return "LeakyReLU(\(formatScalar(s)))"
    case .relu: return "ReLU"
    case .gelu: return "GELU"
    case .silu: return "SiLU"
    case .mish: return "Mish"
    case .tanh: return "Tanh"
    case .sigmoid: return "Sigmoid"
    case .softplus: return "Softplus"
    case .identity: return "Identity"
    }
  }
}

/// An activation as a layer with no parameters.
public final class ActivationLayer: Layer {
  public let activation: Activation
  public init(_ activation: Activation) { self.activation = activation }
  public func callAsFunction(_ x: Tensor) throws -> Tensor { activation(x) }
  public var namedParameters: [(String, Tensor)] { [] }
  public var description: String { activation.description }
}

/// Reshapes each item of a batch: `[N, …] → [N] + shape` (PyTorch's `Unflatten(1, shape)` /
/// `Flatten` when `shape` is `[-1]`).
public final class Reshape: Layer {
  public let shape: [Int]
  public init(_ shape: [Int]) { self.shape = shape }
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank >= 1 else { throw TensorError.invalidArgument(op: "Reshape", message: "input needs a batch axis") }
    return try x.reshaped([x.shape[0]] + shape)
  }
  public var namedParameters: [(String, Tensor)] { [] }
  public var description: String { "Reshape(\(formatShape(shape)))" }
}

/// Layers applied one after another.
public final class Sequential: Layer {
  public let layers: [Layer]
  public init(_ layers: [Layer]) { self.layers = layers }
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    var h = x
    for l in layers { h = try l(h) }
    return h
  }
  /// Parameters named `"<index>.<name>"`, as PyTorch's `nn.Sequential` names them.
  public var namedParameters: [(String, Tensor)] {
    layers.enumerated().flatMap { i, l in l.namedParameters.map { ("\(i).\($0.0)", $0.1) } }
  }
  public var description: String {
    "Sequential(\(parameterCount) parameters)\n" + layers.enumerated().map { "  (\($0.offset)) \($0.element)" }.joined(separator: "\n")
  }
}
