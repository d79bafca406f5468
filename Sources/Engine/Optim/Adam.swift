import CKernels
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
    var c = constants(step: stepCount + 1), largest: Float = 0, finite: Int32 = 1
    for i in parameters.indices {
      let l = lebm_adam_probe(&c, parameters[i].count, parameters[i].storage.pointer, gradients[i].storage.pointer,
                              firstMoments[i].storage.pointer, secondMoments[i].storage.pointer, &finite)
      largest = Swift.max(largest, l)
    }
    return (largest, finite != 0)
  }

  public func step(_ gradients: [Tensor]) throws {
    try checkGradients(gradients, op: "adam")
    stepCount += 1
    let c = constants(step: stepCount)
    for i in parameters.indices {
      let p = parameters[i].storage.pointer, g = gradients[i].storage.pointer
      let m = firstMoments[i].storage.pointer, v = secondMoments[i].storage.pointer
      parallelChunks(parameters[i].count, minimum: 1 << 16) { r in
        var cc = c
        let o = r.lowerBound
        lebm_adam_step(&cc, r.count, p + o, g + o, m + o, v + o)
      }
    }
  }

  /// The update's constants at step t (`lebm_adam_step` in CKernels does the arithmetic).
  private func constants(step: Int) -> lebm_adam_constants {
    let t = Double(step)
    return lebm_adam_constants(
      b1: beta1, b2: beta2, eps: epsilon, wd: weightDecay,
      step_size: learningRate / Float(1 - pow(Double(beta1), t)), bc2_sqrt: Float((1 - pow(Double(beta2), t)).squareRoot()))
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
