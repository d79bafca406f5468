import Engine

/// Sentences as rows of token ids, for a latent EBM with a text generator: one row per sentence,
/// its words' ids, then `<eos>`, then `<pad>` to the row's end (``Vocabulary`` gives the ids).
///
/// ```swift
/// let train = try TextCorpus.read("ptb.train.txt", vocabulary: .mostFrequent(10_000), maxLength: 40)
/// let test = try TextCorpus.read("ptb.test.txt", vocabulary: .given(train.vocabulary), maxLength: 40)
/// ```
public struct TextCorpus: Sendable {
  /// A file name, or the toy corpus's name.
  public let name: String
  public let vocabulary: Vocabulary
  /// `[N, maxLength]` token ids (whole numbers in Float32): the words, `<eos>`, then `<pad>`.
  public let tokens: Tensor
  /// The tokens of each row that a loss counts: its words and its `<eos>`.
  public let lengths: [Int]
  public let statistics: TextStatistics
  /// A topic per sentence (the toy corpus), with the topics' names.
  public let topics: [Int]?
  public let topicNames: [String]?

  /// How a corpus gets its vocabulary.
  public enum VocabularyChoice: Sendable {
    /// The specials and the `size − 4` most frequent words of this corpus.
    case mostFrequent(Int)
    /// Another corpus's vocabulary (a test set's words are looked up in the training set's).
    case given(Vocabulary)
  }

  /// The longest line a sentence file may hold; a longer one is not one sentence per line.
  public static let maxLineBytes = 1 << 20
  /// The longest row: `maxLength` is 2 (one word and `<eos>`) to this.
  public static let maxRowLength = 10_000

  public var count: Int { lengths.count }
  public var maxLength: Int { tokens.shape.count == 2 ? tokens.shape[1] : 0 }

  /// The sentence of each row, words joined by spaces (``Vocabulary/sentence(_:)``).
  public var sentences: [String] { rows(of: tokens).map { vocabulary.sentence($0) } }

  /// The rows of ids of a `[N, T]` (or `[T]`) tensor, each value rounded to the nearest whole number.
  public func rows(of t: Tensor) -> [[Int]] {
    let v = t.scalars, width = t.shape.last ?? 0
    guard width > 0 else { return [] }
    return stride(from: 0, to: v.count, by: width).map { start in
      v[start..<Swift.min(start + width, v.count)].map { $0.isFinite ? Int($0.rounded()) : -1 }
    }
  }

  /// Reads a file of one sentence per line, words separated by spaces or tabs. Blank lines are
  /// skipped; a sentence longer than `maxLength − 1` words keeps its first `maxLength − 1` (counted
  /// in ``TextStatistics/truncated``).
  /// - Throws: ``DatasetError`` naming the file: missing, not a regular file (a FIFO, a device),
  ///   larger than the engine's memory limit, holding a NUL byte (not text), invalid UTF-8 (with the
  ///   line), a line over ``maxLineBytes``, no sentence at all; or a vocabulary size outside
  ///   5…``Vocabulary/maxSize``, a `maxLength` outside 2…``maxRowLength``.
  public static func read(_ path: String, vocabulary: VocabularyChoice, maxLength: Int) throws -> TextCorpus {
    try checkArguments(vocabulary, maxLength: maxLength, op: "text")
    let bytes = try FileIO.read(path, limit: MemoryLimit.maxElements)
    let sentences = try splitSentences(bytes, path: path)
    guard !sentences.isEmpty else {
      throw DatasetError.malformed(path: path, reason: "holds no sentences (every line is blank)")
    }
    return try TextCorpus(name: fileName(path), sentences: sentences, vocabulary: vocabulary, maxLength: maxLength)
  }

  /// A corpus of `sentences` (each a list of words).
  init(name: String, sentences: [[Substring]], vocabulary choice: VocabularyChoice, maxLength: Int,
       topics: [Int]? = nil, topicNames: [String]? = nil) throws {
    try Self.checkArguments(choice, maxLength: maxLength, op: "text")
    let vocabulary: Vocabulary
    switch choice {
    case .given(let v): vocabulary = v
    case .mostFrequent(let size):
      var counts: [String: Int] = [:], order: [String] = []
      for s in sentences {
        for w in s {
          let key = String(w)
          if counts[key] == nil { order.append(key) }
          counts[key, default: 0] += 1
        }
      }
      vocabulary = Vocabulary(counts: counts, order: order, size: size)
    }
    let n = sentences.count
    guard n <= MemoryLimit.maxElements / maxLength else {
      throw DatasetError.invalidArgument(op: "text", message: "\(n) sentences of \(maxLength) tokens are more than the engine's limit of \(MemoryLimit.maxElements) values")
    }
    var ids = [Float](repeating: Float(Vocabulary.pad), count: n * maxLength)
    var lengths = [Int](repeating: 0, count: n)
    var stats = TextStatistics(sentences: n)
    for (i, s) in sentences.enumerated() {
      let kept = Swift.min(s.count, maxLength - 1)
      if kept < s.count { stats.truncated += 1 }
      for (j, w) in s.prefix(kept).enumerated() {
        let id = vocabulary.id(w)
        if id == Vocabulary.unk { stats.unknown += 1 }
        ids[i * maxLength + j] = Float(id)
      }
      ids[i * maxLength + kept] = Float(Vocabulary.eos)
      lengths[i] = kept + 1
      stats.words += kept
      stats.sourceWords.append(s.count)
    }
    self.name = name
    self.vocabulary = vocabulary
    self.tokens = try Tensor(shape: [n, maxLength], scalars: ids)
    self.lengths = lengths
    self.statistics = stats
    self.topics = topics
    self.topicNames = topicNames
  }

  static func checkArguments(_ choice: VocabularyChoice, maxLength: Int, op: String) throws {
    if case .mostFrequent(let size) = choice, !(Vocabulary.specials.count + 1...Vocabulary.maxSize).contains(size) {
      throw DatasetError.invalidArgument(
        op: op, message: "vocab must be from \(Vocabulary.specials.count + 1) (the 4 special tokens and a word) to \(Vocabulary.maxSize) (ids are exact in Float32 up to 2²⁴), got \(size)")
    }
    guard (2...maxRowLength).contains(maxLength) else {
      throw DatasetError.invalidArgument(op: op, message: "max_len must be from 2 (a word and <eos>) to \(maxRowLength), got \(maxLength)")
    }
  }

  /// The words of each non-blank line of `bytes` (a byte-order mark and `\r\n` endings allowed).
  static func splitSentences(_ bytes: [UInt8], path: String) throws -> [[Substring]] {
    if let nul = bytes.firstIndex(of: 0) {
      throw DatasetError.malformed(path: path, reason: "holds a NUL byte at offset \(nul): not a text file of sentences")
    }
    var body = bytes[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    var sentences: [[Substring]] = []
    var start = body.startIndex, line = 0
    while start < body.endIndex {
      let end = body[start...].firstIndex(of: 10) ?? body.endIndex
      line += 1
      var e = end
      if e > start, body[e - 1] == 13 { e -= 1 }
      guard e - start <= maxLineBytes else {
        throw DatasetError.malformed(
          path: path, reason: "line \(line) is \(e - start) bytes long, more than \(maxLineBytes): the file should hold one sentence per line")
      }
      guard let text = String(validating: body[start..<e], as: UTF8.self) else {
        throw DatasetError.malformed(path: path, reason: "line \(line) is not valid UTF-8")
      }
      let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
      if !words.isEmpty { sentences.append(words) }
      start = end + 1
    }
    return sentences
  }

  static func fileName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }
}

/// What a corpus holds, for its summary.
public struct TextStatistics: Sendable, Equatable {
  public var sentences: Int
  /// Words in the rows (after truncation), `<eos>` not counted.
  public var words = 0
  /// Of those, the ones outside the vocabulary (`<unk>`).
  public var unknown = 0
  /// Sentences longer than a row holds.
  public var truncated = 0
  /// Each sentence's word count in the source, before truncation.
  public var sourceWords: [Int] = []

  public var unknownRate: Double { words > 0 ? Double(unknown) / Double(words) : 0 }
  public var shortest: Int { sourceWords.min() ?? 0 }
  public var longest: Int { sourceWords.max() ?? 0 }
  public var meanLength: Double { sourceWords.isEmpty ? 0 : Double(sourceWords.reduce(0, +)) / Double(sourceWords.count) }
}
