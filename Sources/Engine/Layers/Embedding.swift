/// A lookup table of learned vectors, one per token id, as PyTorch's `nn.Embedding`.
///
/// Concretely: for ids `x` of any shape, `y[…, :] = W[x[…], :]`, so `y` has shape `x.shape + [dim]`;
/// `W` is `[vocab, dim]`, initialised from `N(0, 1)` as PyTorch does. The gradient of a loss `L`
/// is a scatter-add of the output's rows: `∂L/∂W[v] = Σ_{p : x[p] = v} ∂L/∂y[p]` (a row no id
/// names gets zero); ids are data and have no gradient.
///
/// Ids are Float32 tensors whose values must be whole numbers in `[0, vocab)`; anything else is a
/// thrown ``TensorError`` naming the first bad id and its position (see ``Tensor/tokenIds(op:vocab:)``).
public final class Embedding: Layer {
  /// The largest vocabulary: every id below 2²⁴ is exact in Float32 (above it, ids 2²⁴ and 2²⁴ + 1
  /// are the same float), so larger tables are refused rather than silently sharing rows.
  public static let maxVocabulary = 1 << 24

  public let weight: Tensor
  public var vocabulary: Int { weight.shape[0] }
  public var dimension: Int { weight.shape[1] }

  /// - Parameters:
  ///   - vocabulary: how many ids (rows), at most ``maxVocabulary``.
  ///   - dimension: the length of each vector.
  public init(_ vocabulary: Int, _ dimension: Int, using rng: inout RandomGenerator) throws {
    try Embedding.checkVocabulary(vocabulary, op: "Embedding")
    guard dimension > 0 else {
      throw TensorError.invalidArgument(op: "Embedding", message: "the dimension must be positive, got \(dimension)")
    }
    weight = parameter(try Tensor.randn([vocabulary, dimension], using: &rng))
  }

  /// Throws unless `vocabulary` is in `1...maxVocabulary`.
  public static func checkVocabulary(_ vocabulary: Int, op: String) throws {
    guard vocabulary > 0 else {
      throw TensorError.invalidArgument(op: op, message: "the vocabulary must be positive, got \(vocabulary)")
    }
    guard vocabulary <= maxVocabulary else {
      throw TensorError.invalidArgument(op: op, message:
        "a vocabulary of \(vocabulary) is more than 2^24 = \(maxVocabulary): ids are Float32 values, exact only below 2^24")
    }
  }

  public func callAsFunction(_ ids: Tensor) throws -> Tensor { try Tensor.embedding(ids, weight: weight) }
  public var namedParameters: [(String, Tensor)] { [("weight", weight)] }
  public var description: String { "Embedding(\(vocabulary), \(dimension))" }
}

extension Tensor {
  /// The rows of `weight` (`[vocab, dim]`) at `ids` (any shape): `ids.shape + [dim]`, with the
  /// gradient to `weight` as a scatter-add of rows (see ``Embedding``).
  public static func embedding(_ ids: Tensor, weight w: Tensor) throws -> Tensor {
    guard w.rank == 2 else {
      throw TensorError.shapeMismatch(op: "embedding", shapes: [w.shape], detail: "the weight must be [vocab, dim]")
    }
    let (vocab, dim) = (w.shape[0], w.shape[1])
    let index = try ids.tokenIds(op: "embedding", vocab: vocab)
    let y = try Tensor(uninitialized: ids.shape + [dim], op: "embedding")
    let yp = y.storage.pointer, wp = w.storage.pointer
    for (p, v) in index.enumerated() { (yp + p * dim).update(from: wp + v * dim, count: dim) }
    return y.recorded("embedding", [ids, w]) { g, need in
      guard need[1] else { return [nil, nil] }
      let gw = Tensor(sameSizeAs: w.shape)
      let gwp = gw.storage.pointer, gp = g.storage.pointer
      gwp.update(repeating: 0, count: gw.count)
      for (p, v) in index.enumerated() {
        let row = gwp + v * dim, src = gp + p * dim
        for j in 0..<dim { row[j] += src[j] }
      }
      return [nil, gw]
    }
  }

  /// This tensor's values as token ids in `[0, vocab)`, in row-major order.
  /// - Throws: for the first value that is not a whole number in range (a fraction, a negative
  ///   number, `vocab` or more, NaN or infinity), naming it and its position, e.g.
  ///   `embedding: id 2.5 at [1, 3] is not a whole number in [0, 10)`; and for `vocab` above 2²⁴.
  func tokenIds(op: String, vocab: Int) throws -> [Int] {
    try Embedding.checkVocabulary(vocab, op: op)
    let limit = Float(vocab)
    let xp = storage.pointer
    var out = [Int](repeating: 0, count: count)
    for i in 0..<count {
      let v = xp[i]
      guard v >= 0, v < limit, v.rounded(.towardZero) == v else {
        throw TensorError.invalidArgument(op: op, message:
          "id \(formatScalar(v)) at \(formatShape(multiIndex(i))) is not a whole number in [0, \(vocab))")
      }
      out[i] = Int(v)
    }
    return out
  }

  /// The full index of the `flat`-th value in row-major order.
  func multiIndex(_ flat: Int) -> [Int] {
    var rest = flat
    var index = [Int](repeating: 0, count: rank)
    for a in stride(from: rank - 1, through: 0, by: -1) {
      index[a] = rest % Swift.max(shape[a], 1)
      rest /= Swift.max(shape[a], 1)
    }
    return index
  }
}
