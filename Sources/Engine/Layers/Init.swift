import Glibc

/// Parameter initialisers, matching PyTorch's.
public enum Initializer {
  /// PyTorch's default for `Linear` and convolutions: `kaiming_uniform_(a: √5)`, which is
  /// `U(−1/√fan_in, 1/√fan_in)`; biases use the same bound.
  case pytorchDefault
  /// Xavier (Glorot) normal: `N(0, gain² · 2 / (fan_in + fan_out))`.
  case xavierNormal(gain: Float)

  /// fan_in and fan_out of a weight as PyTorch computes them: `shape[1]·k·k` and `shape[0]·k·k`.
  static func fans(_ shape: [Int]) -> (Int, Int) {
    let receptive = shape.dropFirst(2).reduce(1, *)
    return (shape.count > 1 ? shape[1] * receptive : shape[0], shape[0] * receptive)
  }

  /// A weight tensor of `shape` drawn from this initialiser.
  func weight(_ shape: [Int], using rng: inout RandomGenerator) throws -> Tensor {
    let (fanIn, fanOut) = Initializer.fans(shape)
    switch self {
    case .pytorchDefault:
      let b = 1 / Float(fanIn).squareRoot()
      return try Tensor.rand(shape, lo: -b, hi: b, using: &rng)
    case let .xavierNormal(gain):
      let std = gain * (2 / Float(fanIn + fanOut)).squareRoot()
      return try Tensor.randn(shape, using: &rng) * std
    }
  }

  /// A bias for a weight of `weightShape`: `U(−1/√fan_in, 1/√fan_in)`, PyTorch's rule.
  static func bias(_ count: Int, weightShape: [Int], using rng: inout RandomGenerator) throws -> Tensor {
    let b = 1 / Float(max(fans(weightShape).0, 1)).squareRoot()
    return try Tensor.rand([count], lo: -b, hi: b, using: &rng)
  }
}
