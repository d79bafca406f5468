// The `text models` group: a latent EBM over sentences. `text_generator` makes the LSTM generator
// with a categorical likelihood (LatentEBM/TextDecoder.swift) that latent_ebm takes like any
// generator; the rest draw, reconstruct and interpolate sentences and measure a model on text.
import Datasets
import Engine
import LatentEBM

extension BuiltinGroup {
  /// Latent EBMs over sentences: the generator, sentences as strings, the paper's text measures.
  public static var textModels: BuiltinGroup {
    BuiltinGroup(name: "text models", summary: "latent EBMs over sentences: the LSTM generator, sentences drawn, perplexity, active units",
                 builtins: TextModelBuiltins.rows.map { $0.namingMethodErrors() })
  }
}

private enum TextModelBuiltins {
  static let rows: [Builtin] = [
    Builtin("text_generator", params: [Param("latent", .positiveInt), Param("vocab", .any), Param("max_len", .optional(.positiveInt), default: .none),
                                       Param("embed", .positiveInt, default: .number(64)), Param("hidden", .positiveInt, default: .number(128)),
                                       Param("layers", .positiveInt, default: .number(1))],
            doc: """
              A generator over sentences, p_β(x | z) = Π_t softmax(W_o h_t)[x_t]: an LSTM whose initial state is
              h_0 = tanh(W_h z) and whose input at step t is [embedding(x_{t−1}), z] (x_0 = <bos>); its likelihood is
              categorical, −log p_β(x | z) = Σ_t cross_entropy over the tokens up to <eos>. latent_ebm(E, G) then
              has the posterior potential Σ_t cross_entropy + E_α(z) + ‖z‖²/(2σ0²) (σ is unused).
              vocab: a corpus (its words and rows of max_len tokens) or a number of ids (then give max_len).
              """, impl: textGenerator),
    Builtin("generate_text", params: [Param("model", .handle(ModelHandle.self)), Param("n", .positiveInt, default: .number(10)),
                                      Param("temperature", .number, default: .number(1)), Param("greedy", .bool, default: .bool(false))]
              + ModelRows.langevinParams(steps: 60, step: 0.4),
            doc: """
              n sentences (strings): z from the prior chains (N(0, σ0² I) for the Gaussian prior), then each token drawn
              from p_β(x_t | x_{<t}, z) with its logits divided by temperature, or the most likely one (greedy: true).
              """, impl: generateText),
    Builtin("reconstruct_text", params: [Param("model", .handle(ModelHandle.self)), Param("x", .tensor)] + ModelRows.langevinParams(steps: 20, step: 0.1),
            doc: "The sentences g_β(z⁺) (greedy decoding) with z⁺ from posterior Langevin on the rows of token ids x.",
            impl: reconstructText),
    Builtin("interpolate_text", params: [Param("model", .handle(ModelHandle.self)), Param("a", .any), Param("b", .any),
                                         Param("n", .positiveInt, default: .number(5)), Param("chains", .positiveInt, default: .number(4))],
            doc: """
              Sentences along the line between two sentences' codes: z_a and z_b are posterior means (`chains`
              posterior chains each), and each of n points z = (1 − t) z_a + t z_b, t = 0 … 1, is decoded greedily.
              a, b: strings (words of the model's vocabulary) or rows of token ids.
              """, impl: interpolateText),
    Builtin("perplexity", params: [Param("model", .handle(ModelHandle.self)), Param("x", .tensor), Param("steps", .positiveInt, default: .number(200)),
                                   Param("chains", .positiveInt, default: .number(8))],
            doc: """
              Test NLL and perplexity by annealed importance sampling (log_likelihood with `steps` and `chains`):
              nll the mean −log p(x) per sentence (nats, an AIS estimate: a stochastic lower bound on log p(x),
              so nll and ppl are upper bounds in expectation), ppl = exp(Σ −log p(x) / Σ tokens), where a
              sentence's tokens are its words and <eos>. Returns {nll, nll_se, ppl, tokens, sentences}.
              """, impl: perplexity),
    Builtin("active_units", params: [Param("model", .handle(ModelHandle.self)), Param("x", .tensor), Param("threshold", .number, default: .number(0.01)),
                                     Param("chains", .positiveInt, default: .number(4))],
            doc: """
              Active units (Burda et al., 2016): the dimensions d with Cov_x(E_q[z_d | x]) > threshold, the posterior
              mean estimated by averaging `chains` posterior chains per row. Works for any model. Returns
              {count, variances}.
              """, impl: activeUnits),
    Builtin("reverse_perplexity", params: [Param("model", .handle(ModelHandle.self)), Param("test", .tensor), Param("n", .positiveInt, default: .number(2000)),
                                           Param("epochs", .positiveInt, default: .number(10)), Param("hidden", .positiveInt, default: .number(128))],
            doc: """
              Reverse perplexity (Zhao et al., 2018): an LSTM language model (embed 64, `hidden`) trained for
              `epochs` on n sentences the model generates, scored by perplexity on the real sentences `test`.
              Low when the samples cover the data; a model that drops a kind of sentence scores high.
              """, impl: reversePerplexity),
    Builtin("topic_shares", params: [Param("corpus", .handle(TextHandle.self)), Param("sentences", .any)],
            doc: """
              The share of sentences of each topic of the toy grammar (toy_text("topics")), in the corpus's topic
              order, then the share with no single topic. A sentence's topic is the one most of its content words
              belong to (as text_topics), grammatical or not. sentences: a list of strings, or rows of token ids.
              """, impl: topicShares),
  ]

  // MARK: - The generator

  static func textGenerator(_ a: Args) throws -> Value {
    let vocabulary: Vocabulary, length: Int
    switch a["vocab"] {
    case .opaque(let o as TextHandle):
      vocabulary = o.corpus.vocabulary
      length = try a.optionalInt("max_len") ?? o.corpus.maxLength
    case .number:
      let v = try a.int("vocab")
      guard (Vocabulary.specials.count + 1...Vocabulary.maxSize).contains(v) else {
        throw a.fail("'vocab' must be 5…\(Vocabulary.maxSize) ids (the 4 special tokens and a word), got \(v)")
      }
      guard let l = try a.optionalInt("max_len") else { throw a.fail("with a number of ids, give max_len: the tokens in a row") }
      vocabulary = Vocabulary(words: (Vocabulary.specials.count..<v).map { "w\($0)" })
      length = l
    default: throw a.fail("'vocab' must be a corpus (text(...) or toy_text(...)) or a number of ids, got \(shown(a["vocab"]))")
    }
    return .opaque(GeneratorHandle(try Generator(latent: try a.int("latent"), vocabulary: vocabulary, length: length, embed: try a.int("embed"),
                                                 hidden: try a.int("hidden"), layers: try a.int("layers"), using: &a.interpreter.rng)))
  }

  /// The model's text decoder, or the builtin's error.
  static func decoder(_ a: Args, _ m: ModelHandle) throws -> TextDecoder {
    guard let t = m.model.generator.text else {
      throw a.fail("'model' must have a text_generator; this one's generator is \(m.model.generator.summary)")
    }
    return t
  }

  /// Rows of ids as strings, in the decoder's vocabulary.
  static func strings(_ x: Tensor, _ t: TextDecoder) -> Value {
    let w = x.shape.last ?? 1, v = x.scalars
    return .list(stride(from: 0, to: v.count, by: Swift.max(w, 1)).map { s in
      .string(t.vocabulary.sentence(v[s..<(s + w)].map { Int($0) }))
    })
  }

  static func generateText(_ a: Args) throws -> Value {
    let m = try a.model("model"), t = try decoder(a, m)
    let x = try m.model.generateText(try a.int("n"), temperature: try a.positive("temperature"), greedy: try a.bool("greedy"),
                                     config: try a.langevin(.prior), using: &a.interpreter.rng)
    return strings(x, t)
  }

  static func reconstructText(_ a: Args) throws -> Value {
    let m = try a.model("model"), t = try decoder(a, m)
    return strings(try m.model.reconstruct(try a.tensor("x"), config: try a.langevin(.posterior), using: &a.interpreter.rng), t)
  }

  /// A sentence as one row of ids `[1, T]`: a string's words (unknown ones as <unk>), then <eos> and
  /// <pad>; or a row of ids.
  static func row(_ a: Args, _ p: String, _ t: TextDecoder) throws -> Tensor {
    switch a[p] {
    case .string(let s):
      let words = s.split(whereSeparator: { $0 == " " || $0 == "\t" }).prefix(t.length - 1)
      var ids = [Float](repeating: Float(Vocabulary.pad), count: t.length)
      for (i, w) in words.enumerated() { ids[i] = Float(t.vocabulary.id(w)) }
      ids[words.count] = Float(Vocabulary.eos)
      return try Tensor(shape: [1, t.length], scalars: ids)
    case .tensor(let x) where x.count == t.length:
      return try x.reshaped([1, t.length])
    default: throw a.fail("'\(p)' must be a sentence (a string) or one row of \(t.length) token ids, got \(shown(a[p]))")
    }
  }

  static func interpolateText(_ a: Args) throws -> Value {
    let m = try a.model("model"), t = try decoder(a, m), n = try a.int("n")
    guard n >= 2, n <= 1000 else { throw a.fail("'n' must be 2…1000 points, got \(n)") }
    let x = try Tensor.concatenate([try row(a, "a", t), try row(a, "b", t)], axis: 0)
    let mu = try m.model.posteriorMean(x, chains: try a.int("chains"), using: &a.interpreter.rng).scalars
    let d = m.model.latent
    var z = [Float]()
    for k in 0..<n {
      let s = Float(k) / Float(n - 1)
      for j in 0..<d { z.append((1 - s) * mu[j] + s * mu[d + j]) }
    }
    return strings(try t(try Tensor(shape: [n, d], scalars: z)), t)
  }

  // MARK: - Measures

  static func perplexity(_ a: Args) throws -> Value {
    let m = try a.model("model")
    _ = try decoder(a, m)
    let x = try a.tensor("x")
    let e = try m.model.logLikelihood(x, config: AISConfig(steps: try a.int("steps"), chains: try a.int("chains")), using: &a.interpreter.rng)
    let tokens = countedTokens(x)
    return .record(Record([
      ("nll", .number(-e.mean)), ("nll_se", .number(e.meanError)),
      ("ppl", .number(try textPerplexity(logLikelihoods: e.perExample, tokens: tokens))),
      ("tokens", .number(Double(tokens.reduce(0, +)))), ("sentences", .number(Double(tokens.count))),
    ]))
  }

  static func activeUnits(_ a: Args) throws -> Value {
    let m = try a.model("model")
    let r = try m.model.activeUnits(try a.tensor("x"), threshold: try a.float("threshold"), chains: try a.int("chains"), using: &a.interpreter.rng)
    return .record(Record([("count", .number(Double(r.count))), ("variances", .tensor(try Tensor(shape: [r.variances.count], scalars: r.variances)))]))
  }

  static func reversePerplexity(_ a: Args) throws -> Value {
    let m = try a.model("model"), t = try decoder(a, m)
    let test = try a.tensor("test")
    guard test.rank == 2, test.shape[1] == t.length else {
      throw a.fail("'test' must be rows of \(t.length) token ids, got shape \(formatShape(test.shape))")
    }
    let samples = try m.model.generateText(try a.int("n"), using: &a.interpreter.rng)
    let lm = try LanguageModel(vocabulary: t.vocabulary, length: t.length, hidden: try a.int("hidden"), using: &a.interpreter.rng)
    try lm.fit(samples, epochs: try a.int("epochs"), using: &a.interpreter.rng)
    return .number(try lm.perplexity(test))
  }

  static func topicShares(_ a: Args) throws -> Value {
    guard case .opaque(let o as TextHandle) = a["corpus"] else { throw a.fail("'corpus' must be \(TextHandle.phrase)") }
    let c = o.corpus
    guard c.topicNames == ToyText.topicNames else {
      throw a.fail("'corpus' must be toy_text(\"topics\"), whose grammar gives the topics; \(c.name) has none")
    }
    let sentences: [String]
    switch a["sentences"] {
    case .tensor(let x): sentences = c.rows(of: x).map { c.vocabulary.sentence($0) }
    case .list(let l):
      sentences = try l.enumerated().map { i, v in
        guard case .string(let s) = v else { throw a.fail("'sentences' must be strings, but item \(i) is \(shown(v))") }
        return s
      }
    default: throw a.fail("'sentences' must be a list of strings or rows of token ids, got \(shown(a["sentences"]))")
    }
    guard !sentences.isEmpty else { throw a.fail("'sentences' is empty") }
    var counts = [Int](repeating: 0, count: ToyText.topicNames.count + 1)
    for s in sentences { counts[ToyText.topic(of: s) ?? ToyText.topicNames.count] += 1 }
    return .list(counts.map { .number(Double($0) / Double(sentences.count)) })
  }
}
