import CKernels

extension ActivationLayer: PlannableLayer {
  func plannedKernels(input: [Int]) throws -> [LayerKernel] { [ActivationKernel(activation, shape: input)] }
}

extension Reshape: PlannableLayer {
  func plannedKernels(input: [Int]) throws -> [LayerKernel] {
    // One −1 (Flatten's `[-1]`) takes what the other sizes leave, as `reshaped` does.
    var out = [input[0]] + shape
    if let u = out.firstIndex(of: -1) {
      let known = out.filter { $0 != -1 }.reduce(1, *)
      if known > 0 { out[u] = input.reduce(1, *) / known }
    }
    guard out.allSatisfy({ $0 >= 0 }), out.reduce(1, *) == input.reduce(1, *) else {
      throw TensorError.shapeMismatch(op: "plan", shapes: [input, out], detail: "Reshape does not fit")
    }
    return [ReshapeKernel(shape: out)]
  }
}

extension Sequential: PlannableLayer {
  /// Its layers' kernels, one after another: the plan sees through it.
  func plannedKernels(input: [Int]) throws -> [LayerKernel] { try planKernels(of: layers, input: input) }
}

/// An activation element-wise on fixed shapes; `dx = dy ⊙ f′(x)`.
final class ActivationKernel: LayerKernel {
  let activation: Activation, count: Int
  let outputShape: [Int]
  init(_ a: Activation, shape: [Int]) { activation = a; outputShape = shape; count = shape.reduce(1, *) }

  var op: UnaryOp? {
    switch activation {
    case .relu: return .relu
    case .gelu: return .gelu
    case .silu: return .silu
    case .mish: return .mish
    case .tanh: return .tanh
    case .sigmoid: return .sigmoid
    case .softplus: return .softplus
    case .identity, .leakyRelu: return nil
    }
  }
  /// LeakyReLU with a slope ≥ 0 runs in place: y > 0 exactly when x > 0, so its derivative
  /// reads y. The identity only renames its input.
  var inPlace: InPlace {
    switch activation {
    case let .leakyRelu(s): return s >= 0 ? .overwrite : .never
    case .identity: return .alias
    default: return .never
    }
  }
  var backwardReadsActivations: Bool { true }
  var backwardInPlace: Bool { true }  // every derivative here is dx[i] from dy[i], x[i] and y[i] alone
  var leakySlope: Float? { if case let .leakyRelu(s) = activation { return s } else { return nil } }

  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let n = count
    switch activation {
    case let .leakyRelu(s): parallelChunks(n) { r in leakyForward(x, y, s, r.lowerBound, r.upperBound) }
    case .identity: if UnsafePointer(y) != x { y.update(from: x, count: n) }
    default: let op = op!; parallelChunks(n) { op.forward(x, y, $0) }
    }
  }
  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    let n = count
    switch activation {
    case let .leakyRelu(s):
      let v = s >= 0 ? y : x  // the same signs when s ≥ 0 (and y is x's buffer when run in place)
      parallelChunks(n) { r in leakyBackward(v, dy, dx, s, r.lowerBound, r.upperBound) }
    case .identity: if UnsafePointer(dx) != dy { dx.update(from: dy, count: n) }
    default: let op = op!; parallelChunks(n) { op.backward(x, y, dy, dx, $0) }
    }
  }
}

/// Each item of the batch reshaped: the output is the input, renamed (and so is the gradient).
final class ReshapeKernel: LayerKernel {
  let outputShape: [Int], count: Int
  init(shape: [Int]) { outputShape = shape; count = shape.reduce(1, *) }
  var inPlace: InPlace { .alias }
  var backwardInPlace: Bool { true }
  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) { if UnsafePointer(y) != x { y.update(from: x, count: count) } }
  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    if UnsafePointer(dx) != dy { dx.update(from: dy, count: count) }
  }
}

/// y[i] = x[i] > 0 ? x[i] : s·x[i] for i in lo..<hi (y may be x), vectorised in CKernels.
@inline(__always) func leakyForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ s: Float, _ lo: Int, _ hi: Int) {
  lebm_leaky_forward(x + lo, y + lo, s, hi - lo)
}

/// dx[i] = v[i] > 0 ? dy[i] : s·dy[i] for i in lo..<hi (dx may be dy).
@inline(__always) func leakyBackward(_ v: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ s: Float, _ lo: Int, _ hi: Int) {
  lebm_leaky_backward(v + lo, dy + lo, dx + lo, s, hi - lo)
}
