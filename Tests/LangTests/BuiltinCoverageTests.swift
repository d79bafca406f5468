// Every builtin is documented, has working help, and is exercised by a golden script or a unit test.
import Foundation
import Testing

import Engine
@testable import Lang

extension LangSuite {
  @Test func everyBuiltinHasDocAndHelp() {
    let registry = BuiltinRegistry()
    #expect(registry.all.count >= 60)
    for b in registry.all {
      #expect(!b.doc.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(b.name) has no doc")
      #expect(!b.group.isEmpty, "\(b.name) has no group")
      var out = ""
      let interp = Interpreter(registry: registry, output: { out += $0 })
      interp.interruptFlag = InterruptFlag()
      guard case .value = interp.run("help(\"\(b.name)\")") else {
        Issue.record("help(\"\(b.name)\") failed")
        continue
      }
      #expect(out.hasPrefix(b.signature), "help(\(b.name)) starts with its signature")
      // The summary is the doc's first sentence, which may run over several of the doc's lines.
      let words = { (s: String) in s.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
      #expect(words(out).contains(words(b.summary)), "help(\(b.name)) shows its doc")
    }
    var out = ""
    let interp = Interpreter(registry: registry, output: { out += $0 })
    interp.interruptFlag = InterruptFlag()
    _ = interp.run("help()")
    for g in registry.groups { #expect(out.contains("\(g.name) — \(g.summary)")) }
    for b in registry.all { #expect(out.contains(b.shortSignature) && out.contains(b.summary), "help() lists \(b.name)") }
  }

  @Test func everyEngineOpIsExposed() {
    let registry = BuiltinRegistry()
    for op in Engine.UnaryOp.allCases {
      #expect(registry[op.rawValue]?.doc.contains(op.doc) == true, "unary \(op.rawValue)")
    }
    for op in Engine.BinaryOp.allCases { #expect(registry[op.rawValue] != nil, "binary \(op.rawValue)") }
    for op in Engine.ReduceOp.allCases { #expect(registry[op.rawValue] != nil, "reduction \(op.rawValue)") }
  }

  /// Each builtin must be called somewhere in the golden scripts (as `name(`).
  @Test func everyBuiltinIsUsedByAGoldenScript() throws {
    let text = try Scripts.all().map(\.source).joined(separator: "\n")
    let missing = BuiltinRegistry().all.map(\.name).filter { name in
      !text.contains(name + "(")
    }
    #expect(missing.isEmpty, "builtins without a golden script: \(missing)")
  }
}
