/// A fully connected layer, as PyTorch's `nn.Linear`.
///
/// Concretely: `y = x · Wᵀ + b`, with `W` of shape `[out, in]` and `b` of shape `[out]`.
/// Initialised with PyTorch's default (`U(−1/√in, 1/√in)` for both).
public final class Linear: Layer {
  public let weight: Tensor
  public let bias: Tensor?
  public var inputSize: Int { weight.shape[1] }
  public var outputSize: Int { weight.shape[0] }

  /// - Parameters:
  ///   - inputSize: features in.
  ///   - outputSize: features out.
  ///   - bias: whether to add `b` (default true).
  public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, using rng: inout RandomGenerator) throws {
    guard inputSize > 0, outputSize > 0 else {
      throw TensorError.invalidArgument(op: "Linear", message: "sizes must be positive, got \(inputSize) → \(outputSize)")
    }
    let shape = [outputSize, inputSize]
    weight = parameter(try Initializer.pytorchDefault.weight(shape, using: &rng))
    self.bias = bias ? parameter(try Initializer.bias(outputSize, weightShape: shape, using: &rng)) : nil
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor { try Tensor.linear(x, weight: weight, bias: bias) }

  public var namedParameters: [(String, Tensor)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  public var description: String { "Linear(\(inputSize) → \(outputSize)\(bias == nil ? ", no bias" : ""))" }
}

extension Tensor {
  /// `x · Wᵀ + b` as one operation: one GEMM forward; backward computes only the gradients
  /// asked for (`dx = g · W`, `dW = gᵀ · x`, `db = Σ g`).
  /// - Parameters:
  ///   - x: `[..., in]` (leading axes are flattened into the batch).
  ///   - weight: `[out, in]`.
  ///   - bias: `[out]` or nil.
  public static func linear(_ x: Tensor, weight w: Tensor, bias b: Tensor?) throws -> Tensor {
    guard w.rank == 2, x.rank >= 1, x.shape[x.rank - 1] == w.shape[1] else {
      throw TensorError.shapeMismatch(op: "linear", shapes: [x.shape, w.shape],
        detail: "input has \(x.shape.last ?? 0) features, the layer takes \(w.rank == 2 ? w.shape[1] : 0)")
    }
    let (out, inp) = (w.shape[0], w.shape[1])
    if let b, b.shape != [out] {
      throw TensorError.shapeMismatch(op: "linear", shapes: [b.shape, [out]], detail: "bias must have \(out) values")
    }
    let rows = x.count / Swift.max(inp, 1)
    var outShape = x.shape
    outShape[outShape.count - 1] = out
    let y = try Tensor(uninitialized: outShape, op: "linear")
    let yp = y.storage.pointer
    if let b {
      let bp = b.storage.pointer
      for r in 0..<rows { (yp + r * out).update(from: bp, count: out) }
    }
    sgemm(false, true, m: rows, n: out, k: inp, x.storage.pointer, lda: inp, w.storage.pointer, ldb: inp,
          beta: b == nil ? 0 : 1, yp, ldc: out)
    let inputs = b.map { [x, w, $0] } ?? [x, w]
    return y.recorded("linear", inputs) { g, need in
      let gp = g.storage.pointer
      var gx: Tensor? = nil, gw: Tensor? = nil, gb: Tensor? = nil
      if need[0] {
        gx = Tensor(sameSizeAs: x.shape)
        sgemm(false, false, m: rows, n: inp, k: out, gp, lda: out, w.storage.pointer, ldb: inp, gx!.storage.pointer, ldc: inp)
      }
      if need[1] {
        gw = Tensor(sameSizeAs: w.shape)
        sgemm(true, false, m: out, n: inp, k: rows, gp, lda: out, x.storage.pointer, ldb: inp, gw!.storage.pointer, ldc: inp)
      }
      if need.count > 2 && need[2] {
        let t = try Tensor.zeros([out])
        let tp = t.storage.pointer
        for r in 0..<rows { let row = gp + r * out; for j in 0..<out { tp[j] += row[j] } }
        gb = t
      }
      return [gx, gw, gb]
    }
  }
}
