// Training the VAE: Adam on encoder and generator together, maximising the ELBO.
import Datasets
import Engine

/// What one VAE iteration did, averaged over the batch.
public struct VAEStats: Equatable, Sendable {
  public var step = 0
  /// −mean ELBO, the loss minimised.
  public var loss: Float = 0
  /// mean KL(q ‖ p), and the mean squared error per coordinate of x against g(z).
  public var kl: Float = 0, mse: Float = 0
  public init() {}
}

/// Trains a ``VAE``: each iteration draws ε, forms the reparameterized ELBO of the batch and takes
/// one Adam step on both nets' weights against −mean ELBO. An iteration whose loss or gradients
/// are not finite stops with an error before any weight changes.
public final class VAETrainer {
  public let model: VAE
  public let optimizer: Adam
  public var rng: RandomGenerator
  public internal(set) var step = 0
  public private(set) var history: [VAEStats] = []

  public init(model: VAE, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, seed: UInt64 = 0) throws {
    self.model = model
    optimizer = try Adam(model.parameters, learningRate: learningRate, beta1: beta1, beta2: beta2)
    rng = RandomGenerator(seed: seed)
  }

  /// One iteration on the batch x.
  public func step(_ x: Tensor) throws -> VAEStats {
    let n = x.shape.first ?? 0
    guard n > 0 else { throw LatentEBMError.invalidArgument("the training batch is empty") }
    let before = rng
    let eps = try Tensor.randn([n, model.latent], using: &rng)
    let e = try model.elbo(x, noise: eps)
    let loss = try e.elbo.mean() * -1
    let grads = try gradients(of: loss, wrt: optimizer.parameters)
    var s = VAEStats()
    s.loss = try loss.item()
    s.kl = try e.kl.mean().item()
    s.mse = try withoutGradients {
      try (x.reshaped([n, model.dimensions]) - model.generator(e.z).reshaped([n, model.dimensions])).square().mean().item()
    }
    guard s.loss.isFinite, grads.allSatisfy({ g in g.scalars.allSatisfy(\.isFinite) }) else {
      rng = before
      throw LatentEBMError.diverged("VAE step \(step + 1): the loss or a gradient is not finite (loss \(s.loss)); the model is unchanged. Try a smaller learning rate.")
    }
    try optimizer.step(grads)
    step += 1
    s.step = step
    history.append(s)
    return s
  }

  /// `epochs` passes over data in shuffled mini-batches; the mean statistics of each epoch.
  /// - Throws: an interruption (Ctrl-C) between steps, or what ``step(_:)`` throws.
  public func fit(_ data: Tensor, epochs: Int, batchSize: Int, shuffle: Bool = true) throws -> [VAEStats] {
    let set = try Dataset(name: "training data", x: data)
    var out: [VAEStats] = []
    for _ in 0..<epochs {
      var mean = VAEStats(), count = 0
      for b in try set.batches(size: batchSize, shuffle: shuffle, seed: rng.next()) {
        try Interrupt.check()  // Ctrl-C stops between steps; every completed step stays
        let s = try step(b.x)
        mean.loss += s.loss; mean.kl += s.kl; mean.mse += s.mse
        count += 1
      }
      let c = Float(Swift.max(count, 1))
      mean.loss /= c; mean.kl /= c; mean.mse /= c
      mean.step = step
      out.append(mean)
    }
    return out
  }
}
