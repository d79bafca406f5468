// The paper's text measures for a model over sentences: sentences drawn and reconstructed, test
// perplexity (AIS), active units, and reverse perplexity with a language model trained on samples.
import Datasets
import Engine
import Glibc

extension LatentEBM {
  /// The text generator, or an error naming what needs one.
  func textDecoder(_ what: String) throws -> TextDecoder {
    guard let t = generator.text else {
      throw LatentEBMError.invalidArgument("\(what) takes a model over sentences (a text_generator); this one's generator is \(generator.summary)")
    }
    return t
  }

  /// `n` sentences: z from the prior chains (exactly N(0, σ0² I) for the Gaussian prior), then each
  /// token drawn from p_β(x_t | x_{<t}, z) at `temperature` (or the most likely, `greedy`). `[n, T]` ids.
  public func generateText(
    _ n: Int, temperature: Float = 1, greedy: Bool = false, config: LangevinConfig = .prior, using rng: inout RandomGenerator
  ) throws -> Tensor {
    let text = try textDecoder("generate_text")
    guard n > 0 else { throw LatentEBMError.invalidArgument("the number of sentences must be positive, got \(n)") }
    let z0 = try initialLatents(n, std: energyNet == nil ? priorSigma : config.initStd, using: &rng)
    let z = energyNet == nil ? z0 : try samplePrior(from: z0, config: config, using: &rng)
    return try text.decode(z, temperature: temperature, greedy: greedy, using: &rng)
  }

  /// The posterior means of z for each row of x, estimated by `chains` independent posterior
  /// chains from N(0, σ_init² I): `E_q[z | x] ≈ (1/C) Σ_c z⁺_c`, `[N, latent]`.
  public func posteriorMean(_ x: Tensor, chains: Int = 4, config: LangevinConfig = .posterior, using rng: inout RandomGenerator) throws -> Tensor {
    try checkData(x, "x")
    guard (1...1000).contains(chains) else { throw LatentEBMError.invalidArgument("chains must be 1…1000, got \(chains)") }
    var sum = try Tensor.zeros([x.shape[0], latent])
    for _ in 0..<chains {
      sum = try sum + inBlocks(x) { block in
        try samplePosterior(block, from: initialLatents(block.shape[0], std: config.initStd, using: &rng), config: config, using: &rng)
      }
    }
    return try sum / Float(chains)
  }

  /// Active units (Burda et al., 2016): the dimensions d whose posterior mean varies across the
  /// data, `A_d = Cov_x(E_q[z_d | x]) > threshold` (0.01), with q the posterior chains.
  ///
  /// E_q[z | x] is estimated by the mean of `chains` (C ≥ 2) independent chains per row, and the
  /// spread of such means over-counts by the chains' own noise: `Var_x(mean) = Var_x(E_q[z | x]) +
  /// E_x[Var_q(z | x)]/C`. So each dimension's value is the one-way analysis of variance's
  /// unbiased estimate, the variance of the row means less the mean within-row variance over C;
  /// short chains that barely leave their N(0, I) starts then count as inactive, as they should.
  /// Returns each dimension's estimate and how many pass.
  public func activeUnits(
    _ x: Tensor, threshold: Float = 0.01, chains: Int = 4, config: LangevinConfig = .posterior, using rng: inout RandomGenerator
  ) throws -> (count: Int, variances: [Float]) {
    try checkData(x, "x")
    let n = x.shape[0], d = latent
    guard n >= 2 else { throw LatentEBMError.invalidArgument("active units need at least 2 examples") }
    guard (2...1000).contains(chains) else { throw LatentEBMError.invalidArgument("active units need 2…1000 chains per example, got \(chains)") }
    var sum = [Double](repeating: 0, count: n * d), sumSq = sum
    for _ in 0..<chains {
      let z = try inBlocks(x) { block in
        try samplePosterior(block, from: initialLatents(block.shape[0], std: config.initStd, using: &rng), config: config, using: &rng)
      }.scalars
      for i in 0..<(n * d) { sum[i] += Double(z[i]); sumSq[i] += Double(z[i]) * Double(z[i]) }
    }
    let c = Double(chains)
    var variances = [Float](repeating: 0, count: d)
    for j in 0..<d {
      var mean = 0.0, within = 0.0
      for i in 0..<n {
        let m = sum[i * d + j] / c
        mean += m
        within += (sumSq[i * d + j] - c * m * m) / (c - 1)
      }
      mean /= Double(n)
      var between = 0.0
      for i in 0..<n { let e = sum[i * d + j] / c - mean; between += e * e }
      variances[j] = Float(between / Double(n - 1) - within / Double(n) / c)
    }
    return (variances.filter { $0 > threshold }.count, variances)
  }
}

/// Perplexity from per-sentence log-likelihoods: `exp(−Σ_i log p(x_i) / Σ_i tokens_i)`, where a
/// sentence's tokens are its words and its `<eos>` (the positions its likelihood counts).
public func textPerplexity(logLikelihoods: [Double], tokens: [Int]) throws -> Double {
  guard logLikelihoods.count == tokens.count, !tokens.isEmpty else {
    throw LatentEBMError.invalidArgument("perplexity: needs one token count per sentence, got \(logLikelihoods.count) and \(tokens.count)")
  }
  let total = tokens.reduce(0, +)
  guard total > 0 else { throw LatentEBMError.invalidArgument("perplexity: the sentences hold no tokens") }
  return exp(-logLikelihoods.reduce(0, +) / Double(total))
}

/// The tokens each row's likelihood counts: every position that is not `<pad>`.
public func countedTokens(_ x: Tensor) -> [Int] {
  let t = x.shape.last ?? 0, v = x.scalars
  guard t > 0 else { return [] }
  return stride(from: 0, to: v.count, by: t).map { s in v[s..<(s + t)].filter { $0 != Float(Vocabulary.pad) }.count }
}

/// A small LSTM language model p(x) = Π_t p(x_t | x_{<t}) on the engine: a ``TextDecoder`` whose
/// z is a constant 0 (one unused latent dimension), trained by Adam on the cross-entropy. The
/// reverse perplexity of a generator (Zhao et al., 2018) is this model's perplexity on real test
/// sentences after training on the generator's samples: low when the samples cover the data.
public final class LanguageModel {
  public let decoder: TextDecoder

  public init(vocabulary: Vocabulary, length: Int, embed: Int = 64, hidden: Int = 128, using rng: inout RandomGenerator) throws {
    decoder = try TextDecoder(latent: 1, vocabulary: vocabulary, length: length, embed: embed, hidden: hidden, layers: 1, using: &rng)
  }

  /// −log p(x) per row, `[N]`.
  public func negativeLogLikelihood(_ x: Tensor) throws -> Tensor {
    try decoder.negativeLogLikelihood(x, given: try Tensor.zeros([x.shape[0], 1]))
  }

  /// `epochs` passes of Adam (lr 1e-3) over `x` in shuffled batches of `batchSize`, minimising
  /// the mean over sentences of −log p(x). Returns the last epoch's mean loss per sentence.
  @discardableResult
  public func fit(_ x: Tensor, epochs: Int, batchSize: Int = 64, learningRate: Float = 1e-3, using rng: inout RandomGenerator) throws -> Double {
    guard epochs >= 1, batchSize >= 1 else { throw LatentEBMError.invalidArgument("language model: epochs and batch size must be positive") }
    let set = try Dataset(name: "sentences", x: x)
    let adam = try Adam(decoder.parameters, learningRate: learningRate)
    var last = 0.0
    for _ in 0..<epochs {
      var total = 0.0, count = 0
      for batch in try set.batches(size: batchSize, shuffle: true, seed: rng.next()) {
        try Interrupt.check()
        let loss = try negativeLogLikelihood(batch.x).mean()
        try adam.step(try gradients(of: loss, wrt: decoder.parameters))
        total += Double(try loss.item()); count += 1
      }
      last = total / Double(Swift.max(count, 1))
    }
    return last
  }

  /// The perplexity on `x`: `exp(Σ −log p(x_i) / Σ tokens_i)`.
  public func perplexity(_ x: Tensor) throws -> Double {
    let nll = try withoutGradients { try inRows(x) { try negativeLogLikelihood($0) } }
    return try textPerplexity(logLikelihoods: nll.scalars.map { -Double($0) }, tokens: countedTokens(x))
  }

  /// `body` on blocks of 500 rows, concatenated.
  private func inRows(_ x: Tensor, _ body: (Tensor) throws -> Tensor) throws -> Tensor {
    var parts: [Tensor] = [], start = 0
    while start < x.shape[0] {
      parts.append(try body(x.slice(axis: 0, start: start, end: Swift.min(x.shape[0], start + 500))))
      start += 500
    }
    return try Tensor.concatenate(parts, axis: 0)
  }
}
