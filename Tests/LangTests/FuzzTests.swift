// Fuzzing: thousands of random and mutated inputs through the parser and the interpreter. Each
// must come back as a value or an error; a crash fails the whole test process.
import Foundation
import Support
import Engine
import Testing

@testable import Lang

/// SplitMix64: small, seeded, reproducible.
struct SeededRandom {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func int(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
  mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }
}

enum Fuzz {
  static let vocabulary: [String] = [
    "fn", "if", "else", "for", "in", "while", "break", "continue", "return", "import", "true", "false", "none",
    "and", "or", "not", "(", ")", "[", "]", "{", "}", ",", ":", ".", "..", "..<", "+", "-", "*", "/", "%", "**",
    "@", "=", "+=", "-=", "*=", "/=", "==", "!=", "<", "<=", ">", ">=", "\n", "\n", "x", "y", "f", "xs", "t",
    "0", "1", "2", "-1", "3.5", "1e3", "\"s\"", "\"a{x}b\"", "\"{\"", "#", "zeros", "randn", "grad", "sum",
    "print", "len", "range", "tensor", "reshape", "help", "map", "shape", "item", "$", "!", "\\", "\"",
  ]

  static func tokenSoup(_ r: inout SeededRandom) -> String {
    let n = 1 + r.int(40)
    var parts: [String] = []
    for _ in 0..<n { parts.append(r.pick(vocabulary)) }
    return parts.joined(separator: r.int(4) == 0 ? "" : " ")
  }

  static func mutate(_ source: String, _ r: inout SeededRandom) -> String {
    var chars = Array(source)
    for _ in 0..<(1 + r.int(5)) {
      guard !chars.isEmpty else { break }
      let i = r.int(chars.count)
      switch r.int(6) {
      case 0: chars.removeSubrange(i..<min(chars.count, i + 1 + r.int(8)))  // delete a run
      case 1: chars.insert(contentsOf: Array(r.pick(vocabulary)), at: i)  // insert a token
      case 2: let j = r.int(chars.count); chars.swapAt(i, j)  // swap two characters
      case 3: chars = Array(chars[..<i])  // truncate
      case 4:  // duplicate a slice
        let j = min(chars.count, i + r.int(30))
        chars.insert(contentsOf: chars[i..<j], at: j)
      default: chars[i] = r.pick(Array("(){}[]\"#+-*/:,.=<>!$0123456789xy \n"))
      }
    }
    return String(chars)
  }

  /// Runs `body` with a fresh scratch folder as the working directory (mutated scripts may turn
  /// a path into a relative one), removing the folder afterwards. LangSuite runs one test at a
  /// time, so changing the working directory is safe here.
  static func inScratchFolder<R>(_ body: (String) throws -> R) throws -> R {
    let scratch = try makeTemporaryDirectory(prefix: "lebm-fuzz")
    let previous = FileManager.default.currentDirectoryPath
    defer {
      _ = FileManager.default.changeCurrentDirectoryPath(previous)
      try? removeTree(scratch)
    }
    guard FileManager.default.changeCurrentDirectoryPath(scratch) else {
      throw FileError(path: scratch, problem: "cannot make it the working directory")
    }
    return try body(scratch)
  }

  static let pathological: [String] = [
    String(repeating: "(", count: 10_000),
    String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000),
    String(repeating: "{", count: 10_000),
    "x = " + String(repeating: "-", count: 10_000) + "1",
    "x = " + String(repeating: "not ", count: 10_000) + "true",
    String(repeating: "f(", count: 5_000),
    String(repeating: "if x { ", count: 3_000),
    String(repeating: "\"{", count: 2_000),
    "fn f(x) { f(x) }  f(1)",
    "fn f(x) { f(x) }\nf(1)",
    "fn f(x) { 1 + f(x + 1) }\nf(1)",
    "fn f(x) { [f(x)] }\nf(1)",
    "g = fn(h) { h(h) }\ng(g)",
    "while true { }",
    "for i in 1..1e300 { }",
    "x = []\nwhile true { x = [x] }",
    "s = \"a\"\nwhile true { s = s + s }",
    "xs = 1..1e12",
    "zeros([1e9, 1e9])",
    "t = zeros([2, 2])\nt[0, 0, 0, 0]",
    "grad(fn(v) { grad(fn(w) { sum(w) }, v) }, ones(2))",
    "import \"import_self.lebm\"",
    "x = 1" + String(repeating: " + 1", count: 100_000),
    "a.b.c.d.e = 1",
    "[1, 2][0:0:0]",
    "help(help)",
    // Interpolation that doubles a string, values nested past the limit, and files that are not
    // regular files (the FIFOs are made in the scratch folder the inputs run in).
    "s = \"a\"\nfor i in 1..40 { s = \"{s}{s}\" }",
    "x = []\nfor i in 1..100000 { x = [x] }\nprint(\"built\")",
    "r = {a: 1}\nfor i in 1..1000000 { r = {a: r} }",
    "x = []\ny = []\nfor i in 1..200000 { x = [x]\ny = [y] }\nx == y",
    "x = [1]\nfor i in 1..2000 { x[0] = [x[0]] }",
    "import \"/dev/zero\"", "load(\"/dev/zero\")", "csv(\"/dev/zero\")", "idx(\"/dev/zero\")", "cifar10(\"/dev/zero\")",
    "import \"fifo.lebm\"", "load(\"fifo.safetensors\")", "csv(\"fifo.csv\")", "idx(\"fifo.gz\")", "png_folder(\"pngs\")",
  ]

  /// FIFOs where the inputs above read files: none of them may block.
  static func makeSpecialFiles(in folder: String) {
    for name in ["fifo.lebm", "fifo.safetensors", "fifo.csv", "fifo.gz"] { mkfifo(folder + "/" + name, 0o644) }
    mkdir(folder + "/pngs", 0o755)
    mkfifo(folder + "/pngs/a.png", 0o644)
  }
}

extension LangSuite {
  @Test func fuzzNeverCrashes() throws {
    // LEBM_FUZZ_SEED and LEBM_FUZZ_COUNT explore further; the defaults keep CI reproducible.
    let env = ProcessInfo.processInfo.environment
    var r = SeededRandom(state: env["LEBM_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_201_207)
    let count = env["LEBM_FUZZ_COUNT"].flatMap { Int($0) } ?? 5_000
    let corpus = try Scripts.all().map(\.source)
    var options = Interpreter.Options()
    options.maxSteps = 3_000
    options.maxListLength = 100_000
    let registry = BuiltinRegistry()
    var inputs = Fuzz.pathological
    for i in 0..<count {
      inputs.append(i % 2 == 0 || corpus.isEmpty ? Fuzz.tokenSoup(&r) : Fuzz.mutate(r.pick(corpus), &r))
    }
    var values = 0, errors = 0, incomplete = 0
    let start = Date()
    let trace = env["LEBM_FUZZ_TRACE"] != nil
    try Fuzz.inScratchFolder { scratch in
    Fuzz.makeSpecialFiles(in: scratch)
    for (n, src) in inputs.enumerated() {
      if trace { FileHandle.standardError.write("#\(n): \(src.prefix(200).debugDescription)\n".data(using: .utf8)!) }
      if case .incomplete = Parser.check(src) { incomplete += 1 }
      let interp = Interpreter(options: options, registry: registry, output: { _ in })
      interp.interruptFlag = InterruptFlag()
      interp.basicHost.outputFolder = scratch  // figures and checkpoints the inputs write
      switch interp.run(src, file: "fuzz.lebm") {
      case .value: values += 1
      case .failure(let e):
        errors += 1
        _ = e.rendered(source: src)
      }
    }
    }
    #expect(values + errors == inputs.count)
    #expect(values > 100 && errors > 100, "values \(values), errors \(errors), incomplete \(incomplete)")
    #expect(count > 5_000 || Date().timeIntervalSince(start) < 60)
  }
}

extension LangSuite {
  /// Every builtin called with edge-case arguments (empty tensors, huge or negative numbers, wrong
  /// types): each call must return a value or an error.
  @Test func builtinsSurviveEdgeArguments() throws {
    let edge = [
      "[]", "zeros([0])", "zeros([0, 3])", "zeros([3, 0])", "tensor(0)", "-1", "0", "1e15", "-1e15", "0.5",
      "0/0", "\"s\"", "none", "true", "[[1, 2], [3]]", "fn(x) { x }", "fn() { 1 }", "ones([2, 3])",
      "ones([2, 3, 4])", "[0, -1]", "[1e15]", "{a: 1}", "randn([1, 1])", "tensor([0/0, 1/0])", "print",
    ]
    var r = SeededRandom(state: 7)
    var options = Interpreter.Options()
    options.maxSteps = 2_000
    options.maxListLength = 10_000
    let registry = BuiltinRegistry()
    var calls: [String] = []
    for b in registry.all {
      for _ in 0..<40 {
        let n = r.int(b.params.count + 2)
        var args = (0..<n).map { _ in r.pick(edge) }
        if r.int(3) == 0, let p = b.params.filter({ !$0.variadic }).randomElement(using: &r) {
          args.append("\(p.name): \(r.pick(edge))")
        }
        calls.append("\(b.name)(\(args.joined(separator: ", ")))")
      }
    }
    var values = 0
    try Fuzz.inScratchFolder { scratch in
      for c in calls {
        let interp = Interpreter(options: options, registry: registry, output: { _ in })
        interp.interruptFlag = InterruptFlag()
        interp.basicHost.outputFolder = scratch  // figures and checkpoints the inputs write
        if case .value = interp.run(c) { values += 1 }
      }
    }
    #expect(values > 0)
  }
}

extension SeededRandom: RandomNumberGenerator {}
