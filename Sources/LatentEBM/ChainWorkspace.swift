// The buffers and planned networks a Langevin chain reuses between calls: no allocation per step.
import Datasets
import Engine

/// The buffers and planned networks of one kind of chain (prior or posterior) at one batch size.
final class ChainWorkspace {
  let posterior: Bool, batch: Int
  let energy: InputGradientPlan?
  let generator: InputGradientPlan?
  /// A text generator's likelihood and its gradient in z (posterior chains over sentences).
  let text: DecoderLikelihoodPlan?
  let z, next, noise, gradE, gradL, ones, residual: UnsafeMutablePointer<Float>

  init(model: LatentEBM, posterior: Bool, batch n: Int) throws {
    self.posterior = posterior; batch = n
    let d = model.latent
    energy = try model.energyNet?.plannedLayers.map { try InputGradientPlan($0, inputShape: [n, d]) }
    generator = posterior && !model.isText ? try InputGradientPlan([model.generator.net], inputShape: [n, d]) : nil
    text = try model.generator.text.flatMap { g in
      posterior ? try DecoderLikelihoodPlan(embedding: g.embed, initial: g.initH, lstm: g.lstm, output: g.out, batch: n,
                                            length: g.length, bos: Vocabulary.bos, pad: Vocabulary.pad) : nil
    }
    let count = n * d, out = posterior ? n * model.generator.outputShape.reduce(1, *) : 1
    z = .allocate(capacity: count); next = .allocate(capacity: count); noise = .allocate(capacity: count)
    gradE = .allocate(capacity: count); gradL = .allocate(capacity: count)
    gradE.initialize(repeating: 0, count: count); gradL.initialize(repeating: 0, count: count)
    noise.initialize(repeating: 0, count: count)
    ones = .allocate(capacity: n); ones.initialize(repeating: 1, count: n)
    residual = .allocate(capacity: out)
  }

  deinit { [z, next, noise, gradE, gradL, ones, residual].forEach { $0.deallocate() } }
}

extension LatentEBM {
  func checkoutWorkspace(posterior: Bool, batch: Int) throws -> ChainWorkspace {
    if let ws = workspaces.withLock({ cache -> ChainWorkspace? in
      guard let i = cache.firstIndex(where: { $0.posterior == posterior && $0.batch == batch }) else { return nil }
      return cache.remove(at: i)
    }) { return ws }
    return try ChainWorkspace(model: self, posterior: posterior, batch: batch)
  }

  func checkinWorkspace(_ ws: ChainWorkspace) {
    workspaces.withLock { cache in
      cache.append(ws)
      if cache.count > 8 { cache.removeFirst() }  // keep the most recent batch sizes only
    }
  }
}
