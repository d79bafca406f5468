// The `corpora` group: sentence corpora from files (`text`) and the toy grammar (`toy_text`), and
// token rows turned back into sentences. The corpora are TextHandle values (Handles+Text.swift).
import Datasets
import Engine

extension BuiltinGroup {
  /// Corpora: sentences as token rows (named so that help("text") finds the builtin `text`).
  public static var corpora: BuiltinGroup {
    BuiltinGroup(name: "corpora", summary: "sentence corpora as token rows", builtins: TextBuiltins.rows)
  }
}

private enum TextBuiltins {
  static let rows: [Builtin] = [
    Builtin("text", params: [Param("path", .string), Param("vocab", .any, default: .number(10000)),
                             Param("max_len", .optional(.positiveInt), default: .none)],
            doc: """
              A file of one sentence per line (words separated by spaces) as rows of token ids [N, max_len]:
              each sentence's words, <eos>, then <pad>; a sentence longer than max_len − 1 words keeps its first
              max_len − 1. Ids: 0 <bos>, 1 <eos>, 2 <pad>, 3 <unk>, then the words. vocab: a number (the 4 special
              tokens and the most frequent words of this file, at most 2^24) or another corpus, whose vocabulary
              this one uses (a test file with the training file's words: text(test_path, vocab: train)).
              max_len: the tokens in a row, 40 by default, or the other corpus's when vocab is one (so a model
              of that corpus takes these rows).
              The value prints its statistics; d.x the rows, d.vocab the words by id, d.lengths the tokens each
              row's loss counts; sentences(d, x) turns rows back into strings.
              """, impl: text),
    Builtin("toy_text", params: [Param("name", .string, default: .string("topics")), Param("n", .positiveInt, default: .number(5000)),
                                 Param("seed", .optional(.nonNegativeInt), default: .none)],
            doc: """
              A toy corpus with known structure, drawn with a seed. "topics": sentences of 4–9 words from a small
              grammar with four topics (animals, weather, food, sport; shares 0.4, 0.3, 0.2, 0.1), each with its own
              words and three templates; d.topics labels each sentence, text_topics(d, s) reads the topic of any
              sentence back from its words. Rows of 12 tokens; the vocabulary is the grammar's words.
              """, impl: toyText),
    Builtin("sentences", params: [Param("corpus", .handle(TextHandle.self)), Param("x", .optional(.tensor), default: .none)],
            doc: """
              The sentences of rows of token ids x ([N, T] or one row [T]; the corpus's own rows when none), in the
              corpus's vocabulary: words joined by spaces up to the first <eos>, <bos> and <pad> left out.
              """, impl: sentences),
    Builtin("text_topics", params: [Param("corpus", .handle(TextHandle.self)), Param("sentences", .any)],
            doc: """
              The toy grammar's topic of each sentence (a string or a list of strings): the topic most of its content
              words belong to, or −1 when it has none or two topics tie. The corpus must be toy_text("topics").
              """, impl: textTopics),
  ]

  static func text(_ a: Args) throws -> Value {
    let choice: TextCorpus.VocabularyChoice, length: Int
    switch a["vocab"] {
    case .number:
      choice = .mostFrequent(try a.int("vocab"))
      length = try a.optionalInt("max_len") ?? 40
    case .opaque(let o as TextHandle):
      choice = .given(o.corpus.vocabulary)
      length = try a.optionalInt("max_len") ?? o.corpus.maxLength
    default: throw a.fail("'vocab' must be a number of words or a corpus whose vocabulary to use, got \(shown(a["vocab"]))")
    }
    return .opaque(TextHandle(try TextCorpus.read(try a.string("path"), vocabulary: choice, maxLength: length)))
  }

  static func toyText(_ a: Args) throws -> Value {
    .opaque(TextHandle(try ToyText.corpus(try a.string("name"), n: try a.int("n"), seed: try a.seedValue("seed"))))
  }

  static func corpus(_ a: Args) throws -> TextCorpus {
    guard case .opaque(let o as TextHandle) = a["corpus"] else { throw a.fail("'corpus' must be \(TextHandle.phrase)") }
    return o.corpus
  }

  static func sentences(_ a: Args) throws -> Value {
    let c = try corpus(a)
    let x = a.isNone("x") ? c.tokens : try a.tensor("x")
    guard x.rank == 1 || x.rank == 2 else {
      throw a.fail("'x' must be rows of token ids [N, T] or one row [T], got shape \(formatShape(x.shape))")
    }
    let rows = c.rows(of: x).map { c.vocabulary.sentence($0) }
    return x.rank == 1 ? .string(rows.first ?? "") : .list(rows.map { .string($0) })
  }

  static func textTopics(_ a: Args) throws -> Value {
    let c = try corpus(a)
    guard c.topicNames == ToyText.topicNames else {
      throw a.fail("'corpus' must be toy_text(\"topics\"), whose grammar gives the topics; \(c.name) has none")
    }
    func topic(_ s: String) -> Value { .number(Double(ToyText.topic(of: s) ?? -1)) }
    switch a["sentences"] {
    case .string(let s): return topic(s)
    case .list(let l):
      return .list(try l.enumerated().map { i, v in
        guard case .string(let s) = v else { throw a.fail("'sentences' must be strings, but item \(i) is \(shown(v))") }
        return topic(s)
      })
    default: throw a.fail("'sentences' must be a string or a list of strings, got \(shown(a["sentences"]))")
    }
  }
}
