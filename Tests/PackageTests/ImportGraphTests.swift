// The package graph is honest: every target imports only the modules it declares in
// Package.swift, and declares only the package modules it imports. Reads Package.swift and the
// `import` lines of Sources/<Target>/ and Tests/<Target>/ (found from this file's #filePath).
import Foundation
import Testing

/// Modules that come with the toolchain or the system and are never declared.
let systemModules: Set<String> = [
  "Glibc", "Foundation", "FoundationEssentials", "FoundationInternationalization", "FoundationXML",
  "Synchronization", "Dispatch", "_Concurrency", "Testing", "XCTest", "PackageDescription",
]

/// One target of Package.swift: its kind, name and declared dependencies.
struct DeclaredTarget: Equatable {
  var kind: String
  var name: String
  var dependencies: [String]
}

enum PackageGraph {
  /// The package root: three levels above this file (Tests/PackageTests/<file>).
  static let root: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
  }()

  /// The targets declared in `manifest`. Each target is declared on one line, as
  /// `.target(name: "X", dependencies: ["A", "B"], …)`.
  static func targets(in manifest: String) -> [DeclaredTarget] {
    var out: [DeclaredTarget] = []
    let kinds = ["target", "executableTarget", "testTarget", "systemLibrary"]
    for line in manifest.split(separator: "\n").map(String.init) {
      let code = line.trimmingCharacters(in: .whitespaces)
      guard let kind = kinds.first(where: { code.hasPrefix(".\($0)(name: \"") }) else { continue }
      let afterName = code.dropFirst(".\(kind)(name: \"".count)
      guard let close = afterName.firstIndex(of: "\"") else { continue }
      let name = String(afterName[..<close])
      var deps: [String] = []
      if let r = code.range(of: "dependencies: ["), let end = code[r.upperBound...].firstIndex(of: "]") {
        deps = code[r.upperBound..<end].split(separator: ",").map {
          $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }.filter { !$0.isEmpty }
      }
      out.append(DeclaredTarget(kind: kind, name: name, dependencies: deps))
    }
    return out
  }

  /// The modules `source` imports (`import X`, `@testable import X`, `@_exported import X`).
  static func imports(in source: String) -> Set<String> {
    var out: Set<String> = []
    // Import declarations start their line; indented `import …` lines are text in a string
    // (the Python templates of the generated TorchTemplates.swift).
    for line in source.split(separator: "\n") where !(line.first?.isWhitespace ?? true) {
      var words = line.split(separator: " ").map(String.init)
      while let first = words.first, first.hasPrefix("@") { words.removeFirst() }
      guard words.count >= 2, words[0] == "import" else { continue }
      // `import struct Foo.Bar` and `import Foo.Bar` both import Foo.
      let module = ["struct", "class", "enum", "protocol", "func", "var", "typealias"].contains(words[1])
        ? (words.count > 2 ? words[2] : "") : words[1]
      if let m = module.split(separator: ".").first { out.insert(String(m)) }
    }
    return out
  }

  /// The modules the Swift files under `folder` import, by file.
  static func imports(under folder: String) -> [String: Set<String>] {
    let fm = FileManager.default
    guard let e = fm.enumerator(atPath: folder) else { return [:] }
    var out: [String: Set<String>] = [:]
    while let rel = e.nextObject() as? String {
      guard rel.hasSuffix(".swift"), let text = try? String(contentsOfFile: folder + "/" + rel, encoding: .utf8)
      else { continue }
      out[rel] = imports(in: text)
    }
    return out
  }

  /// Every mismatch between what `targets` declare and what their files import.
  static func problems(_ targets: [DeclaredTarget], importsOf: (DeclaredTarget) -> [String: Set<String>]) -> [String] {
    let packageModules = Set(targets.map(\.name))
    var problems: [String] = []
    for t in targets where t.kind != "systemLibrary" {
      let files = importsOf(t)
      let imported = files.values.reduce(into: Set<String>()) { $0.formUnion($1) }
      let declared = Set(t.dependencies)
      for (file, modules) in files.sorted(by: { $0.key < $1.key }) {
        for m in modules.sorted() where !declared.contains(m) && !systemModules.contains(m) {
          problems.append("\(t.name)/\(file) imports \(m), which \(t.name) does not declare")
        }
      }
      // A system library may be linked for its symbols without a Swift import; other modules not.
      for d in declared.sorted() where !imported.contains(d) {
        let isSystemLibrary = targets.first { $0.name == d }?.kind == "systemLibrary"
        if !isSystemLibrary || !packageModules.contains(d) {
          problems.append("\(t.name) declares \(d) but no file imports it")
        }
      }
    }
    return problems
  }
}

@Suite struct ImportGraphTests {
  @Test func everyTargetImportsExactlyWhatItDeclares() throws {
    let manifest = try String(contentsOfFile: PackageGraph.root + "/Package.swift", encoding: .utf8)
    let targets = PackageGraph.targets(in: manifest)
    #expect(targets.contains { $0.name == "Support" } && targets.contains { $0.name == "REPL" },
            "Package.swift not parsed: \(targets.map(\.name))")
    let problems = PackageGraph.problems(targets) { t in
      PackageGraph.imports(under: PackageGraph.root + (t.kind == "testTarget" ? "/Tests/" : "/Sources/") + t.name)
    }
    #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
  }

  /// The language's core (Sources/Lang/Core: lexer, parser, interpreter, values, errors, the
  /// registry) imports none of the libraries its builtins wrap, and names no group of them: the
  /// builtins (Sources/Lang/Library) are registered into it.
  @Test func theLanguageCoreKnowsNoLibrary() throws {
    let folder = PackageGraph.root + "/Sources/Lang/Core"
    let files = PackageGraph.imports(under: folder)
    #expect(files.keys.contains("Interpreter.swift") && files.keys.contains("Parser.swift"))
    for (file, modules) in files {
      let library = modules.intersection(["LatentEBM", "Plot", "Datasets"])
      #expect(library.isEmpty, "Lang/Core/\(file) imports \(library.sorted())")
      let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
      #expect(!text.contains("BuiltinGroup.standard"), "Lang/Core/\(file) names the standard library")
    }
  }

  /// The Jupyter kernel sees the language only through the REPL's backend protocol: it neither
  /// declares nor imports Lang, and no file of it names `LangBackend` (no downcasts).
  @Test func theKernelDoesNotReachIntoTheLanguage() throws {
    let manifest = try String(contentsOfFile: PackageGraph.root + "/Package.swift", encoding: .utf8)
    let kernel = try #require(PackageGraph.targets(in: manifest).first { $0.name == "Kernel" })
    #expect(!kernel.dependencies.contains("Lang"))
    let folder = PackageGraph.root + "/Sources/Kernel"
    let files = PackageGraph.imports(under: folder)
    #expect(!files.isEmpty)
    for (file, modules) in files {
      #expect(!modules.contains("Lang"), "Kernel/\(file) imports Lang")
      let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
      #expect(!text.contains("LangBackend") && !text.contains("Interpreter"), "Kernel/\(file) reaches into the language")
    }
  }

  /// The checker itself finds both kinds of mismatch.
  @Test func theCheckerFindsUndeclaredAndUnusedModules() {
    let targets = PackageGraph.targets(in: """
      .target(name: "Low"),
      .target(name: "Mid", dependencies: ["Low"]),
      .target(name: "Top", dependencies: ["Low", "Mid"], swiftSettings: fast),
      """)
    #expect(targets == [
      DeclaredTarget(kind: "target", name: "Low", dependencies: []),
      DeclaredTarget(kind: "target", name: "Mid", dependencies: ["Low"]),
      DeclaredTarget(kind: "target", name: "Top", dependencies: ["Low", "Mid"]),
    ])
    let files: [String: [String: Set<String>]] = [
      "Low": ["a.swift": PackageGraph.imports(in: "import Glibc\n")],
      "Mid": ["b.swift": PackageGraph.imports(in: "import Low\n@testable import Top\n")],
      "Top": ["c.swift": PackageGraph.imports(in: "import Mid\nlet python = \"\"\"\n    import torch\n    \"\"\"\n")],
    ]
    let problems = PackageGraph.problems(targets) { files[$0.name] ?? [:] }
    #expect(problems == [
      "Mid/b.swift imports Top, which Mid does not declare",
      "Top declares Low but no file imports it",
    ])
  }
}
