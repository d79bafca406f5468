// "Did you mean": the nearest name within a small edit distance, or none.
import Support
import Testing

@Suite struct SuggestionTests {
  @Test func editDistanceCountsTranspositionsAsOne() {
    #expect(editDistance("pritn", "print") == 1)
    #expect(editDistance("", "abc") == 3)
    #expect(editDistance("nope", "norm") == 2)
  }

  @Test func suggestsOnlyCloseNames() {
    let names = ["print", "norm", "next", "str", "sqrt", "train", "train_step"]
    #expect(suggestion(for: "pritn", among: names) == "print")
    #expect(suggestion(for: "nxt", among: names) == "next")
    // Two edits in a four-letter word make another word: no suggestion.
    #expect(suggestion(for: "nope", among: names) == nil)
    // Equally close: the name the typo begins wins over one of the same length.
    #expect(suggestion(for: "sqr", among: names) == "sqrt")
    #expect(suggestion(for: "trian_step", among: names) == "train_step")
    #expect(suggestion(for: "print", among: names) == nil)
  }
}
