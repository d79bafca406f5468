// A tiny calculator standing in for the language: integers and strings, `x = 1`, `x + 2`,
// `fn f(a) {` … `}` blocks (brace counting), `loop(n)` (n steps of 10 ms polling
// `Interrupt.check()`), `ctrlc()` (stops as a Ctrl-C would), `print(x)`, `fig("path")` (writes a small PNG header and reports it as a
// figure), `args()`. Errors are rendered like the real interpreter's: `file:line:col: error: msg`,
// the line, a caret.
import Engine
import Glibc
import Lang
import REPL
import Support

final class FakeBackend: REPLBackend {
  var output: (String) -> Void = { _ in }
  var arguments: [String] = []
  var quick = false
  var vars: [String: Value] = [:]
  var functions: [String: (param: String, body: [String])] = [:]
  var evaluated: [String] = []
  static let builtins = ["args", "energy", "energy_net", "fig", "loop", "print"]

  enum Value: Equatable, CustomStringConvertible {
    case int(Int), string(String)
    var description: String {
      switch self {
      case .int(let i): return String(i)
      case .string(let s): return "\"\(s)\""
      }
    }
  }

  struct Failure: Error {
    var message: String, column: Int, syntax: Bool
  }

  func check(_ source: String) -> Completeness {
    var depth = 0
    for c in source {
      if c == "{" || c == "(" { depth += 1 }
      if c == "}" || c == ")" { depth -= 1 }
      if depth < 0 { return .invalid(ScriptError(.syntax, "unbalanced brackets")) }
    }
    return depth > 0 ? .incomplete : .complete
  }

  func evaluate(_ source: String, file: String) -> EvalResult {
    evaluated.append(source)
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var figures: [FigureOutput] = []
    var echo: String? = nil
    var index = 0
    while index < lines.count {
      let line = lines[index]
      let text = line.trimmingSpaces
      defer { index += 1 }
      if text.isEmpty || text.hasPrefix("#") { continue }
      do {
        if text.hasPrefix("fn ") {
          // fn name(param) {  body lines  }
          let header = text.dropFirst(3)
          guard let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")"),
            header.hasSuffix("{")
          else { throw Failure(message: "expected 'fn name(param) {'", column: 1, syntax: true) }
          let name = String(header[..<open]).trimmingSpaces
          let param = String(header[header.index(after: open)..<close]).trimmingSpaces
          var body: [String] = []
          index += 1
          while index < lines.count, lines[index].trimmingSpaces != "}" {
            body.append(lines[index])
            index += 1
          }
          guard index < lines.count else {
            throw Failure(message: "expected '}'", column: line.count + 1, syntax: true)
          }
          functions[name] = (param, body)
          echo = nil
          continue
        }
        if let eq = text.firstIndex(of: "="), text[..<eq].trimmingSpaces.allSatisfy(isIdent),
          !text[..<eq].trimmingSpaces.isEmpty
        {
          let name = text[..<eq].trimmingSpaces
          var p = Parser(text: String(text[text.index(after: eq)...]), backend: self, figures: [])
          let v = try p.parseAll()
          figures += p.figures
          vars[name] = v
          echo = nil
        } else {
          var p = Parser(text: text, backend: self, figures: [])
          let v = try p.parseAll()
          figures += p.figures
          echo = v.description
        }
      } catch let f as Failure {
        let lineNumber = index + 1
        let caret = String(repeating: " ", count: max(0, f.column - 1)) + "^"
        return EvalResult(
          error: "\(file):\(lineNumber):\(f.column): error: \(f.message)\n\(line)\n\(caret)",
          isSyntaxError: f.syntax, figures: figures)
      } catch is Interrupted {
        return EvalResult(interrupted: true, figures: figures)
      } catch {
        return EvalResult(error: "\(error)")
      }
    }
    return EvalResult(echo: echo, figures: figures)
  }

  func completions(for line: String, cursor: Int) -> [String] {
    let (word, _, kind) = CompletionWord.find(in: line, cursor: cursor)
    switch kind {
    case .field: return ["loss_e", "loss_g"].filter { $0.hasPrefix(word) }
    case .string: return ["data/test.csv", "data/train.csv"].filter { $0.hasPrefix(word) }
    case .identifier: break
    }
    return (Self.builtins + vars.keys.sorted() + functions.keys.sorted()).filter { $0.hasPrefix(word) }
  }

  func help(_ topic: String?) -> String {
    guard let topic else { return "fake calculator: numbers, + - *, fn blocks" }
    return "help for \(topic)"
  }

  func variables() -> [(name: String, summary: String)] {
    vars.keys.sorted().map { ($0, vars[$0]!.description) }
  }

  func reset() {
    vars = [:]
    functions = [:]
  }

  /// expr := term (('+'|'-') term)* ; term := factor ('*' factor)* ;
  /// factor := int | "string" | name | name(args) | (expr)
  struct Parser {
    let chars: [Character]
    var pos = 0
    let backend: FakeBackend
    var figures: [FigureOutput]
    var locals: [String: Value] = [:]

    init(text: String, backend: FakeBackend, figures: [FigureOutput]) {
      chars = Array(text)
      self.backend = backend
      self.figures = figures
    }

    mutating func parseAll() throws -> Value {
      let v = try expr()
      skip()
      if pos < chars.count { throw Failure(message: "unexpected '\(chars[pos])'", column: pos + 1, syntax: true) }
      return v
    }
    mutating func skip() { while pos < chars.count, chars[pos] == " " { pos += 1 } }
    mutating func expr() throws -> Value {
      var v = try term()
      while true {
        skip()
        guard pos < chars.count, chars[pos] == "+" || chars[pos] == "-" else { return v }
        let op = chars[pos]
        let col = pos + 1
        pos += 1
        let r = try term()
        guard case .int(let a) = v, case .int(let b) = r else {
          throw Failure(message: "'\(op)' needs numbers", column: col, syntax: false)
        }
        v = .int(op == "+" ? a + b : a - b)
      }
    }
    mutating func term() throws -> Value {
      var v = try factor()
      while true {
        skip()
        guard pos < chars.count, chars[pos] == "*" else { return v }
        let col = pos + 1
        pos += 1
        let r = try factor()
        guard case .int(let a) = v, case .int(let b) = r else {
          throw Failure(message: "'*' needs numbers", column: col, syntax: false)
        }
        v = .int(a * b)
      }
    }
    mutating func factor() throws -> Value {
      skip()
      guard pos < chars.count else { throw Failure(message: "expected a value", column: pos + 1, syntax: true) }
      let start = pos
      let c = chars[pos]
      if c.isNumber {
        while pos < chars.count, chars[pos].isNumber { pos += 1 }
        return .int(Int(String(chars[start..<pos]))!)
      }
      if c == "\"" {
        pos += 1
        while pos < chars.count, chars[pos] != "\"" { pos += 1 }
        guard pos < chars.count else { throw Failure(message: "unterminated string", column: start + 1, syntax: true) }
        pos += 1
        return .string(String(chars[(start + 1)..<(pos - 1)]))
      }
      if c == "(" {
        pos += 1
        let v = try expr()
        skip()
        guard pos < chars.count, chars[pos] == ")" else { throw Failure(message: "expected ')'", column: pos + 1, syntax: true) }
        pos += 1
        return v
      }
      guard isIdent(c) else { throw Failure(message: "unexpected '\(c)'", column: pos + 1, syntax: true) }
      while pos < chars.count, isIdent(chars[pos]) { pos += 1 }
      let name = String(chars[start..<pos])
      skip()
      if pos < chars.count, chars[pos] == "(" {
        pos += 1
        var args: [Value] = []
        skip()
        if pos < chars.count, chars[pos] == ")" { pos += 1 } else {
          while true {
            args.append(try expr())
            skip()
            guard pos < chars.count else { throw Failure(message: "expected ')'", column: pos + 1, syntax: true) }
            if chars[pos] == "," { pos += 1; continue }
            if chars[pos] == ")" { pos += 1; break }
            throw Failure(message: "expected ')'", column: pos + 1, syntax: true)
          }
        }
        return try call(name, args, column: start + 1)
      }
      if let v = locals[name] ?? backend.vars[name] { return v }
      throw Failure(message: "unknown variable '\(name)'", column: start + 1, syntax: false)
    }

    mutating func call(_ name: String, _ args: [Value], column: Int) throws -> Value {
      switch name {
      case "print":
        backend.output(args.map { if case .string(let s) = $0 { return s } else { return $0.description } }
          .joined(separator: " ") + "\n")
        return .int(0)
      case "args":
        return .string(backend.arguments.joined(separator: ","))
      case "loop":
        guard case .int(let n)? = args.first else { throw Failure(message: "loop(n)", column: column, syntax: false) }
        backend.output("loop started\n")
        for _ in 0..<n {
          try Interrupt.check()
          usleep(10_000)
        }
        return .int(n)
      case "ctrlc":  // work stopped by a Ctrl-C (without touching the shared flag other tests poll)
        throw Interrupted()
      case "spin":  // like loop, but never polls: only the third Ctrl-C ends it
        guard case .int(let n)? = args.first else { throw Failure(message: "spin(n)", column: column, syntax: false) }
        backend.output("spinning\n")
        for _ in 0..<n { usleep(10_000) }
        return .int(n)
      case "write":  // output without a newline
        guard case .string(let text)? = args.first else { throw Failure(message: "write(s)", column: column, syntax: false) }
        backend.output(text)
        return .int(text.count)
      case "fig":
        guard case .string(let path)? = args.first else { throw Failure(message: "fig(path)", column: column, syntax: false) }
        // A 640×480 PNG header, or a small SVG or PDF when the name ends so.
        let format: FigureOutput.Format = path.hasSuffix(".svg") ? .svg : path.hasSuffix(".pdf") ? .pdf : .png
        let bytes: [UInt8]
        switch format {
        case .png:
          bytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
            + Array("IHDR".utf8) + [0, 0, 0x02, 0x80, 0, 0, 0x01, 0xE0, 8, 6, 0, 0, 0]
        case .svg: bytes = Array("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640pt\" height=\"480pt\"/>\n".utf8)
        case .pdf: bytes = Array("%PDF-1.5\n% a fake figure\n%%EOF\n".utf8)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Failure(message: "cannot write \(path)", column: column, syntax: false) }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, bytes.count) }
        close(fd)
        figures.append(FigureOutput(path: path, format: format, width: 640, height: 480, bytes: bytes.count))
        return .int(0)
      default:
        guard let f = backend.functions[name] else {
          throw Failure(message: "unknown function '\(name)'", column: column, syntax: false)
        }
        var result = Value.int(0)
        for line in f.body where !line.trimmingSpaces.isEmpty {
          var p = Parser(text: line.trimmingSpaces, backend: backend, figures: [])
          p.locals = [f.param: args.first ?? .int(0)]
          result = try p.parseAll()
        }
        return result
      }
    }
  }
}

func isIdent(_ c: Character) -> Bool { c == "_" || c.isLetter || c.isNumber }

extension StringProtocol {
  var trimmingSpaces: String {
    var s = Substring(self)
    while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\t" { s.removeLast() }
    return String(s)
  }
}
