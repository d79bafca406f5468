// The text generator's network: p_β(x | z) over sentences, an LSTM whose initial state and every
// input carry z, with a categorical likelihood.
import Datasets
import Engine
import Glibc

/// p_β(x | z) for sentences x = (x_1 … x_T) of token ids, the anchors' `text` generator:
///
/// ```
/// h_0 = tanh(W_h z + b_h) (every layer's), c_0 = 0
/// input_t = [embedding(x_{t−1}), z]  with x_0 = <bos>
/// (h_t, c_t) = LSTM(input_t, h_{t−1}, c_{t−1})
/// p_β(x_t | x_{<t}, z) = softmax(W_o h_t + b_o)[x_t]
/// −log p_β(x | z) = Σ_t m_t · cross_entropy(logits_t, x_t)
/// ```
///
/// where `m_t` is 0 at `<pad>` positions (after a sentence's `<eos>`) and 1 elsewhere, so each
/// sentence's likelihood counts its words and its `<eos>`. The weights carry PyTorch's names
/// (`embed.weight`, `init_h.weight`, `lstm.weight_ih_l0`, …, `out.weight`) and initialisations.
/// With several layers, `init_h` gives every layer its own initial state (`[layers·H]` outputs).
public final class TextDecoder: Layer {
  public let latent: Int
  /// The words by id; its size is the softmax's.
  public let vocabulary: Vocabulary
  /// T, the tokens in a row (the corpus's `max_len`).
  public let length: Int
  public let embed: Embedding
  public let initH: Linear
  public let lstm: LSTM
  public let out: Linear

  /// - Parameters:
  ///   - latent: the size of z.
  ///   - vocabulary: the corpus's words (their number is the softmax's size, at least 5).
  ///   - length: T, tokens per row, at least 2.
  ///   - embed, hidden, layers: the embedding's size, the LSTM's hidden size and depth.
  public init(latent: Int, vocabulary: Vocabulary, length: Int, embed: Int, hidden: Int, layers: Int,
              using rng: inout RandomGenerator) throws {
    guard latent > 0, embed > 0, hidden > 0, (1...16).contains(layers) else {
      throw LatentEBMError.invalidArgument("text generator: latent, embed and hidden must be positive and layers 1…16, got \(latent), \(embed), \(hidden), \(layers)")
    }
    guard vocabulary.count > Vocabulary.specials.count, (2...TextCorpus.maxRowLength).contains(length) else {
      throw LatentEBMError.invalidArgument("text generator: the vocabulary needs a word besides the 4 special tokens and rows 2…\(TextCorpus.maxRowLength) tokens, got \(vocabulary.count) words and \(length)")
    }
    for shape in [[vocabulary.count, embed], [vocabulary.count, hidden], [4 * hidden, embed + latent + hidden]] {
      _ = try MemoryLimit.count(of: shape, op: "text generator")
    }
    self.latent = latent; self.vocabulary = vocabulary; self.length = length
    self.embed = try Embedding(vocabulary.count, embed, using: &rng)
    initH = try Linear(latent, layers * hidden, using: &rng)
    lstm = try LSTM(embed + latent, hidden, layers: layers, using: &rng)
    out = try Linear(hidden, vocabulary.count, using: &rng)
  }

  public var vocabularySize: Int { vocabulary.count }
  public var embedSize: Int { embed.dimension }
  public var hiddenSize: Int { lstm.hiddenSize }
  public var layerCount: Int { lstm.layers.count }

  public var namedParameters: [(String, Tensor)] {
    [("embed.weight", embed.weight)] + initH.namedParameters.map { ("init_h.\($0.0)", $0.1) }
      + lstm.namedParameters.map { ("lstm.\($0.0)", $0.1) } + out.namedParameters.map { ("out.\($0.0)", $0.1) }
  }

  public var description: String {
    "TextDecoder(vocab \(vocabularySize), embed \(embedSize), \(lstm))"
  }

  /// Checks z `[B, latent]` and x `[B, T]` (ids in the vocabulary); returns B.
  func check(_ z: Tensor, _ x: Tensor) throws -> Int {
    guard z.rank == 2, z.shape[1] == latent else {
      throw LatentEBMError.shape("text generator: z must have shape [N, \(latent)], got \(formatShape(z.shape))")
    }
    guard x.rank == 2, x.shape == [z.shape[0], length] else {
      throw LatentEBMError.shape("text generator: x must be \(z.shape[0]) rows of \(length) token ids, [\(z.shape[0]), \(length)], got \(formatShape(x.shape))")
    }
    return z.shape[0]
  }

  /// The initial states `h_0 = tanh(W_h z + b_h)` as `[layers, B, H]`.
  func initialState(_ z: Tensor) throws -> Tensor {
    let b = z.shape[0], h = hiddenSize, l = layerCount
    let flat = try initH(z).tanh()  // [B, l·H]
    if l == 1 { return try flat.reshaped([1, b, h]) }
    return try Tensor.stack((0..<l).map { k in try flat.slice(axis: 1, start: k * h, end: (k + 1) * h) })
  }

  /// The teacher-forced logits `[B, T, V]` of x given z (the equations on the type).
  public func logits(_ z: Tensor, _ x: Tensor) throws -> Tensor {
    let b = try check(z, x), t = length
    // x_{t−1}: <bos>, then the row shifted right by one.
    let previous = try Tensor.make([b, t]) { p in
      x.withUnsafeBufferPointer { xp in
        for r in 0..<b {
          p[r * t] = Float(Vocabulary.bos)
          for s in 1..<t { p[r * t + s] = xp[r * t + s - 1] }
        }
      }
    }
    let inputs = try Tensor.concatenate([try embed(previous), try z.reshaped([b, 1, latent]).broadcast(to: [b, t, latent])], axis: 2)
    let h0 = try initialState(z)
    let y = try lstm.run(inputs, h0: h0, c0: try Tensor.zeros(h0.shape)).output
    return try out(y)
  }

  /// The positions a sentence's likelihood counts: 1 where x is not `<pad>`, `[B, T]`.
  func mask(_ x: Tensor) throws -> Tensor {
    try Tensor.make(x.shape) { p in
      x.withUnsafeBufferPointer { xp in for i in 0..<xp.count { p[i] = xp[i] == Float(Vocabulary.pad) ? 0 : 1 } }
    }
  }

  /// −log p_β(x | z) per sentence, `[B]`: the cross-entropy summed over the counted positions.
  public func negativeLogLikelihood(_ x: Tensor, given z: Tensor) throws -> Tensor {
    try Tensor.crossEntropy(logits: try logits(z, x), targets: x, mask: try mask(x), reduction: .rows)
  }

  /// Sentences drawn from p_β(x | z), `[B, T]` ids: each token from `softmax(logits / temperature)`
  /// (or the most likely, `greedy`), never `<bos>` or `<pad>`; after `<eos>` the row is `<pad>`.
  /// A row with no `<eos>` in T tokens ends in `<eos>`, as the corpus cuts long sentences.
  public func decode(_ z: Tensor, temperature: Float = 1, greedy: Bool = false, using rng: inout RandomGenerator) throws -> Tensor {
    guard z.rank == 2, z.shape[1] == latent else {
      throw LatentEBMError.shape("text generator: z must have shape [N, \(latent)], got \(formatShape(z.shape))")
    }
    guard temperature > 0, temperature.isFinite else {
      throw LatentEBMError.invalidArgument("text generator: the temperature must be a positive number, got \(temperature)")
    }
    let b = z.shape[0], t = length, v = vocabularySize
    var ids = [Float](repeating: Float(Vocabulary.pad), count: b * t)
    guard b > 0 else { return try Tensor(shape: [0, t], scalars: []) }
    return try withoutGradients {
      var h = try initialState(z), c = try Tensor.zeros(h.shape)
      var previous = [Float](repeating: Float(Vocabulary.bos), count: b), done = [Bool](repeating: false, count: b)
      let zStep = try z.reshaped([b, 1, latent])
      var weights = [Double](repeating: 0, count: v)
      for s in 0..<t {
        try Interrupt.check()
        let e = try embed(try Tensor(shape: [b, 1], scalars: previous))
        let step = try lstm.run(try Tensor.concatenate([e, zStep], axis: 2), h0: h, c0: c)
        h = step.h; c = step.c
        let logits = try out(step.output).scalars  // [b, 1, v]
        for r in 0..<b where !done[r] {
          let row = logits[(r * v)..<((r + 1) * v)]
          var token = Vocabulary.eos
          if s < t - 1 {
            token = greedy ? Self.argmax(row) : Self.sample(row, temperature: temperature, weights: &weights, using: &rng)
          }
          ids[r * t + s] = Float(token)
          previous[r] = Float(token)
          if token == Vocabulary.eos { done[r] = true }
        }
        if done.allSatisfy({ $0 }) { break }
      }
      return try Tensor(shape: [b, t], scalars: ids)
    }
  }

  /// The ids a sentence may hold: every id but `<bos>` and `<pad>`.
  static func allowed(_ id: Int) -> Bool { id != Vocabulary.bos && id != Vocabulary.pad }

  /// The most likely allowed id of one row of logits.
  static func argmax(_ row: ArraySlice<Float>) -> Int {
    var best = Vocabulary.eos, top = -Float.infinity
    for (k, l) in row.enumerated() where allowed(k) && l > top { best = k; top = l }
    return best
  }

  /// An allowed id drawn from `softmax(row / temperature)`, in Double.
  static func sample(_ row: ArraySlice<Float>, temperature: Float, weights: inout [Double], using rng: inout RandomGenerator) -> Int {
    var top = -Double.infinity
    for (k, l) in row.enumerated() where allowed(k) { top = Swift.max(top, Double(l) / Double(temperature)) }
    var total = 0.0
    for (k, l) in row.enumerated() {
      weights[k] = allowed(k) && l.isFinite ? exp(Double(l) / Double(temperature) - top) : 0
      total += weights[k]
    }
    guard total > 0, total.isFinite else { return argmax(row) }
    var u = Double(rng.uniform()) * total
    for k in 0..<weights.count where weights[k] > 0 {
      u -= weights[k]
      if u < 0 { return k }
    }
    return argmax(row)
  }

  /// The most likely sentences given z (greedy decoding), `[B, T]`: what G(z) is for text.
  public func callAsFunction(_ z: Tensor) throws -> Tensor {
    var rng = RandomGenerator(seed: 0)
    return try decode(z, greedy: true, using: &rng)
  }
}
