/// A 2-D convolution layer on NCHW batches, as PyTorch's `nn.Conv2d` (square kernels).
/// Weight `[out, in, k, k]`, bias `[out]`.
public final class Conv2d: Layer {
  public let weight: Tensor
  public let bias: Tensor?
  public let stride: Int, padding: Int

  /// - Parameters:
  ///   - init: `.pytorchDefault` (kaiming-uniform) or `.xavierNormal(gain: 1)` as the reference uses.
  public init(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize k: Int, stride: Int = 1, padding: Int = 0,
    bias: Bool = true, init initializer: Initializer = .pytorchDefault, using rng: inout RandomGenerator
  ) throws {
    guard inputChannels > 0, outputChannels > 0, k > 0, stride > 0, padding >= 0 else {
      throw TensorError.invalidArgument(op: "Conv2d", message: "channels, kernel and stride must be positive and padding ≥ 0")
    }
    let shape = [outputChannels, inputChannels, k, k]
    weight = parameter(try initializer.weight(shape, using: &rng))
    self.bias = bias ? parameter(try Initializer.bias(outputChannels, weightShape: shape, using: &rng)) : nil
    self.stride = stride
    self.padding = padding
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    try Tensor.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
  }
  public var namedParameters: [(String, Tensor)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }
  public var description: String {
    "Conv2d(\(weight.shape[1]) → \(weight.shape[0]), k\(weight.shape[2]) s\(stride) p\(padding))"
  }
}

/// A 2-D transposed convolution layer, as PyTorch's `nn.ConvTranspose2d` (square kernels).
/// Weight `[in, out, k, k]`, bias `[out]`; output size `(H − 1)·s − 2p + k + outputPadding`.
public final class ConvTranspose2d: Layer {
  public let weight: Tensor
  public let bias: Tensor?
  public let stride: Int, padding: Int, outputPadding: Int

  public init(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize k: Int, stride: Int = 1, padding: Int = 0,
    outputPadding: Int = 0, bias: Bool = true, init initializer: Initializer = .pytorchDefault,
    using rng: inout RandomGenerator
  ) throws {
    guard inputChannels > 0, outputChannels > 0, k > 0, stride > 0, padding >= 0, outputPadding >= 0, outputPadding < stride else {
      throw TensorError.invalidArgument(op: "ConvTranspose2d", message: "channels, kernel and stride must be positive, padding ≥ 0, output padding < stride")
    }
    let shape = [inputChannels, outputChannels, k, k]
    weight = parameter(try initializer.weight(shape, using: &rng))
    self.bias = bias ? parameter(try Initializer.bias(outputChannels, weightShape: shape, using: &rng)) : nil
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    try Tensor.convTranspose2d(x, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding)
  }
  public var namedParameters: [(String, Tensor)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }
  public var description: String {
    "ConvTranspose2d(\(weight.shape[0]) → \(weight.shape[1]), k\(weight.shape[2]) s\(stride) p\(padding))"
  }
}
