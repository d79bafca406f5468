// Helpers for the tests that check lebm against NumPy and PyTorch: the Python named by
// LEBM_TEST_PYTHON (the test skips, saying why, when it is unset or lacks a module), scripts run
// in a scratch folder, and safetensors files crafted byte by byte.
import Engine
import Foundation
import Lang
import Support
import XCTest

enum PythonTest {
  /// The interpreter from LEBM_TEST_PYTHON after checking it imports `modules`; skips otherwise.
  static func python(_ modules: [String]) throws -> String {
    guard let py = ProcessInfo.processInfo.environment["LEBM_TEST_PYTHON"], !py.isEmpty else {
      throw XCTSkip("LEBM_TEST_PYTHON is not set (Tools/test-venv.sh makes a Python with \(modules.joined(separator: ", ")))")
    }
    let (status, _, err) = try run(py, ["-c", "import " + modules.joined(separator: ", ")])
    guard status == 0 else {
      throw XCTSkip("\(py) cannot import \(modules.joined(separator: ", ")): \(err.split(separator: "\n").last ?? "")")
    }
    return py
  }

  /// Runs a program; its exit status, standard output and standard error.
  static func run(_ program: String, _ arguments: [String], in folder: String? = nil) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = arguments
    if let folder { p.currentDirectoryURL = URL(fileURLWithPath: folder) }
    var env = ProcessInfo.processInfo.environment
    env["OMP_NUM_THREADS"] = "1"
    p.environment = env
    // Standard error goes to a file, so a chatty program cannot fill a second pipe and block.
    let errPath = NSTemporaryDirectory() + "lebm-test-stderr-\(UInt32.random(in: 0...UInt32.max))"
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    let out = Pipe(), err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    try? err.close()
    let errData = FileManager.default.contents(atPath: errPath) ?? Data()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
  }

  /// Runs Python `code` (written to a file in `folder`) with `arguments`; its standard output.
  /// A non-zero exit fails the test with Python's error.
  static func runPython(_ py: String, _ code: String, _ arguments: [String] = [], in folder: String,
                        file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let script = folder + "/test_\(UInt32.random(in: 0...UInt32.max)).py"
    try code.write(toFile: script, atomically: true, encoding: .utf8)
    let (status, out, err) = try run(py, [script] + arguments, in: folder)
    if status != 0 { XCTFail("python exited with \(status):\n\(err)", file: file, line: line) }
    return out
  }

  /// Runs lebm `source` with `dir` bound to `folder`; the interpreter, or a test failure.
  @discardableResult
  static func runLebm(_ source: String, in folder: String, file: StaticString = #filePath, line: UInt = #line) -> Interpreter {
    let interp = Interpreter(output: { _ in })
    interp.interruptFlag = InterruptFlag()
    interp[variable: "dir"] = .string(folder)
    interp.basicHost.outputFolder = folder
    if case .failure(let e) = interp.run(source) { XCTFail("lebm failed: \(e.rendered())", file: file, line: line) }
    return interp
  }

  /// The message of the error lebm `source` stops with (nil when it runs to the end).
  static func lebmError(_ source: String, in folder: String) -> String? {
    let interp = Interpreter(output: { _ in })
    interp.interruptFlag = InterruptFlag()
    interp[variable: "dir"] = .string(folder)
    interp.basicHost.outputFolder = folder
    if case .failure(let e) = interp.run(source) { return e.message }
    return nil
  }

  /// The tensor a script left in `name`, or in field `field` of the record `name`.
  static func tensor(_ interp: Interpreter, _ name: String, _ field: String? = nil) -> Tensor? {
    var v = interp[variable: name]
    if let field, case .record(let r)? = v { v = r[field] }
    if case .tensor(let t)? = v { return t }
    return nil
  }

  /// The largest |a − b|, or infinity when the shapes differ.
  static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    guard a.shape == b.shape else { return .infinity }
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
  }

  /// A fresh scratch folder (removed by the caller's `defer`).
  static func scratch() throws -> String { try makeTemporaryDirectory(prefix: "lebm-interop") }

  /// The fenced ```python block after `<!-- snippet: NAME -->` in docs/pytorch.md, so the
  /// tests run the documentation's code as written.
  static func snippet(_ name: String) throws -> String {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    let doc = try String(contentsOfFile: url.path + "/docs/pytorch.md", encoding: .utf8)
    guard let marker = doc.range(of: "<!-- snippet: \(name) -->"),
          let open = doc.range(of: "```python\n", range: marker.upperBound..<doc.endIndex),
          let close = doc.range(of: "\n```", range: open.upperBound..<doc.endIndex) else {
      throw SnippetMissing(name: name)  // a failure, not a skip: the doc and the test must not drift apart
    }
    return String(doc[open.upperBound..<close.lowerBound]) + "\n"
  }

  struct SnippetMissing: Error, CustomStringConvertible {
    var name: String
    var description: String { "docs/pytorch.md has no ```python block after <!-- snippet: \(name) -->" }
  }

  /// A safetensors file from a header's JSON text and the data bytes, with `declared` as the
  /// header length when given (for files that lie about it).
  static func craft(_ path: String, header: String, data: [UInt8] = [], declared: UInt64? = nil) throws {
    var bytes: [UInt8] = []
    var n = (declared ?? UInt64(header.utf8.count)).littleEndian
    withUnsafeBytes(of: &n) { bytes += $0 }
    bytes += Array(header.utf8) + data
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }
}
