import Glibc

/// Adam (Kingma & Ba, 2015), exactly as `torch.optim.Adam`: L2 weight decay added to the
/// gradient, bias correction on.
///
/// Concretely, at step t with gradient g:
/// ```
/// g ← g + λ·θ
/// m ← β₁·m + (1 − β₁)·g,    v ← β₂·v + (1 − β₂)·g²
/// θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
public final class Adam: Optimizer {
  public let parameters: [Tensor]
  public var learningRate: Float
  public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
  /// First and second moment estimates, one per parameter.
  public private(set) var firstMoments: [Tensor]
  public private(set) var secondMoments: [Tensor]
  /// Updates taken so far.
  public internal(set) var stepCount = 0

  /// - Parameters:
  ///   - learningRate: default 1e-3.
  ///   - beta1, beta2: default 0.9 and 0.999 (the latent EBM reference uses 0.5, 0.999).
  ///   - epsilon: default 1e-8.
  ///   - weightDecay: L2 penalty λ, default 0.
  public init(
    _ parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
    epsilon: Float = 1e-8, weightDecay: Float = 0
  ) throws {
    guard learningRate >= 0, learningRate.isFinite else {
      throw TensorError.invalidArgument(op: "adam", message: "learning rate must be ≥ 0 and finite, got \(learningRate)")
    }
    guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
      throw TensorError.invalidArgument(op: "adam", message: "betas must be in [0, 1), got \(beta1), \(beta2)")
    }
    guard epsilon >= 0, weightDecay >= 0 else {
      throw TensorError.invalidArgument(op: "adam", message: "eps and weight decay must be ≥ 0")
    }
    self.parameters = parameters
    self.learningRate = learningRate
    self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
    firstMoments = try parameters.map { try Tensor.zeros($0.shape) }
    secondMoments = try parameters.map { try Tensor.zeros($0.shape) }
  }

  /// What ``step(_:)`` with `gradients` would leave, computed with the same arithmetic but
  /// changing nothing: the largest |θ| and whether every new θ, m and v is finite (v ≥ 0 then
  /// holds too), so a caller can refuse an update before it is applied.
  public func proposedStep(_ gradients: [Tensor]) throws -> (largestWeight: Float, finite: Bool) {
    try checkGradients(gradients, op: "adam")
    let update = AdamUpdate(self, step: stepCount + 1)
    var largest = SIMD8<Float>(), finite = true
    func look(_ m: SIMD8<Float>, _ v: SIMD8<Float>, _ p: SIMD8<Float>) {
      // x − x is 0 for finite x and NaN for ±∞ or NaN.
      if (m - m) + (v - v) + (p - p) != SIMD8<Float>() { finite = false }
      largest = pointwiseMax(largest, p.replacing(with: -p, where: p .< 0))
    }
    for i in parameters.indices {
      let p = parameters[i].storage.pointer, g = gradients[i].storage.pointer
      let m = firstMoments[i].storage.pointer, v = secondMoments[i].storage.pointer
      let n = parameters[i].count
      var j = 0
      while j + 8 <= n {
        let u = update(g: load8(g + j), p: load8(p + j), m: load8(m + j), v: load8(v + j))
        look(u.m, u.v, u.p)
        j += 8
      }
      if j < n {  // the rest, padded with zeros (which stay zero)
        var gs = SIMD8<Float>(), ps = gs, ms = gs, vs = gs
        for k in 0..<(n - j) { gs[k] = g[j + k]; ps[k] = p[j + k]; ms[k] = m[j + k]; vs[k] = v[j + k] }
        let u = update(g: gs, p: ps, m: ms, v: vs)
        look(u.m, u.v, u.p)
      }
    }
    return (largest.max(), finite)
  }

  public func step(_ gradients: [Tensor]) throws {
    try checkGradients(gradients, op: "adam")
    stepCount += 1
    let update = AdamUpdate(self, step: stepCount)
    for i in parameters.indices {
      let p = parameters[i].storage.pointer, g = gradients[i].storage.pointer
      let m = firstMoments[i].storage.pointer, v = secondMoments[i].storage.pointer
      parallelChunks(parameters[i].count, minimum: 1 << 16) { r in
        // Eight at a time, then the rest one by one: the same arithmetic either way.
        var j = r.lowerBound
        while j + 8 <= r.upperBound {
          let u = update(g: load8(g + j), p: load8(p + j), m: load8(m + j), v: load8(v + j))
          store8(u.m, m + j); store8(u.v, v + j); store8(u.p, p + j)
          j += 8
        }
        while j < r.upperBound {
          (m[j], v[j], p[j]) = update(g: g[j], p: p[j], m: m[j], v: v[j])
          j += 1
        }
      }
    }
  }

  /// Restores moments and step count from a checkpoint.
  public func restore(firstMoments m: [Tensor], secondMoments v: [Tensor], stepCount: Int) throws {
    guard m.count == parameters.count, v.count == parameters.count, stepCount >= 0 else {
      throw TensorError.invalidArgument(op: "adam", message: "optimizer state does not match its \(parameters.count) parameters")
    }
    for i in parameters.indices {
      try assign(firstMoments[i], from: m[i])
      try assign(secondMoments[i], from: v[i])
    }
    self.stepCount = stepCount
  }
}

/// Adam's update at step t, written once for one value and for eight at a time:
/// `g ← g + λθ; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; θ ← θ − lr/(1 − β₁ᵗ) · m/(√v/√(1 − β₂ᵗ) + ε)`.
struct AdamUpdate {
  let b1: Float, b2: Float, eps: Float, wd: Float, stepSize: Float, bc2sqrt: Float

  init(_ a: Adam, step: Int) {
    let t = Double(step)
    b1 = a.beta1; b2 = a.beta2; eps = a.epsilon; wd = a.weightDecay
    stepSize = a.learningRate / Float(1 - pow(Double(a.beta1), t))
    bc2sqrt = Float((1 - pow(Double(a.beta2), t)).squareRoot())
  }

  @inline(__always) func callAsFunction<V: AdamLanes>(g: V, p: V, m: V, v: V) -> (m: V, v: V, p: V) {
    let gj = wd == 0 ? g : g + wd * p
    let mn = b1 * m + (1 - b1) * gj
    let vn = b2 * v + (1 - b2) * gj * gj
    return (mn, vn, p - stepSize * mn / (vn.squareRoot() / bc2sqrt + eps))
  }
}

/// What ``AdamUpdate`` computes with: a Float or eight of them.
protocol AdamLanes {
  static func + (a: Self, b: Self) -> Self
  static func - (a: Self, b: Self) -> Self
  static func * (a: Self, b: Self) -> Self
  static func / (a: Self, b: Self) -> Self
  static func * (a: Float, b: Self) -> Self
  static func / (a: Self, b: Float) -> Self
  static func + (a: Self, b: Float) -> Self
  func squareRoot() -> Self
}

extension Float: AdamLanes {}
extension SIMD8: AdamLanes where Scalar == Float {}
