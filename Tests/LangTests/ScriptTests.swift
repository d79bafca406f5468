// Runs every golden script under Scripts/<feature>/<case>.lebm (clox's test/<feature>/<case>.lox).
// In a script, `# expect: TEXT` gives the next expected output line, and
// `# expect error: TEXT` (or `# expect error: LINE:COL: TEXT`) says the run must fail with an
// error whose message contains TEXT (at LINE:COL when given). Each script gets a fresh scratch
// folder for the files it writes: the variable `scratch` in the script, `$SCRATCH` in its output.
import Foundation
import Support
import Engine
import Testing

@testable import Lang

struct GoldenScript {
  var path: String
  var name: String
  var source: String
  var expectedLines: [String] = []
  var expectedError: (span: SourceSpan?, text: String)? = nil

  init(path: String, root: String) throws {
    self.path = path
    name = String(path.dropFirst(root.count + 1))
    source = try String(contentsOfFile: path, encoding: .utf8)
    for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
      if let r = line.range(of: "# expect error: ") {
        var text = String(line[r.upperBound...])
        var span: SourceSpan? = nil
        let head = text.split(separator: ":", maxSplits: 2)
        if head.count == 3, let l = Int(head[0]), let c = Int(head[1]) {
          span = SourceSpan(line: l, column: c)
          text = String(head[2].drop(while: { $0 == " " }))
        }
        expectedError = (span, text)
      } else if let r = line.range(of: "# expect: ") {
        expectedLines.append(String(line[r.upperBound...]))
      }
    }
  }

  /// Runs the script; returns the failures (empty when it passed).
  func check() -> [String] {
    var out = ""
    var options = Interpreter.Options()
    options.maxSteps = 5_000_000
    let interp = Interpreter(options: options, output: { out += $0 })
    interp.interruptFlag = InterruptFlag()
    // Files the script writes go to a fresh folder, named `scratch` in the script and
    // `$SCRATCH` in its expected output; the folder is removed afterwards.
    var problems: [String] = []
    let scratch: String
    do throws(FileError) {
      scratch = try makeTemporaryDirectory(prefix: "lebm-golden")
    } catch {
      return ["no scratch folder: \(error)"]
    }
    defer { try? removeTree(scratch) }
    interp[variable: "scratch"] = .string(scratch)
    // Fixture files beside the script (sentences.txt) are read through `here`.
    interp[variable: "here"] = .string(String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]))
    interp.basicHost.outputFolder = scratch
    let outcome = interp.run(source, file: path)
    out = out.replacingOccurrences(of: scratch, with: "$SCRATCH")
    var lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    // An expected line ending in "…" matches any line with that prefix.
    let matches = lines.count == expectedLines.count && zip(lines, expectedLines).allSatisfy { l, e in
      e.hasSuffix("…") ? l.hasPrefix(String(e.dropLast())) : l == e
    }
    if !matches {
      problems.append("output:\n" + lines.joined(separator: "\n") + "\n--- expected:\n" + expectedLines.joined(separator: "\n"))
    }
    switch (outcome, expectedError) {
    case (.value, nil): break
    case (.value(let v), let e?): problems.append("expected error '\(e.text)', got value \(v)")
    case (.failure(let err), nil): problems.append("unexpected error: \(err.rendered())")
    case (.failure(let err), let e?):
      if !err.message.contains(e.text) { problems.append("expected error containing '\(e.text)', got: \(err.rendered())") }
      if let s = e.span, s.line != err.span.line || s.column != err.span.column {
        problems.append("expected error at \(s), got \(err.span): \(err.message)")
      }
    }
    return problems
  }
}

enum Scripts {
  static var root: String {
    Bundle.module.resourceURL!.appendingPathComponent("Scripts").path
  }

  static func all() throws -> [GoldenScript] {
    let fm = FileManager.default
    guard let e = fm.enumerator(atPath: root) else { return [] }
    var out: [GoldenScript] = []
    while let rel = e.nextObject() as? String {
      if rel.hasSuffix(".lebm") { out.append(try GoldenScript(path: root + "/" + rel, root: root)) }
    }
    return out.sorted { $0.name < $1.name }
  }
}

extension LangSuite {
@Test func goldenScripts() throws {
  let scripts = try Scripts.all()
  #expect(scripts.count >= 40, "found only \(scripts.count) golden scripts")
  var failed = 0
  for s in scripts where !s.name.contains("/_") {
    let problems = s.check()
    if !problems.isEmpty {
      failed += 1
      Issue.record("\(s.name): \(problems.joined(separator: "\n"))")
    }
  }
  #expect(failed == 0)
}
}
