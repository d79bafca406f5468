import Engine

/// Toy corpora with known structure, for teaching and tests, as the 8 Gaussians are for points:
/// a model whose prior covers the data's modes generates every topic in its share.
///
/// "topics": sentences from a small probabilistic grammar with four topics — animals, weather,
/// food, sport — drawn with probabilities 0.4, 0.3, 0.2, 0.1. Each topic has its own nouns, verbs
/// and adjectives and its own three sentence templates (chosen uniformly; each slot's word
/// uniformly from the topic's list); function words ("the", "a", "and", …) are shared. Sentences
/// are 4 to 9 words long. Every content word belongs to one topic, so ``topic(of:)`` reads a
/// sentence's topic back from its words.
public enum ToyText {
  public static let names = ["topics"]

  /// One topic: its name, share of the corpus, word lists and templates (`N` noun, `V` verb,
  /// `A` adjective; other words are literal).
  struct Topic {
    let name: String
    let share: Double
    let nouns: [String], verbs: [String], adjectives: [String]
    let templates: [[String]]
  }

  static let topics: [Topic] = [
    Topic(name: "animals", share: 0.4,
          nouns: ["cat", "dog", "bird", "horse", "fox", "rabbit"],
          verbs: ["sleeps", "jumps", "hides", "barks", "sings", "hunts"],
          adjectives: ["small", "quick", "lazy", "brown", "wild"],
          templates: [["the", "A", "N", "V"], ["a", "N", "V", "and", "the", "N", "V"], ["the", "N", "V", "near", "the", "A", "N"]]),
    Topic(name: "weather", share: 0.3,
          nouns: ["rain", "wind", "cloud", "storm", "sun", "snow"],
          verbs: ["falls", "blows", "passes", "clears", "rises", "melts"],
          adjectives: ["cold", "grey", "warm", "heavy", "bright"],
          templates: [["the", "A", "N", "V", "today"], ["N", "and", "N", "V", "over", "the", "hills"], ["a", "A", "N", "V"]]),
    Topic(name: "food", share: 0.2,
          nouns: ["bread", "soup", "apple", "cheese", "rice", "cake"],
          verbs: ["cooks", "bakes", "cools", "tastes", "smells", "burns"],
          adjectives: ["sweet", "fresh", "hot", "salty", "ripe"],
          templates: [["the", "N", "is", "A"], ["she", "V", "the", "A", "N", "with", "a", "A", "N"], ["a", "A", "N", "and", "a", "N"]]),
    Topic(name: "sport", share: 0.1,
          nouns: ["team", "ball", "player", "coach", "goal", "race"],
          verbs: ["wins", "scores", "loses", "trains", "kicks", "cheers"],
          adjectives: ["fast", "strong", "young", "tired", "proud"],
          templates: [["the", "N", "V", "the", "game"], ["our", "A", "N", "V", "again"], ["the", "A", "N", "V", "and", "the", "N", "V"]]),
  ]

  /// The topics' names, in label order.
  public static var topicNames: [String] { topics.map(\.name) }
  /// Each topic's share of the corpus, in label order.
  public static var shares: [Double] { topics.map(\.share) }

  /// Every word the grammar can write, in a fixed order (shared words, then each topic's).
  static let vocabularyWords: [String] = {
    var words: [String] = [], seen = Set<String>()
    func add(_ w: String) { if seen.insert(w).inserted { words.append(w) } }
    for t in topics { for tpl in t.templates { for w in tpl where !["N", "V", "A"].contains(w) { add(w) } } }
    for t in topics { for w in t.nouns + t.verbs + t.adjectives { add(w) } }
    return words
  }()

  /// The topic each content word belongs to.
  static let wordTopic: [String: Int] = {
    var m: [String: Int] = [:]
    for (k, t) in topics.enumerated() { for w in t.nouns + t.verbs + t.adjectives { m[w] = k } }
    return m
  }()

  /// The rows of the toy corpora: the longest sentence (9 words) and `<eos>`, plus room.
  public static let maxLength = 12

  /// `n` sentences of the toy corpus `name`, drawn with `seed` (the same seed, the same sentences);
  /// the vocabulary is the grammar's words, the same for every `n` and `seed`.
  public static func corpus(_ name: String, n: Int, seed: UInt64 = 0) throws -> TextCorpus {
    guard names.contains(name) else { throw DatasetError.unknownToy(name: name, known: names) }
    guard n >= 1, n <= 1 << 24 else {
      throw DatasetError.invalidArgument(op: "toy_text", message: "n must be from 1 to \(1 << 24), got \(n)")
    }
    var rng = RandomGenerator(seed: seed)
    var sentences: [[Substring]] = [], labels: [Int] = []
    sentences.reserveCapacity(n)
    for _ in 0..<n {
      let (k, words) = draw(&rng)
      labels.append(k)
      sentences.append(words.map { Substring($0) })
    }
    return try TextCorpus(name: name, sentences: sentences, vocabulary: .given(Vocabulary(words: vocabularyWords)),
                          maxLength: maxLength, topics: labels, topicNames: topicNames)
  }

  /// One sentence: its topic and words.
  static func draw(_ rng: inout RandomGenerator) -> (Int, [String]) {
    let u = Double(rng.uniform())
    var k = 0, acc = topics[0].share
    while u >= acc && k < topics.count - 1 { k += 1; acc += topics[k].share }
    let t = topics[k]
    let template = t.templates[rng.int(below: t.templates.count)]
    let words = template.map { slot -> String in
      switch slot {
      case "N": return t.nouns[rng.int(below: t.nouns.count)]
      case "V": return t.verbs[rng.int(below: t.verbs.count)]
      case "A": return t.adjectives[rng.int(below: t.adjectives.count)]
      default: return slot
      }
    }
    return (k, words)
  }

  /// The topic of a sentence: the one most of its content words belong to, or nil when it has
  /// none of them or two topics tie.
  public static func topic(of sentence: String) -> Int? {
    var votes = [Int](repeating: 0, count: topics.count)
    for w in sentence.split(separator: " ") { if let k = wordTopic[String(w)] { votes[k] += 1 } }
    guard let best = votes.max(), best > 0, votes.filter({ $0 == best }).count == 1 else { return nil }
    return votes.firstIndex(of: best)
  }
}
