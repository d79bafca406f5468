/// The words of a text corpus and their token ids: four special tokens, then the corpus's most
/// frequent words.
///
/// | id | token | role |
/// |---|---|---|
/// | 0 | `<bos>` | the generator's input before the first word (the anchors' `text` configuration) |
/// | 1 | `<eos>` | ends every sentence; counted in perplexity |
/// | 2 | `<pad>` | fills a row after `<eos>`; masked out of every loss |
/// | 3 | `<unk>` | a word outside the vocabulary |
///
/// Ids are stored in Float32 tensors, which hold every whole number up to 2²⁴ exactly; a
/// vocabulary is therefore at most ``maxSize`` words, so no id can silently change.
public struct Vocabulary: Sendable, Equatable {
  public static let bos = 0, eos = 1, pad = 2, unk = 3
  public static let specials = ["<bos>", "<eos>", "<pad>", "<unk>"]
  /// The largest vocabulary: ids up to 2²⁴ are exact in Float32.
  public static let maxSize = 1 << 24

  /// The words by id, the four specials first.
  public let words: [String]
  private let ids: [String: Int]

  /// A vocabulary of the specials and then `words` in order (words equal to a special or
  /// repeated are dropped).
  public init(words: [String]) {
    var all = Self.specials, ids: [String: Int] = [:]
    for (i, w) in all.enumerated() { ids[w] = i }
    for w in words where ids[w] == nil {
      ids[w] = all.count
      all.append(w)
    }
    self.words = all
    self.ids = ids
  }

  /// The `size − 4` most frequent words of `counts` (ties in the order words first appeared),
  /// after the specials.
  init(counts: [String: Int], order: [String], size: Int) {
    let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
    let sorted = counts.keys.sorted { a, b in
      let (ca, cb) = (counts[a] ?? 0, counts[b] ?? 0)
      return ca != cb ? ca > cb : (rank[a] ?? 0) < (rank[b] ?? 0)
    }
    self.init(words: Array(sorted.prefix(Swift.max(0, size - Self.specials.count))))
  }

  public var count: Int { words.count }

  /// The id of `word`, or `<unk>`'s.
  public func id(_ word: Substring) -> Int { ids[String(word)] ?? Self.unk }
  public func id(_ word: String) -> Int { ids[word] ?? Self.unk }

  /// Whether `word` has an id of its own.
  public func contains(_ word: String) -> Bool { ids[word] != nil }

  /// The sentence a row of ids spells: words joined by spaces, up to the first `<eos>`;
  /// `<bos>` and `<pad>` are left out, and an id outside the vocabulary shows as `<?id>`.
  public func sentence(_ row: some Sequence<Int>) -> String {
    var out: [String] = []
    for id in row {
      if id == Self.eos { break }
      if id == Self.bos || id == Self.pad { continue }
      out.append(id >= 0 && id < words.count ? words[id] : "<?\(id)>")
    }
    return out.joined(separator: " ")
  }
}
