// SGD: stochastic gradient descent with momentum.

/// Stochastic gradient descent with momentum, as `torch.optim.SGD`.
///
/// Concretely: `g ← g + λ·θ;  b ← μ·b + (1 − dampening)·g  (b = g at the first step);
/// θ ← θ − lr · (nesterov ? g + μ·b : b)`.
public final class SGD: Optimizer {
  public let parameters: [Tensor]
  public var learningRate: Float
  public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
  /// The momentum buffers b, one per parameter (zeros until the first step).
  public private(set) var buffers: [Tensor]
  /// Updates taken so far (b starts as g at the first).
  public private(set) var stepCount = 0

  public init(
    _ parameters: [Tensor], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
    weightDecay: Float = 0, nesterov: Bool = false
  ) throws {
    guard learningRate >= 0, momentum >= 0, weightDecay >= 0 else {
      throw TensorError.invalidArgument(op: "sgd", message: "learning rate, momentum and weight decay must be ≥ 0")
    }
    self.parameters = parameters
    self.learningRate = learningRate
    self.momentum = momentum; self.dampening = dampening; self.weightDecay = weightDecay; self.nesterov = nesterov
    buffers = try parameters.map { try Tensor.zeros($0.shape) }
  }

  public func step(_ gradients: [Tensor]) throws {
    try checkGradients(gradients, op: "sgd")
    for i in parameters.indices {
      let p = parameters[i].storage.pointer, g = gradients[i].storage.pointer, b = buffers[i].storage.pointer
      for j in 0..<parameters[i].count {
        var d = g[j] + weightDecay * p[j]
        if momentum != 0 {
          b[j] = stepCount > 0 ? momentum * b[j] + (1 - dampening) * d : d
          d = nesterov ? d + momentum * b[j] : b[j]
        }
        p[j] -= learningRate * d
      }
    }
    stepCount += 1
  }

  /// Restores the momentum buffers and step count from a checkpoint.
  public func restore(buffers b: [Tensor], stepCount: Int) throws {
    guard b.count == parameters.count, stepCount >= 0 else {
      throw TensorError.invalidArgument(op: "sgd", message: "optimizer state does not match its \(parameters.count) parameters")
    }
    for i in parameters.indices { try assign(buffers[i], from: b[i]) }
    self.stepCount = stepCount
  }
}
