// Sentence corpora: token rows, the vocabulary's order, statistics, the toy grammar's topics, and
// every bad file or argument refused with a message naming the file and the problem.
import Foundation
import Glibc
import Testing
@testable import Datasets

@Suite struct TextCorpusTests {
  @Test func rowsHoldWordsThenEosThenPad() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    // A byte-order mark, a CRLF line, a blank line and runs of spaces and tabs are all allowed.
    let path = try dir.write("\u{feff}the cat sat on the mat\r\nthe dog sat\n\n  a  bird\tflew over the mat \n", "s.txt")
    let c = try TextCorpus.read(path, vocabulary: .mostFrequent(8), maxLength: 5)
    // "the" ×4, then "sat" and "mat" ×2, then the first of the words seen once ("cat").
    #expect(c.vocabulary.words == ["<bos>", "<eos>", "<pad>", "<unk>", "the", "sat", "mat", "cat"])
    #expect(c.tokens.shape == [3, 5])
    #expect(c.tokens.scalars == [4, 7, 5, 3, 1, 4, 3, 5, 1, 2, 3, 3, 3, 3, 1])
    #expect(c.lengths == [5, 4, 5])
    #expect(c.sentences == ["the cat sat <unk>", "the <unk> sat", "<unk> <unk> <unk> <unk>"])
    let s = c.statistics
    #expect(s.sentences == 3 && s.words == 11 && s.unknown == 6 && s.truncated == 2)
    #expect(s.shortest == 3 && s.longest == 6 && abs(s.meanLength - 5) < 1e-12)
    // A test file looks its words up in the training file's vocabulary.
    let test = try dir.write("the mat sat\nzebra\n", "t.txt")
    let t = try TextCorpus.read(test, vocabulary: .given(c.vocabulary), maxLength: 4)
    #expect(t.tokens.scalars == [4, 6, 5, 1, 3, 1, 2, 2])
    #expect(t.vocabulary == c.vocabulary)
  }

  @Test func sentencesSkipSpecialsAndStopAtEos() {
    let v = Vocabulary(words: ["a", "b"])
    #expect(v.sentence([0, 4, 5, 1, 4]) == "a b")
    #expect(v.sentence([4, 2, 2, 5]) == "a b")
    #expect(v.sentence([4, 99, -3]) == "a <?99> <?-3>")
    #expect(Vocabulary(words: ["<eos>", "a", "a"]).words == ["<bos>", "<eos>", "<pad>", "<unk>", "a"])
  }

  @Test func badFilesAndArgumentsAreRefusedByName() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    func message(_ bytes: [UInt8], vocab: Int = 100, maxLength: Int = 10) throws -> String? {
      let p = try dir.write(bytes, "bad.txt")
      return errorMessage { try TextCorpus.read(p, vocabulary: .mostFrequent(vocab), maxLength: maxLength) }
    }
    #expect(try message(Array("a b\nc\u{0}d\n".utf8))?.contains("bad.txt: holds a NUL byte at offset 5: not a text file") == true)
    #expect(try message([])?.contains("bad.txt: holds no sentences") == true)
    #expect(try message(Array(" \n\t\n\n".utf8))?.contains("holds no sentences") == true)
    #expect(try message(Array("ok\n".utf8) + [0x62, 0xC3, 0x28, 10])?.contains("bad.txt: line 2 is not valid UTF-8") == true)
    let long = Array("ok\n".utf8) + [UInt8](repeating: 0x61, count: TextCorpus.maxLineBytes + 1)
    #expect(try message(long)?.contains("bad.txt: line 2 is \(TextCorpus.maxLineBytes + 1) bytes long") == true)
    #expect(try message(Array("a\n".utf8), vocab: 0)?.contains("vocab must be from 5") == true)
    #expect(try message(Array("a\n".utf8), vocab: 1_000_000_000)?.contains("to 16777216 (ids are exact in Float32 up to 2²⁴)") == true)
    #expect(try message(Array("a\n".utf8), maxLength: 0)?.contains("max_len must be from 2") == true)
    #expect(try message(Array("a\n".utf8), maxLength: 1)?.contains("max_len must be from 2") == true)
    #expect(errorMessage { try TextCorpus.read(dir.file("missing.txt"), vocabulary: .mostFrequent(10), maxLength: 5) }?
      .contains("missing.txt") == true)
    #expect(mkfifo(dir.file("fifo"), 0o600) == 0)
    let fifo = errorMessage { try TextCorpus.read(dir.file("fifo"), vocabulary: .mostFrequent(10), maxLength: 5) }
    #expect(fifo?.contains("fifo") == true, "\(fifo ?? "no error")")
    #expect(errorMessage { try TextCorpus.read(dir.path, vocabulary: .mostFrequent(10), maxLength: 5) } != nil)
  }

  @Test func toyTopicsFollowTheirShares() throws {
    let c = try ToyText.corpus("topics", n: 20_000, seed: 3)
    let topics = try #require(c.topics)
    #expect(c.topicNames == ["animals", "weather", "food", "sport"])
    // Each share within 4 standard deviations of its binomial count.
    for (k, share) in ToyText.shares.enumerated() {
      let count = Double(topics.filter { $0 == k }.count), n = 20_000.0
      let sd = (n * share * (1 - share)).squareRoot()
      #expect(abs(count - n * share) < 4 * sd, "topic \(k): \(count) of \(n), expected \(n * share)")
    }
    // Every sentence's topic reads back from its words; the grammar writes no unknown word.
    let sentences = c.sentences
    #expect(zip(sentences, topics).allSatisfy { ToyText.topic(of: $0) == $1 })
    #expect(c.statistics.unknown == 0 && c.statistics.truncated == 0)
    #expect(c.statistics.shortest == 4 && c.statistics.longest == 9)
    #expect(ToyText.topic(of: "the cat eats the soup") == nil)  // one animal word, one food word: a tie
    #expect(ToyText.topic(of: "nothing here") == nil)
    // The same seed gives the same sentences; the vocabulary never depends on n or the seed.
    let again = try ToyText.corpus("topics", n: 50, seed: 3), other = try ToyText.corpus("topics", n: 7, seed: 9)
    #expect(again.sentences == Array(sentences.prefix(50)))
    #expect(again.vocabulary == other.vocabulary && again.vocabulary == c.vocabulary)
    #expect(errorMessage { try ToyText.corpus("nope", n: 5) }?.contains("known: topics") == true)
    #expect(errorMessage { try ToyText.corpus("topics", n: 0) }?.contains("n must be from 1") == true)
  }
}
