import Glibc

/// The element-wise functions of one tensor: each is one case here, with its doc, its forward loop
/// and its derivative. The engine's methods, the language's builtins and the gradient checks all
/// read this table, so a new function is one case plus its two formulas.
public enum UnaryOp: String, CaseIterable, Sendable {
  case neg, abs, exp, log, sqrt, square, reciprocal, sin, cos, erf
  case tanh, sigmoid, relu, gelu, silu, mish, softplus

  /// What the function computes.
  public var doc: String {
    switch self {
    case .neg: return "−x"
    case .abs: return "|x|"
    case .exp: return "eˣ"
    case .log: return "ln x (natural logarithm)"
    case .sqrt: return "√x"
    case .square: return "x²"
    case .reciprocal: return "1/x"
    case .sin: return "sin x"
    case .cos: return "cos x"
    case .erf: return "erf x = 2/√π ∫₀ˣ e^(−t²) dt"
    case .tanh: return "tanh x"
    case .sigmoid: return "σ(x) = 1/(1 + e^(−x))"
    case .relu: return "max(x, 0)"
    case .gelu: return "x·Φ(x) = x/2 · (1 + erf(x/√2)), the exact GELU"
    case .silu: return "x·σ(x) (SiLU, Swish)"
    case .mish: return "x·tanh(softplus(x))"
    case .softplus: return "ln(1 + eˣ)"
    }
  }

  /// Inputs where the function is smooth, for gradient checks by finite differences.
  public var smoothDomain: ClosedRange<Float> {
    switch self {
    case .log, .sqrt, .reciprocal: return 0.5...3
    case .abs, .relu: return 0.2...3  // away from the kink at 0
    default: return -3...3
    }
  }

  /// y[i] = f(x[i]).
  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
    switch self {
    case .neg: for i in r { y[i] = -x[i] }
    case .abs: for i in r { y[i] = Swift.abs(x[i]) }
    case .exp: for i in r { y[i] = expf(x[i]) }
    case .log: for i in r { y[i] = logf(x[i]) }
    case .sqrt: for i in r { y[i] = sqrtf(x[i]) }
    case .square: for i in r { y[i] = x[i] * x[i] }
    case .reciprocal: for i in r { y[i] = 1 / x[i] }
    case .sin: for i in r { y[i] = sinf(x[i]) }
    case .cos: for i in r { y[i] = cosf(x[i]) }
    case .erf: for i in r { y[i] = erff(x[i]) }
    case .tanh: for i in r { y[i] = tanhf(x[i]) }
    case .sigmoid: for i in r { y[i] = sigmoidf(x[i]) }
    case .relu: for i in r { y[i] = x[i] > 0 ? x[i] : 0 }
    case .gelu: for i in r { y[i] = 0.5 * x[i] * (1 + erff(x[i] * 0.70710678118654752)) }
    case .silu: for i in r { y[i] = x[i] * sigmoidf(x[i]) }
    case .mish: for i in r { y[i] = x[i] * tanhf(softplusf(x[i])) }
    case .softplus: for i in r { y[i] = softplusf(x[i]) }
    }
  }

  /// dx[i] = dy[i] · f′(x[i]), given x, y = f(x) and dy.
  func backward(
    _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
    _ dx: UnsafeMutablePointer<Float>, _ r: Range<Int>
  ) {
    switch self {
    case .neg: for i in r { dx[i] = -dy[i] }
    case .abs: for i in r { dx[i] = x[i] > 0 ? dy[i] : (x[i] < 0 ? -dy[i] : 0) }
    case .exp: for i in r { dx[i] = dy[i] * y[i] }
    case .log: for i in r { dx[i] = dy[i] / x[i] }
    case .sqrt: for i in r { dx[i] = dy[i] * 0.5 / y[i] }
    case .square: for i in r { dx[i] = dy[i] * 2 * x[i] }
    case .reciprocal: for i in r { dx[i] = -dy[i] * y[i] * y[i] }
    case .sin: for i in r { dx[i] = dy[i] * cosf(x[i]) }
    case .cos: for i in r { dx[i] = -dy[i] * sinf(x[i]) }
    case .erf: for i in r { dx[i] = dy[i] * 1.1283791670955126 * expf(-x[i] * x[i]) }
    case .tanh: for i in r { dx[i] = dy[i] * (1 - y[i] * y[i]) }
    case .sigmoid: for i in r { dx[i] = dy[i] * y[i] * (1 - y[i]) }
    case .relu: for i in r { dx[i] = x[i] > 0 ? dy[i] : 0 }
    case .gelu:
      for i in r {
        let v = x[i]
        let cdf = 0.5 * (1 + erff(v * 0.70710678118654752))
        let pdf = 0.3989422804014327 * expf(-0.5 * v * v)
        dx[i] = dy[i] * (cdf + v * pdf)
      }
    case .silu:
      for i in r { let s = sigmoidf(x[i]); dx[i] = dy[i] * (s + x[i] * s * (1 - s)) }
    case .mish:
      for i in r {
        let t = tanhf(softplusf(x[i]))
        let s = sigmoidf(x[i])
        dx[i] = dy[i] * (t + x[i] * (1 - t * t) * s)
      }
    case .softplus: for i in r { dx[i] = dy[i] * sigmoidf(x[i]) }
    }
  }
}

@inline(__always) func sigmoidf(_ x: Float) -> Float {
  x >= 0 ? 1 / (1 + expf(-x)) : { let e = expf(x); return e / (1 + e) }()
}

@inline(__always) func softplusf(_ x: Float) -> Float {
  Swift.max(x, 0) + log1pf(expf(-Swift.abs(x)))
}

extension Tensor {
  /// Applies an element-wise function from ``UnaryOp``.
  public func apply(_ op: UnaryOp) -> Tensor {
    let y = Tensor(sameSizeAs: shape)
    let xp = storage.pointer, yp = y.storage.pointer
    parallelChunks(count) { op.forward(xp, yp, $0) }
    let x = self
    return y.recorded(op.rawValue, [self]) { g, _ in
      let dx = Tensor(sameSizeAs: x.shape)
      let dxp = dx.storage.pointer, gp = g.storage.pointer
      parallelChunks(x.count) { op.backward(xp, yp, gp, dxp, $0) }
      return [dx]
    }
  }

  public func exp() -> Tensor { apply(.exp) }
  public func log() -> Tensor { apply(.log) }
  public func sqrt() -> Tensor { apply(.sqrt) }
  public func square() -> Tensor { apply(.square) }
  public func abs() -> Tensor { apply(.abs) }
  public func tanh() -> Tensor { apply(.tanh) }
  public func sigmoid() -> Tensor { apply(.sigmoid) }
  public func relu() -> Tensor { apply(.relu) }
  public func gelu() -> Tensor { apply(.gelu) }
  public func silu() -> Tensor { apply(.silu) }
  public func mish() -> Tensor { apply(.mish) }
  public func softplus() -> Tensor { apply(.softplus) }

  /// LeakyReLU: `x` where `x > 0`, else `slope · x`.
  public func leakyRelu(_ slope: Float = 0.01) -> Tensor {
    let y = Tensor(sameSizeAs: shape)
    let xp = storage.pointer, yp = y.storage.pointer
    parallelChunks(count) { r in leakyForward(xp, yp, slope, r.lowerBound, r.upperBound) }
    let x = self
    return y.recorded("leaky_relu", [self]) { g, _ in
      let dx = Tensor(sameSizeAs: x.shape)
      let dxp = dx.storage.pointer, gp = g.storage.pointer
      parallelChunks(x.count) { r in leakyBackward(xp, gp, dxp, slope, r.lowerBound, r.upperBound) }
      return [dx]
    }
  }

  /// Clamps every value into `[lo, hi]`; the gradient passes where the value was inside.
  public func clamped(_ lo: Float, _ hi: Float) throws -> Tensor {
    guard lo <= hi else {
      throw TensorError.invalidArgument(op: "clamp", message: "min \(lo) is greater than max \(hi)")
    }
    let y = Tensor(sameSizeAs: shape)
    let xp = storage.pointer, yp = y.storage.pointer
    parallelChunks(count) { r in for i in r { yp[i] = Swift.min(Swift.max(xp[i], lo), hi) } }
    let x = self
    return y.recorded("clamp", [self]) { g, _ in
      let dx = Tensor(sameSizeAs: x.shape)
      let dxp = dx.storage.pointer, gp = g.storage.pointer
      for i in 0..<x.count { dxp[i] = (xp[i] >= lo && xp[i] <= hi) ? gp[i] : 0 }
      return [dx]
    }
  }

  public static prefix func - (x: Tensor) -> Tensor { x.apply(.neg) }
}
