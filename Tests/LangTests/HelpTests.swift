// Help by topic, on variables, first sentences for the index and prose wrapped at a width.
import Engine
import Testing

@testable import Lang

extension LangSuite {
  @Test func topicsListTheirGroup() throws {
    let interp = Interpreter(output: { _ in })
    interp.interruptFlag = InterruptFlag()
    for (topic, group) in [("plot", "plot"), ("plots", "plot"), ("data", "data"), ("model", "model"), ("tensor", "tensor"), ("core", "core")] {
      let text = try #require(interp.help(for: topic), "help(\"\(topic)\")")
      let g = try #require(interp.registry.groups.first { $0.name == group })
      #expect(text.contains("\(g.name) — \(g.summary)\n"), "\(topic)")
      for b in g.builtins where interp.registry[b.name] === b {
        #expect(text.contains("  " + b.shortSignature), "help(\"\(topic)\") lists \(b.name)")
      }
    }
    // `tensor` is a builtin and a topic: the builtin first, then its group.
    let tensor = try #require(interp.help(for: "tensor"))
    #expect(tensor.hasPrefix("tensor(data)    [tensor]\n"))
    #expect(interp.help(for: "nothing_here") == nil)
  }

  @Test func summariesAreWholeSentences() throws {
    let r = BuiltinRegistry()
    for b in r.all {
      let s = b.summary
      #expect(!s.isEmpty, "\(b.name) has a summary")
      // A first sentence ends with its full stop (or the paragraph ends at a colon, a list follows).
      #expect(s.hasSuffix(".") || s.hasSuffix(":") || s.hasSuffix(")") || s.hasSuffix(";"), "\(b.name): \(s)")
    }
    #expect(try #require(r["chain_noise"]).summary.hasSuffix("n successive draws of the script's generator."))
    #expect(try #require(r["latent_ebm"]).summary.hasPrefix("A latent space EBM prior model (Pang et al., 2020)"))
  }

  @Test func helpWrapsProseAtTheWidthWithoutLosingWords() throws {
    let interp = Interpreter(output: { _ in })
    interp.interruptFlag = InterruptFlag()
    let plain = try #require(interp.help(for: "conv_generator"))
    interp.basicHost.textWidth = 50
    let wrapped = try #require(interp.help(for: "conv_generator"))
    let words = { (s: String) in s.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) }
    #expect(words(wrapped) == words(plain), "the same words in the same order")
    for line in wrapped.split(separator: "\n") {
      // Longer only when one word is longer than the line.
      #expect(line.count <= 50 || !line.dropFirst(2).contains(" "), "line too long: \(line)")
    }
    #expect(wrapped.split(separator: "\n").count > plain.split(separator: "\n").count)
    #expect(wrapProse("a bb ccc", width: 4, indent: "", hanging: "  ") == "a bb\n  ccc")
    #expect(wrapProse("a bb ccc", width: nil, indent: "> ", hanging: "") == "> a bb ccc")
  }
}
