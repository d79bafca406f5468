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
    let t = Double(stepCount + 1)
    let bc1 = Float(1 - pow(Double(beta1), t)), bc2sqrt = Float((1 - pow(Double(beta2), t)).squareRoot())
    let stepSize = learningRate / bc1
    let (b1, b2, eps, wd) = (beta1, beta2, epsilon, weightDecay)
    var largest = SIMD8<Float>(), finite = true
    for i in parameters.indices {
      let p = parameters[i].storage.pointer, g = gradients[i].storage.pointer
      let m = firstMoments[i].storage.pointer, v = secondMoments[i].storage.pointer
      let n = parameters[i].count
      var j = 0
      while j + 8 <= n {
        var gj = load8(g + j)
        let pj = load8(p + j)
        if wd != 0 { gj += wd * pj }
        let mj = b1 * load8(m + j) + (1 - b1) * gj
        let vj = b2 * load8(v + j) + (1 - b2) * gj * gj
        let pn = pj - stepSize * mj / (vj.squareRoot() / bc2sqrt + eps)
        // x − x is 0 for finite x and NaN for ±∞ or NaN.
        let probe = (mj - mj) + (vj - vj) + (pn - pn)
        if probe != SIMD8<Float>() { finite = false }
        largest = pointwiseMax(largest, pn.replacing(with: -pn, where: pn .< 0))
        j += 8
      }
      while j < n {
        let gj = wd == 0 ? g[j] : g[j] + wd * p[j]
        let mj = b1 * m[j] + (1 - b1) * gj
        let vj = b2 * v[j] + (1 - b2) * gj * gj
        let pn = p[j] - stepSize * mj / (vj.squareRoot() / bc2sqrt + eps)
        if !(mj.isFinite && vj.isFinite && pn.isFinite) { finite = false }
        largest[0] = Swift.max(largest[0], Swift.abs(pn))
        j += 1
      }
    }
    return (largest.max(), finite)
  }

  public func step(_ gradients: [Tensor]) throws {
    try checkGradients(gradients, op: "adam")
    stepCount += 1
    let t = Double(stepCount)
    let bc1 = Float(1 - pow(Double(beta1), t)), bc2sqrt = Float((1 - pow(Double(beta2), t)).squareRoot())
    let stepSize = learningRate / bc1
    let (b1, b2, eps, wd) = (beta1, beta2, epsilon, weightDecay)
    for i in parameters.indices {
      let p = parameters[i].storage.pointer, g = gradients[i].storage.pointer
      let m = firstMoments[i].storage.pointer, v = secondMoments[i].storage.pointer
      parallelChunks(parameters[i].count, minimum: 1 << 16) { r in
        // Eight at a time, then the rest one by one: the same arithmetic either way.
        var j = r.lowerBound
        while j + 8 <= r.upperBound {
          var gj = load8(g + j)
          let pj = load8(p + j)
          if wd != 0 { gj += wd * pj }
          let mj = b1 * load8(m + j) + (1 - b1) * gj
          let vj = b2 * load8(v + j) + (1 - b2) * gj * gj
          let pn = pj - stepSize * mj / (vj.squareRoot() / bc2sqrt + eps)
          store8(mj, m + j); store8(vj, v + j); store8(pn, p + j)
          j += 8
        }
        while j < r.upperBound {
          let gj = wd == 0 ? g[j] : g[j] + wd * p[j]
          m[j] = b1 * m[j] + (1 - b1) * gj
          v[j] = b2 * v[j] + (1 - b2) * gj * gj
          p[j] -= stepSize * m[j] / (v[j].squareRoot() / bc2sqrt + eps)
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
