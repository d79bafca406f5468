import Glibc

/// Updates parameters in place from their gradients.
public protocol Optimizer: AnyObject {
  /// The tensors being trained (their memory is updated in place).
  var parameters: [Tensor] { get }
  /// The current learning rate (a schedule may change it).
  var learningRate: Float { get set }
  /// Applies one update; `gradients[i]` belongs to `parameters[i]`.
  func step(_ gradients: [Tensor]) throws
}

extension Optimizer {
  func checkGradients(_ gradients: [Tensor], op: String) throws {
    guard gradients.count == parameters.count else {
      throw TensorError.invalidArgument(op: op, message: "\(gradients.count) gradients for \(parameters.count) parameters")
    }
    for (g, p) in zip(gradients, parameters) where g.shape != p.shape {
      throw TensorError.shapeMismatch(op: op, shapes: [p.shape, g.shape], detail: "gradient must match its parameter")
    }
  }
}

/// Scales `gradients` in place so that their joint L2 norm is at most `maxNorm`, as PyTorch's
/// `clip_grad_norm_` (factor `maxNorm / (norm + 1e-6)` when the norm is larger).
/// - Returns: the norm before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: [Tensor], maxNorm: Float) throws -> Float {
  guard maxNorm > 0, maxNorm.isFinite else {
    throw TensorError.invalidArgument(op: "clip_grad_norm", message: "max norm must be positive and finite, got \(maxNorm)")
  }
  let norm = gradientNorm(gradients)
  if norm > maxNorm {
    let f = maxNorm / (norm + 1e-6)
    for g in gradients { let p = g.storage.pointer; for i in 0..<g.count { p[i] *= f } }
  }
  return norm
}

/// The joint L2 norm `√(Σᵢ ‖gᵢ‖²)` of several tensors.
public func gradientNorm(_ gradients: [Tensor]) -> Float {
  // Blocks of 4096 summed in Float, eight lanes at a time, and the blocks in Double, in order.
  var s: Double = 0
  for g in gradients {
    let p = g.storage.pointer, n = g.count
    var b = 0
    while b < n {
      let e = Swift.min(n, b + 4096)
      var acc = SIMD8<Float>(), i = b
      while i + 8 <= e { let v = load8(p + i); acc += v * v; i += 8 }
      var t = Double(acc.sum())
      while i < e { t += Double(p[i]) * Double(p[i]); i += 1 }
      s += t
      b = e
    }
  }
  return Float(s.squareRoot())
}

/// Exponential learning-rate decay: `lr = lr₀ · γ^epoch` (PyTorch's `ExponentialLR`), one
/// schedule for any number of optimizers.
public struct ExponentialDecay: Equatable, Sendable {
  public let gamma: Float

  public init(gamma: Float) throws {
    guard gamma > 0, gamma <= 1 else {
      throw TensorError.invalidArgument(op: "lr_decay", message: "gamma must be in (0, 1], got \(gamma)")
    }
    self.gamma = gamma
  }

  /// The rate after `epochs` epochs from `initial`.
  public func rate(_ initial: Float, afterEpochs epochs: Int) -> Float {
    initial * Float(pow(Double(gamma), Double(epochs)))
  }
}
