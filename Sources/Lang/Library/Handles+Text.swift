// Text corpora as script values: `text(...)` and `toy_text(...)` return a TextHandle, which prints
// its statistics, gives its token rows as a tensor (d.x, or d itself where a tensor is wanted) and
// turns rows of ids back into sentences.
import Datasets
import Engine

/// A corpus of sentences (``TextCorpus``): `d.x` the `[N, max_len]` token ids, `d.vocab` the words
/// by id, `d.lengths` the tokens each row's loss counts, `d.topics` (the toy corpus) its labels.
final class TextHandle: TypedHandle {
  static let handleName = "text"
  static let phrase = "a corpus made by text(...) or toy_text(...)"
  let corpus: TextCorpus
  init(_ corpus: TextCorpus) { self.corpus = corpus }

  var typeName: String { "text" }
  /// `<text ptb.train.txt: 42068 sentences, 887521 words, vocabulary 10000 (4.8 % unknown), …>`
  var summary: String {
    let s = corpus.statistics
    let unknown = oneDecimal(100 * s.unknownRate)
    var line = "<text \(corpus.name): \(s.sentences) sentences, \(s.words) words, vocabulary \(corpus.vocabulary.count) (\(unknown) % unknown)"
    line += ", \(s.shortest)–\(s.longest) words (mean \(oneDecimal(s.meanLength))), rows of \(corpus.maxLength) tokens"
    if s.truncated > 0 { line += ", \(s.truncated) cut to fit" }
    if let names = corpus.topicNames { line += ", topics " + names.joined(separator: ", ") }
    return line + ">"
  }
  var tensorView: Tensor? { corpus.tokens }

  func field(_ name: String) -> Value? {
    let s = corpus.statistics
    switch name {
    case "x": return .tensor(corpus.tokens)
    case "count": return .number(Double(corpus.count))
    case "max_len": return .number(Double(corpus.maxLength))
    case "vocab": return .list(corpus.vocabulary.words.map { .string($0) })
    case "vocab_size": return .number(Double(corpus.vocabulary.count))
    case "lengths": return .list(corpus.lengths.map { .number(Double($0)) })
    case "words": return .number(Double(s.words))
    case "unknown_rate": return .number(s.unknownRate)
    case "truncated": return .number(Double(s.truncated))
    case "topics": return corpus.topics.map { .list($0.map { .number(Double($0)) }) } ?? Value.none
    case "topic_names": return corpus.topicNames.map { .list($0.map { .string($0) }) } ?? Value.none
    case "name": return .string(corpus.name)
    default: return nil
    }
  }
  var fieldNames: [String] {
    ["x", "count", "max_len", "vocab", "vocab_size", "lengths", "words", "unknown_rate", "truncated", "topics", "topic_names", "name"]
  }
}

/// `x` with one decimal: 4.8, 21.0.
private func oneDecimal(_ x: Double) -> String {
  guard x.isFinite else { return "\(x)" }
  let tenths = Int((x * 10).rounded())
  return "\(tenths / 10).\(abs(tenths % 10))"
}
