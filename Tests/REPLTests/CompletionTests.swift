// Completion words and the line editor's completion.
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
@Suite struct CompletionWordTests {
  @Test func wordsBeforeTheCursor() {
    #expect(CompletionWord.find(in: "x = ener", cursor: 8) == ("ener", 4, .identifier))
    #expect(CompletionWord.find(in: "x = ener + 1", cursor: 8) == ("ener", 4, .identifier))
    #expect(CompletionWord.find(in: "s.lo", cursor: 4) == ("lo", 2, .field(base: "s")))
    #expect(CompletionWord.find(in: "m.opt.l", cursor: 7) == ("l", 6, .field(base: "m.opt")))
    #expect(CompletionWord.find(in: "toy(\"x\", n", cursor: 10) == ("n", 9, .identifier))
    // Strings are the lexer's: `'` opens none; an interpolation or a bad escape inside an open
    // string keeps it open; a closed string with a bad escape is closed.
    #expect(CompletionWord.find(in: "x = 'ene", cursor: 8) == ("ene", 5, .identifier))
    #expect(CompletionWord.find(in: "load(\"a{b}/c", cursor: 12) == ("a{b}/c", 6, .string))
    #expect(CompletionWord.find(in: "load(\"C:\\da", cursor: 11) == ("C:\\da", 6, .string))
    #expect(CompletionWord.find(in: "x = \"a\\q\" + ene", cursor: 15) == ("ene", 12, .identifier))
    #expect(CompletionWord.find(in: "load(\"data/tr", cursor: 13) == ("data/tr", 6, .string))
    #expect(CompletionWord.find(in: "a = \"q\\\"x", cursor: 9) == ("q\\\"x", 5, .string))
    #expect(CompletionWord.find(in: "1.5", cursor: 3) == ("5", 2, .identifier))
    #expect(CompletionWord.find(in: "", cursor: 0) == ("", 0, .identifier))
    #expect(CompletionWord.find(in: "ééé", cursor: 2) == ("éé", 0, .identifier))
  }

  @Test func theCallAroundTheCursorAndItsArguments() {
    func call(_ line: String) -> String? {
      CompletionWord.enclosingCallArguments(in: line, cursor: line.count).map { "\($0.callee) \($0.positional) \($0.keywords)" }
    }
    #expect(call("energy_net(") == "energy_net 0 []")
    #expect(call("train(m, data, epochs: 3, ba") == "train 2 [\"epochs\"]")
    // Commas inside brackets, records, strings and nested calls belong to those.
    #expect(call("f([1, 2], {a: 1, b: 2}, \"x, y\", g(1, 2), ") == "f 4 []")
    #expect(call("f(x, g(1, ") == "g 1 []")
    #expect(call("f(x, g(1, k: 2), ") == "f 2 []")
    #expect(call("f(  k : 1, 2, ") == "f 1 [\"k\"]")
    #expect(call("(1, ") == nil && call("x = 1") == nil && call("f(1)") == nil)
  }
}
}

extension REPLSuites {
@Suite struct EditLineCompletionTests {
  @Test func candidatesAreMappedOntoLibeditsWord() {
    // libedit's word is longer ("s.lo": '.' does not break words): keep its head.
    #expect(EditLineState.replacements(
      for: ["loss_e", "loss_g"], line: "s.lo", cursor: 4, libeditWord: "s.lo") == ["s.loss_e", "s.loss_g"])
    // Same word.
    #expect(EditLineState.replacements(
      for: ["energy", "energy_net"], line: "x = ene", cursor: 7, libeditWord: "ene") == ["energy", "energy_net"])
    // libedit's word is shorter (a space inside a string breaks it): drop our extra head.
    #expect(EditLineState.replacements(
      for: ["my data/a.csv", "other.csv"], line: "load(\"my da", cursor: 11, libeditWord: "da") == ["data/a.csv"])
    #expect(EditLineState.replacements(for: [], line: "zz", cursor: 2, libeditWord: "zz") == [])
  }
}
}
