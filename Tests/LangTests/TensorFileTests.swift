// save_tensors, load_tensors, write_csv and load_weights on their own (no Python): hostile
// safetensors files give errors that say what is wrong, never a trap; load_weights lists every
// mismatch and leaves the model as it was; the writers refuse what they cannot write.
import Engine
import Foundation
import Glibc
import Lang
import Support
import XCTest

final class TensorFileTests: XCTestCase {
  var dir = ""

  override func setUpWithError() throws { dir = try PythonTest.scratch() }
  override func tearDown() { try? removeTree(dir) }

  /// The error `load_tensors(path)` gives.
  func loadError(_ path: String) -> String? { PythonTest.lebmError("load_tensors(\"\(path)\")", in: dir) }

  /// A crafted file under the scratch folder, and the error loading it gives.
  func crafted(_ header: String, data: [UInt8] = [], declared: UInt64? = nil) throws -> String? {
    let path = dir + "/crafted.safetensors"
    try PythonTest.craft(path, header: header, data: data, declared: declared)
    return loadError(path)
  }

  func assertError(_ message: String?, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let message else { return XCTFail("expected an error containing '\(text)', but it loaded", file: file, line: line) }
    XCTAssertTrue(message.contains(text), "'\(message)' does not contain '\(text)'", file: file, line: line)
    XCTAssertTrue(message.hasPrefix("load_tensors: ") || message.hasPrefix("load_weights: "), message, file: file, line: line)
  }

  func f32(_ values: [Float]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } } }

  // MARK: - Hostile files

  func testTruncatedAndShortFiles() throws {
    PythonTest.runLebm(#"save_tensors({a: randn([4, 4]), b: ones(3)}, "good.safetensors")"#, in: dir)
    let good = try Data(contentsOf: URL(fileURLWithPath: dir + "/good.safetensors"))
    try good.dropLast(3).write(to: URL(fileURLWithPath: dir + "/cut.safetensors"))
    assertError(loadError(dir + "/cut.safetensors"), contains: "truncated: the tensors need 76 bytes of data but the file has 73")
    try Data(good.prefix(5)).write(to: URL(fileURLWithPath: dir + "/five.safetensors"))
    assertError(loadError(dir + "/five.safetensors"), contains: "not a safetensors file: only 5 bytes")
    try Data(good.prefix(40)).write(to: URL(fileURLWithPath: dir + "/header-cut.safetensors"))
    assertError(loadError(dir + "/header-cut.safetensors"), contains: "truncated or corrupt: the header claims")
    try Data().write(to: URL(fileURLWithPath: dir + "/empty.safetensors"))
    assertError(loadError(dir + "/empty.safetensors"), contains: "only 0 bytes")
  }

  func testHugeHeaderLengths() throws {
    let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
    for declared: UInt64 in [UInt64.max, 1 << 63, 1 << 40, 200_000_000] {
      assertError(try crafted(header, data: f32([1]), declared: declared), contains: "the header claims \(declared) bytes")
    }
  }

  func testBadJSONAndBadEntries() throws {
    assertError(try crafted("{not json"), contains: "corrupt header: not valid safetensors JSON")
    assertError(try crafted(#"{"a":{"dtype":"F32","shape":[NaN],"data_offsets":[0,4]}}"#, data: f32([1])), contains: "corrupt header")
    assertError(try crafted(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,1e400]}}"#, data: f32([1])), contains: "corrupt header")
    assertError(try crafted(#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: f32([1])), contains: "corrupt header")
    assertError(try crafted(#"{"__metadata__":{"n":1}}"#), contains: "corrupt header")
    assertError(try crafted(#"{"a":{"note":"text"}}"#), contains: "'a' is not a tensor")
    assertError(try crafted(#"[1, 2]"#), contains: "corrupt header")
  }

  func testOffsetsAndShapesThatDoNotFit() throws {
    func one(_ entry: String, _ data: [UInt8]) throws -> String? { try crafted(#"{"a":"# + entry + "}", data: data) }
    assertError(try one(#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, f32([1])),
                contains: "truncated: the tensors need 8 bytes of data but the file has 4")
    assertError(try one(#"{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#, f32([1, 2])),
                contains: "tensor 'a': shape [3] of F32 does not match its byte range [0, 8]")
    assertError(try one(#"{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}"#, f32([1])), contains: "does not match its byte range")
    assertError(try one(#"{"dtype":"F32","shape":[1],"data_offsets":[8,4]}"#, f32([1])), contains: "does not match its byte range")
    assertError(try one(#"{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}"#, f32([1])), contains: "does not match its byte range")
    assertError(try one(#"{"dtype":"F32","shape":[1],"data_offsets":[0]}"#, f32([1])), contains: "does not match its byte range")
    // Sizes whose product overflows, even with a zero among them, are refused before anything is made.
    assertError(try one(#"{"dtype":"F32","shape":[4611686018427387904,4611686018427387904,0],"data_offsets":[0,0]}"#, []),
                contains: "does not match its byte range")
    assertError(try one(#"{"dtype":"F32","shape":[1],"data_offsets":[4,8]}"#, f32([1, 2])), contains: "a gap of 4 bytes before tensor 'a'")
    assertError(try one(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#, f32([1, 2])),
                contains: "the tensors cover 4 bytes of data but the file has 8")
    assertError(try crafted(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                            data: f32([1, 2, 3])), contains: "tensor 'b' overlaps the tensor before it")
  }

  func testDTypes() throws {
    assertError(try crafted(#"{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
                contains: "tensor 'n' has dtype I64; lebm reads F32, F16, BF16 and F64")
    assertError(try crafted(#"{"n":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, data: [0]), contains: "has dtype F8_E4M3")
    let big = withUnsafeBytes(of: (1e300 as Double).bitPattern.littleEndian) { Array($0) }
    assertError(try crafted(#"{"d":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, data: big),
                contains: "tensor 'd' holds F64 values beyond Float32's range")
    // F64 infinities and NaN are values, kept as they are; F16 and BF16 bits convert exactly.
    let special = [Double.infinity, -.infinity, .nan, 0.1].flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    let halves: [UInt8] = [0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c]  // F16 1, −2, the smallest subnormal, +inf
    let brains: [UInt8] = [0x80, 0x3f, 0xc9, 0x40]                          // BF16 1, 6.28125
    try PythonTest.craft(dir + "/mixed.safetensors", header: #"""
      {"d":{"dtype":"F64","shape":[4],"data_offsets":[0,32]},"h":{"dtype":"F16","shape":[4],"data_offsets":[32,40]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[40,44]}}
      """#, data: special + halves + brains)
    let interp = PythonTest.runLebm(#"r = load_tensors("{dir}/mixed.safetensors")"#, in: dir)
    let d = try XCTUnwrap(PythonTest.tensor(interp, "r", "d")).scalars
    XCTAssertEqual(d[0], .infinity); XCTAssertEqual(d[1], -.infinity); XCTAssertTrue(d[2].isNaN); XCTAssertEqual(d[3], Float(0.1))
    XCTAssertEqual(try XCTUnwrap(PythonTest.tensor(interp, "r", "h")).scalars, [1, -2, 0x1p-24, .infinity])
    XCTAssertEqual(try XCTUnwrap(PythonTest.tensor(interp, "r", "b")).scalars, [1, 6.28125])
  }

  func testFilesThatAreNotRegular() throws {
    let fifo = dir + "/pipe.safetensors"
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    assertError(loadError(fifo), contains: "FIFO")
    assertError(loadError(dir), contains: "is a folder, not a file")
    assertError(loadError(dir + "/missing.safetensors"), contains: "cannot open: No such file or directory")
  }

  // MARK: - load_weights

  func testLoadWeightsListsEveryMismatchAndChangesNothing() throws {
    let setup = """
      seed(3)
      E = energy_net(2, hidden: [4])
      z = randn([6, 2])
      before = E(z)
      save_tensors({"0.weight": ones([4, 2]), "0.bias": zeros(4), "2.weight": ones([1, 4]), "2.bias": zeros(1)}, "good.safetensors")
      save_tensors({"0.weight": ones([4, 2]), "0.bias": zeros(4), "2.weight": ones([1, 4])}, "missing.safetensors")
      save_tensors({"0.weight": ones([4, 2]), "0.bias": zeros(4), "2.weight": ones([1, 4]), "2.bias": zeros(1), "4.weight": ones(1)}, "extra.safetensors")
      save_tensors({"0.weight": ones([3, 2]), "0.bias": zeros(3), "2.weight": ones([1, 3]), "2.bias": zeros(1)}, "shapes.safetensors")
      save_tensors({"0.weight": ones([4, 2]) / 0, "0.bias": zeros(4), "2.weight": ones([1, 4]), "2.bias": zeros(1)}, "nan.safetensors")
      """
    PythonTest.runLebm(setup, in: dir)
    let cases: [(String, String)] = [
      ("missing", "missing '2.bias' (the file holds '0.weight', '0.bias', '2.weight')"),
      ("extra", "not in the model '4.weight'"),
      ("shapes", "shapes differ: '0.weight' is [3, 2], lebm needs [4, 2]; '0.bias' is [3], lebm needs [4]; '2.weight' is [1, 3], lebm needs [1, 4]"),
      ("nan", "non-finite values in '0.weight'"),
    ]
    for (name, text) in cases {
      let source = setup + "\nload_weights(E, \"{dir}/\(name).safetensors\")"
      assertError(PythonTest.lebmError(source, in: dir), contains: text)
    }
    // A failed load leaves every parameter as it was: energies before and after are the same bits.
    let interp = Interpreter(output: { _ in })
    interp.interruptFlag = InterruptFlag()
    interp[variable: "dir"] = .string(dir)
    interp.basicHost.outputFolder = dir
    guard case .value = interp.run(setup) else { return XCTFail("setup failed") }
    for name in ["missing", "extra", "shapes", "nan"] {
      guard case .failure = interp.run("load_weights(E, \"{dir}/\(name).safetensors\")") else { return XCTFail("\(name) loaded") }
    }
    guard case .value = interp.run("after = E(z)") else { return XCTFail("E(z) failed") }
    XCTAssertEqual(PythonTest.tensor(interp, "before")?.scalars, PythonTest.tensor(interp, "after")?.scalars)
    // The good file loads, and changes the energies.
    guard case .value = interp.run("n = load_weights(E, \"{dir}/good.safetensors\")\nloaded = E(z)") else { return XCTFail("good failed") }
    XCTAssertEqual(interp[variable: "n"], .number(4))
    XCTAssertNotEqual(PythonTest.tensor(interp, "before")?.scalars, PythonTest.tensor(interp, "loaded")?.scalars)
  }

  func testLoadWeightsTargetsAndDTypes() throws {
    assertError(PythonTest.lebmError(#"load_weights(3, "x.safetensors")"#, in: dir),
                contains: "'model' must be a model made by latent_ebm(...), an energy net or a generator, got 3")
    try PythonTest.craft(dir + "/ints.safetensors", header: #"{"0.weight":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, data: [1, 0, 0, 0])
    assertError(PythonTest.lebmError(#"load_weights(generator(2, hidden: [3], out: 2), "{dir}/ints.safetensors")"#, in: dir),
                contains: "tensor '0.weight' has dtype I32")
    // A Gaussian-prior model has only generator weights.
    let interp = PythonTest.runLebm("""
      G = generator(2, hidden: [3], out: 2)
      m = latent_ebm(none, G)
      save(m, "g.safetensors")
      m2 = latent_ebm(none, generator(2, hidden: [3], out: 2))
      w = load_tensors("{dir}/g.safetensors")
      save_tensors({"generator.0.weight": w["generator.0.weight"], "generator.0.bias": w["generator.0.bias"],
                    "generator.2.weight": w["generator.2.weight"], "generator.2.bias": w["generator.2.bias"]}, "gw.safetensors")
      n = load_weights(m2, "{dir}/gw.safetensors")
      z = randn([3, 2])
      d = sum(abs(m2.generator(z) - G(z)))
      """, in: dir)
    XCTAssertEqual(interp[variable: "n"], .number(4))
    XCTAssertEqual(PythonTest.tensor(interp, "d")?.scalars, [0])
  }

  // MARK: - Writers

  func testWritersRefuseWhatTheyCannotWrite() throws {
    let cases: [(String, String)] = [
      (#"save_tensors({a: "text"}, "x.safetensors")"#, "save_tensors: 'a' must be a tensor, got string \"text\""),
      (#"save_tensors({a: zeros(1)}, "x.safetensors", metadata: {n: 1})"#, "save_tensors: metadata 'n' must be a string, got 1"),
      (#"save_tensors({__metadata__: zeros(1)}, "x.safetensors")"#, "'__metadata__' cannot name a tensor"),
      (#"save_tensors({a: zeros(1)}, "/proc/lebm-no/x.safetensors")"#, "save_tensors: /proc/lebm-no/x.safetensors: "),
      (#"write_csv(zeros([2, 2, 2]), "x.csv")"#, "write_csv: the tensor must be 1-D or 2-D, got shape [2, 2, 2]"),
      (#"write_csv(zeros([2, 2]), "x.csv", header: ["a", 1])"#, "write_csv: 'header' must be a list of strings, got 1 in it"),
      (#"write_csv(zeros(3), "x.csv", header: ["a", "b"])"#, "write_csv: the header names 2 columns but the tensor has 1"),
    ]
    for (source, text) in cases {
      let message = PythonTest.lebmError(source, in: dir)
      XCTAssertTrue(message?.contains(text) == true, "\(source): got \(message ?? "no error")")
    }
  }

  /// Every writer refuses a FIFO at its target (a plot to one used to block forever) and leaves
  /// it a FIFO.
  func testWritersRefuseFIFOs() throws {
    let fifo = "is a FIFO (named pipe), not a regular file; lebm writes only regular files"
    let cases: [(String, String)] = [
      (#"save_tensors({a: zeros(1)}, "f.safetensors")"#, "f.safetensors"),
      (#"save(latent_ebm(energy_net(2, hidden: [4]), generator(2, hidden: [4], out: 2)), "f.ckpt")"#, "f.ckpt"),
      (#"write_csv(zeros([2, 2]), "f.csv")"#, "f.csv"),
      (#"plot_scatter(randn([5, 2]), "f.png")"#, "f.png"),
      (#"plot_scatter(randn([5, 2]), "f.svg")"#, "f.svg"),
      (#"plot_scatter(randn([5, 2]), "f.pdf")"#, "f.pdf"),
    ]
    for (source, name) in cases {
      XCTAssertEqual(mkfifo(dir + "/" + name, 0o600), 0)
      let message = PythonTest.lebmError(source, in: dir)
      XCTAssertTrue(message?.contains(fifo) == true, "\(source): got \(message ?? "no error")")
      var st = stat()
      XCTAssertTrue(lstat(dir + "/" + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO, name)
    }
  }

  /// Labels that are all 255 make 256 classes; the line lists the classes that occur.
  func testLabelCountsShowTheClassesThatOccur() throws {
    func bigEndian(_ values: [UInt32]) -> [UInt8] { values.flatMap { v in (0..<4).reversed().map { UInt8((v >> (8 * UInt32($0))) & 0xff) } } }
    try writeFile(dir + "/img.idx", bigEndian([0x803, 4, 2, 2]) + [UInt8](repeating: 0, count: 16))
    try writeFile(dir + "/lab.idx", bigEndian([0x801, 4]) + [255, 255, 255, 255])
    try writeFile(dir + "/two.idx", bigEndian([0x801, 4]) + [0, 1, 1, 0])
    var out = ""
    let interp = Interpreter(output: { out += $0 })
    interp.interruptFlag = InterruptFlag()
    _ = interp.run("print(idx(\"\(dir)/img.idx\", \"\(dir)/lab.idx\"))\nprint(idx(\"\(dir)/img.idx\", \"\(dir)/two.idx\"))")
    XCTAssertTrue(out.contains("  labels: 256 classes, 1 occurring: 255 ×4\n"), out)
    XCTAssertTrue(out.contains("  labels: 2 classes: 0 ×2, 1 ×2"), out)
  }

  func testCSVText() throws {
    PythonTest.runLebm(#"write_csv(tensor([[1, 0.1], [-2.5, 1e-5], [0/0, 1/0]]), "t.csv", header: ["a", "b, \"c\""])"#, in: dir)
    XCTAssertEqual(try String(contentsOfFile: dir + "/t.csv", encoding: .utf8), "a,\"b, \"\"c\"\"\"\n1,0.1\n-2.5,1e-05\nnan,inf\n")
  }
}
