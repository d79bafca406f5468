// Parser: tokens → AST, by Pratt parsing (clox's `ParseRule rules[]`): each token kind has one row
// in `rule(for:)` giving its prefix parser, infix parser and precedence. A new operator is one row.

/// Whether a piece of source is ready to run, needs more lines, or is wrong (IPython's
/// `check_complete`). A REPL keeps reading while the answer is `.incomplete`.
public enum Completeness: Equatable, Sendable {
  case complete
  case incomplete
  case invalid(ScriptError)
}

/// Operator precedence, lowest first.
enum Precedence: Int, Comparable {
  case none, or, and, not, comparison, range, term, factor, unary, power, call

  static func < (a: Precedence, b: Precedence) -> Bool { a.rawValue < b.rawValue }
  var next: Precedence { Precedence(rawValue: rawValue + 1) ?? .call }
}

struct ParseFailure: Error {
  var message: String
  var span: SourceSpan
  var incomplete: Bool
}

/// The parser. Use ``Parser/parse(_:file:)`` or ``Parser/check(_:)``.
public struct Parser {
  typealias PrefixFn = (inout Parser, Token) throws -> Expr
  typealias InfixFn = (inout Parser, Expr, Token) throws -> Expr

  struct ParseRule {
    var prefix: PrefixFn?
    var infix: InfixFn?
    var precedence: Precedence
  }

  /// How deeply expressions and blocks may nest before the parser refuses (a bound on recursion).
  public static let maxNesting = 200

  private var tokens: [Token]
  private var current = 0
  private let file: String
  private var depth: Int
  private var braceDepth = 0
  private var loopDepth = 0
  private var functionDepth = 0

  init(tokens: [Token], file: String, depth: Int = 0) {
    self.tokens = tokens
    self.file = file
    self.depth = depth
  }

  // MARK: - Entry points

  /// Parses a whole file or cell. On failure the error lists every syntax error found
  /// (the first, then `others`), and `isIncomplete` says whether more input could fix it.
  public static func parse(_ source: String, file: String = "<input>") -> Result<[Stmt], ScriptError> {
    var p = Parser(tokens: Lexer.tokenize(source), file: file)
    return p.program(source: source)
  }

  /// Whether `source` is complete, needs more lines, or has a syntax error. Runs on a thread with
  /// a big stack, so any input is safe.
  public static func check(_ source: String) -> Completeness {
    let r = BigStack.run { parse(source) }
    switch r {
    case .success: return .complete
    case .failure(let e): return e.isIncomplete ? .incomplete : .invalid(e)
    }
  }

  private mutating func program(source: String) -> Result<[Stmt], ScriptError> {
    var stmts: [Stmt] = []
    var errors: [ScriptError] = []
    skipNewlines()
    while peek.kind != .eof {
      do {
        stmts.append(try statement())
        try endOfStatement()
      } catch let f as ParseFailure {
        let line = ScriptError.line(f.span.line, of: source)
        errors.append(ScriptError(.syntax, f.message, file: file, span: f.span, lineText: line, isIncomplete: f.incomplete))
        if errors.count >= 10 || f.incomplete { break }
        synchronize()
      } catch {
        break
      }
      skipNewlines()
    }
    guard var first = errors.first else { return .success(stmts) }
    first.others = Array(errors.dropFirst())
    return .failure(first)
  }

  /// Panic-mode recovery: skip to the end of the current top-level statement.
  private mutating func synchronize() {
    while peek.kind != .eof {
      let t = advance()
      switch t.kind {
      case .leftBrace: braceDepth += 1
      case .rightBrace: braceDepth -= 1
      case .newline where braceDepth <= 0: braceDepth = 0; return
      default: break
      }
    }
    braceDepth = 0
  }

  // MARK: - Tokens

  private var peek: Token { tokens[min(current, tokens.count - 1)] }
  private func peek(_ k: Int) -> Token { tokens[min(current + k, tokens.count - 1)] }

  @discardableResult private mutating func advance() -> Token {
    let t = peek
    if current < tokens.count - 1 { current += 1 }
    return t
  }

  private mutating func match(_ kind: TokenKind) -> Bool {
    if peek.kind == kind { advance(); return true }
    return false
  }

  private mutating func skipNewlines() { while peek.kind == .newline { advance() } }

  private func failure(_ message: String, at t: Token) -> ParseFailure {
    if t.kind == .error { return ParseFailure(message: t.text, span: t.span, incomplete: false) }
    if t.kind == .eof { return ParseFailure(message: "\(message), got end of input", span: t.span, incomplete: true) }
    let shown = t.kind == .newline ? "end of line" : "'\(t.text)'"
    return ParseFailure(message: "\(message), got \(shown)", span: t.span, incomplete: false)
  }

  @discardableResult private mutating func expect(_ kind: TokenKind, _ message: String) throws -> Token {
    guard peek.kind == kind else { throw failure(message, at: peek) }
    return advance()
  }

  private mutating func identifier(_ what: String) throws -> Token {
    try expect(.identifier, "expected \(what)")
  }

  private mutating func nest() throws {
    depth += 1
    if depth > Parser.maxNesting {
      throw ParseFailure(message: "code nested too deeply (more than \(Parser.maxNesting) levels)", span: peek.span, incomplete: false)
    }
  }

  // MARK: - Statements

  private mutating func endOfStatement() throws {
    switch peek.kind {
    case .newline: advance()
    case .eof, .rightBrace: break
    default: throw failure("expected end of line after statement", at: peek)
    }
  }

  private mutating func statement() throws -> Stmt {
    let t = peek
    switch t.kind {
    case .fn where peek(1).kind == .identifier:
      advance()
      let name = advance()
      return .function(try functionRest(name: name.text, span: name.span))
    case .for:
      advance()
      let v = try identifier("a loop variable name after 'for'")
      try expect(.in, "expected 'in' after the loop variable")
      let seq = try expression()
      loopDepth += 1
      defer { loopDepth -= 1 }
      let body = try block("the loop")
      return .forIn(variable: v.text, seq, body: body, t.span)
    case .while:
      advance()
      let cond = try expression()
      loopDepth += 1
      defer { loopDepth -= 1 }
      return .whileLoop(cond, body: try block("the loop"), t.span)
    case .break, .continue:
      advance()
      guard loopDepth > 0 else {
        throw ParseFailure(message: "'\(t.text)' outside a loop", span: t.span, incomplete: false)
      }
      return t.kind == .break ? .breakLoop(t.span) : .continueLoop(t.span)
    case .return:
      advance()
      guard functionDepth > 0 else {
        throw ParseFailure(message: "'return' outside a function", span: t.span, incomplete: false)
      }
      if [.newline, .eof, .rightBrace].contains(peek.kind) { return .returnValue(nil, t.span) }
      return .returnValue(try expression(), t.span)
    case .import:
      advance()
      let s = try expect(.string, "expected a file name in quotes after 'import'")
      guard s.parts.count == 1, case let .text(path) = s.parts[0] else {
        throw ParseFailure(message: "import needs a plain file name, without interpolation", span: s.span, incomplete: false)
      }
      return .importFile(path, t.span)
    case .identifier where t.text == "def" && peek(1).kind == .identifier:
      // Python's `def f(x):`. Its indented body is passed over, so its `return` is not reported too.
      let message = "functions are written fn \(peek(1).text)(\(pythonParameters())) { … }"
      skipPythonBody(under: t.span.column)
      throw ParseFailure(message: message, span: t.span, incomplete: false)
    default:
      let e = try expression()
      let op: AssignOperator?
      switch peek.kind {
      case .equal: op = .assign
      case .plusEqual: op = .add
      case .minusEqual: op = .sub
      case .starEqual: op = .mul
      case .slashEqual: op = .div
      default: op = nil
      }
      guard let op else { return .expression(e) }
      let opToken = advance()
      switch e {
      case .variable, .index, .field: break
      default:
        throw ParseFailure(message: "cannot assign to this expression", span: e.span, incomplete: false)
      }
      skipNewlines()
      let value = try expression()
      return .assign(target: e, op, value, opToken.span)
    }
  }

  /// The parameter names of Python's `def f(a, b):` after `def f`, for the message that shows
  /// it in lebm; `…` when they are anything but plain names.
  private func pythonParameters() -> String {
    guard peek(2).kind == .leftParen else { return "…" }
    var names: [String] = [], k = 3, expectName = true
    while true {
      let t = peek(k)
      switch t.kind {
      case .rightParen: return names.joined(separator: ", ")
      case .identifier where expectName: names.append(t.text); expectName = false
      case .comma where !expectName: expectName = true
      default: return "…"
      }
      k += 1
    }
  }

  /// Moves to the end of the line holding the current token and past the lines after it that
  /// are indented further than `column` (a Python block), stopping at the newline before the
  /// next line that is not, so recovery goes on from that line.
  private mutating func skipPythonBody(under column: Int) {
    while true {
      while peek.kind != .newline && peek.kind != .eof { advance() }
      var k = 0
      while peek(k).kind == .newline { k += 1 }
      let next = peek(k)
      guard next.kind != .eof, next.span.column > column else { return }
      current += k
    }
  }

  /// `{ statements }`.
  private mutating func block(_ what: String) throws -> [Stmt] {
    try nest()
    defer { depth -= 1 }
    try expect(.leftBrace, "expected '{' to start the body of \(what)")
    braceDepth += 1
    var body: [Stmt] = []
    skipNewlines()
    while peek.kind != .rightBrace {
      if peek.kind == .eof { throw failure("expected '}' to close the body of \(what)", at: peek) }
      body.append(try statement())
      try endOfStatement()
      skipNewlines()
    }
    advance()
    braceDepth -= 1
    return body
  }

  /// After `fn NAME` or `fn`: `(params) { body }`.
  private mutating func functionRest(name: String?, span: SourceSpan) throws -> FunctionDecl {
    try expect(.leftParen, "expected '(' to start the parameter list")
    var params: [ParamDecl] = []
    while peek.kind != .rightParen {
      let p = try identifier("a parameter name")
      if params.contains(where: { $0.name == p.text }) {
        throw ParseFailure(message: "duplicate parameter '\(p.text)'", span: p.span, incomplete: false)
      }
      var def: Expr? = nil
      if match(.colon) {
        def = try expression()
      } else if params.last?.defaultValue != nil {
        throw ParseFailure(message: "parameter '\(p.text)' needs a default, as the ones before it have", span: p.span, incomplete: false)
      }
      params.append(ParamDecl(name: p.text, defaultValue: def))
      if !match(.comma) { break }
    }
    try expect(.rightParen, "expected ')' after the parameters")
    let savedLoops = loopDepth
    loopDepth = 0
    functionDepth += 1
    defer { loopDepth = savedLoops; functionDepth -= 1 }
    let body = try block(name.map { "function '\($0)'" } ?? "the function")
    return FunctionDecl(name: name, params: params, body: body, span: span, file: file)
  }

  // MARK: - Expressions (Pratt)

  mutating func expression() throws -> Expr { try parse(precedence: .or) }

  private mutating func parse(precedence: Precedence) throws -> Expr {
    try nest()
    defer { depth -= 1 }
    let t = advance()
    guard let prefix = Parser.rule(for: t.kind).prefix else {
      current -= (t.kind == .eof ? 0 : 1)
      throw failure("expected an expression", at: t)
    }
    var left = try prefix(&self, t)
    var chain = 0
    while precedence <= Parser.rule(for: peek.kind).precedence, let infix = Parser.rule(for: peek.kind).infix {
      chain += 1
      if depth + chain > Parser.maxNesting {
        throw ParseFailure(message: "expression too long (more than \(Parser.maxNesting) operators in a chain)", span: peek.span, incomplete: false)
      }
      let op = advance()
      left = try infix(&self, left, op)
    }
    return left
  }

  /// The Pratt table: one row per token kind.
  static func rule(for kind: TokenKind) -> ParseRule {
    switch kind {
    case .number: return ParseRule(prefix: { _, t in .number(t.number, t.span) }, infix: nil, precedence: .none)
    case .string: return ParseRule(prefix: { p, t in try p.stringLiteral(t) }, infix: nil, precedence: .none)
    case .true: return ParseRule(prefix: { _, t in .bool(true, t.span) }, infix: nil, precedence: .none)
    case .false: return ParseRule(prefix: { _, t in .bool(false, t.span) }, infix: nil, precedence: .none)
    case .none: return ParseRule(prefix: { _, t in .none(t.span) }, infix: nil, precedence: .none)
    case .identifier: return ParseRule(prefix: { _, t in .variable(t.text, t.span) }, infix: nil, precedence: .none)
    case .leftParen: return ParseRule(prefix: { p, t in try p.grouping(t) }, infix: { p, l, t in try p.call(l, t) }, precedence: .call)
    case .leftBracket: return ParseRule(prefix: { p, t in try p.listLiteral(t) }, infix: { p, l, t in try p.index(l, t) }, precedence: .call)
    case .leftBrace: return ParseRule(prefix: { p, t in try p.recordLiteral(t) }, infix: nil, precedence: .none)
    case .dot: return ParseRule(prefix: nil, infix: { p, l, t in try p.field(l, t) }, precedence: .call)
    case .minus: return ParseRule(prefix: { p, t in try p.unary(t) }, infix: binary(.sub, .term), precedence: .term)
    case .not: return ParseRule(prefix: { p, t in try p.unary(t) }, infix: nil, precedence: .none)
    case .plus: return ParseRule(prefix: nil, infix: binary(.add, .term), precedence: .term)
    case .star: return ParseRule(prefix: nil, infix: binary(.mul, .factor), precedence: .factor)
    case .slash: return ParseRule(prefix: nil, infix: binary(.div, .factor), precedence: .factor)
    case .percent: return ParseRule(prefix: nil, infix: binary(.mod, .factor), precedence: .factor)
    case .at: return ParseRule(prefix: nil, infix: binary(.matmul, .factor), precedence: .factor)
    case .starStar: return ParseRule(prefix: nil, infix: binary(.pow, .power, rightAssociative: true), precedence: .power)
    case .less: return ParseRule(prefix: nil, infix: binary(.less, .comparison), precedence: .comparison)
    case .lessEqual: return ParseRule(prefix: nil, infix: binary(.lessEqual, .comparison), precedence: .comparison)
    case .greater: return ParseRule(prefix: nil, infix: binary(.greater, .comparison), precedence: .comparison)
    case .greaterEqual: return ParseRule(prefix: nil, infix: binary(.greaterEqual, .comparison), precedence: .comparison)
    case .equalEqual: return ParseRule(prefix: nil, infix: binary(.equal, .comparison), precedence: .comparison)
    case .bangEqual: return ParseRule(prefix: nil, infix: binary(.notEqual, .comparison), precedence: .comparison)
    case .dotDot: return ParseRule(prefix: nil, infix: { p, l, t in try p.range(l, t, inclusive: true) }, precedence: .range)
    case .dotDotLess: return ParseRule(prefix: nil, infix: { p, l, t in try p.range(l, t, inclusive: false) }, precedence: .range)
    case .and: return ParseRule(prefix: nil, infix: { p, l, t in try p.logical(l, t, isAnd: true) }, precedence: .and)
    case .or: return ParseRule(prefix: nil, infix: { p, l, t in try p.logical(l, t, isAnd: false) }, precedence: .or)
    case .fn: return ParseRule(prefix: { p, t in .function(try p.functionRest(name: nil, span: t.span)) }, infix: nil, precedence: .none)
    case .if: return ParseRule(prefix: { p, t in try p.ifExpression(t) }, infix: nil, precedence: .none)
    default: return ParseRule(prefix: nil, infix: nil, precedence: .none)
    }
  }

  private static func binary(_ op: BinaryOperator, _ prec: Precedence, rightAssociative: Bool = false) -> InfixFn {
    { p, left, t in
      p.skipNewlines()  // a trailing operator continues the line
      let right = try p.parse(precedence: rightAssociative ? prec : prec.next)
      return .binary(op, left, right, t.span)
    }
  }

  private mutating func logical(_ left: Expr, _ t: Token, isAnd: Bool) throws -> Expr {
    skipNewlines()
    let right = try parse(precedence: isAnd ? Precedence.and.next : Precedence.or.next)
    return .logical(isAnd: isAnd, left, right, t.span)
  }

  private mutating func range(_ left: Expr, _ t: Token, inclusive: Bool) throws -> Expr {
    skipNewlines()
    let right = try parse(precedence: Precedence.range.next)
    return .range(left, right, inclusive: inclusive, t.span)
  }

  private mutating func unary(_ t: Token) throws -> Expr {
    let operand = try parse(precedence: t.kind == .not ? .comparison : .unary)
    if t.kind == .minus, case let .number(v, s) = operand {
      return .number(-v, SourceSpan(line: t.span.line, column: t.span.column, length: s.length + 1))
    }
    return .unary(t.kind == .not ? "not" : "-", operand, t.span)
  }

  private mutating func grouping(_ t: Token) throws -> Expr {
    let e = try expression()
    try expect(.rightParen, "expected ')' to close '(' at \(t.span)")
    return e
  }

  private mutating func listLiteral(_ t: Token) throws -> Expr {
    var items: [Expr] = []
    while peek.kind != .rightBracket {
      items.append(try expression())
      if !match(.comma) { break }
    }
    try expect(.rightBracket, "expected ']' to close the list at \(t.span)")
    return .list(items, t.span)
  }

  private mutating func recordLiteral(_ t: Token) throws -> Expr {
    braceDepth += 1
    var fields: [(String, Expr)] = []
    skipNewlines()
    while peek.kind != .rightBrace {
      let k = advance()
      let key: String
      switch k.kind {
      case .identifier: key = k.text
      case .string:
        guard k.parts.count == 1, case let .text(s) = k.parts[0] else {
          throw ParseFailure(message: "a record key cannot use interpolation", span: k.span, incomplete: false)
        }
        key = s
      default:
        if k.kind != .eof { current -= 1 }
        throw failure("expected a field name in the record", at: k)
      }
      if fields.contains(where: { $0.0 == key }) {
        throw ParseFailure(message: "duplicate field '\(key)' in record", span: k.span, incomplete: false)
      }
      try expect(.colon, "expected ':' after the field name '\(key)'")
      skipNewlines()
      fields.append((key, try expression()))
      let sep = match(.comma)
      let nl = peek.kind == .newline
      skipNewlines()
      if !sep && !nl { break }
    }
    try expect(.rightBrace, "expected '}' to close the record at \(t.span)")
    braceDepth -= 1
    return .record(fields, t.span)
  }

  private mutating func call(_ callee: Expr, _ t: Token) throws -> Expr {
    var args: [Argument] = []
    var sawKeyword = false
    while peek.kind != .rightParen {
      if peek.kind == .identifier && peek(1).kind == .colon {
        let label = advance()
        advance()
        if args.contains(where: { $0.label == label.text }) {
          throw ParseFailure(message: "keyword '\(label.text)' given twice", span: label.span, incomplete: false)
        }
        args.append(Argument(label: label.text, value: try expression(), labelSpan: label.span))
        sawKeyword = true
      } else {
        let e = try expression()
        if sawKeyword {
          throw ParseFailure(message: "positional argument after a keyword argument", span: e.span, incomplete: false)
        }
        args.append(Argument(label: nil, value: e))
      }
      if !match(.comma) { break }
    }
    try expect(.rightParen, "expected ')' to close the call")
    // Errors in a call point at the function's name when it has one.
    switch callee {
    case .variable(_, let s), .field(_, _, let s): return .call(callee, args, s)
    default: return .call(callee, args, t.span)
    }
  }

  private mutating func index(_ target: Expr, _ t: Token) throws -> Expr {
    var items: [IndexItem] = []
    repeat {
      var start: Expr? = nil
      if peek.kind != .colon { start = try expression() }
      if match(.colon) {
        var end: Expr? = nil, step: Expr? = nil
        if ![.colon, .comma, .rightBracket].contains(peek.kind) { end = try expression() }
        if match(.colon), ![.comma, .rightBracket].contains(peek.kind) { step = try expression() }
        items.append(.slice(start: start, end: end, step: step))
      } else if let start {
        items.append(.index(start))
      }
    } while match(.comma)
    try expect(.rightBracket, "expected ']' to close the index")
    if items.isEmpty { throw ParseFailure(message: "empty index", span: t.span, incomplete: false) }
    return .index(target, items, t.span)
  }

  private mutating func field(_ target: Expr, _ t: Token) throws -> Expr {
    let name = try identifier("a field name after '.'")
    return .field(target, name.text, name.span)
  }

  private mutating func ifExpression(_ t: Token) throws -> Expr {
    var branches: [(Expr, [Stmt])] = []
    var elseBody: [Stmt]? = nil
    let cond = try expression()
    branches.append((cond, try block("'if'")))
    while true {
      // `else` may start the next line.
      var k = 0
      while peek(k).kind == .newline { k += 1 }
      guard peek(k).kind == .else else { break }
      skipNewlines()
      advance()
      if match(.if) {
        let c = try expression()
        branches.append((c, try block("'else if'")))
      } else {
        elseBody = try block("'else'")
        break
      }
    }
    return .ifExpr(branches, elseBody: elseBody, t.span)
  }

  private mutating func stringLiteral(_ t: Token) throws -> Expr {
    var parts: [InterpolatedPart] = []
    for p in t.parts {
      switch p {
      case .text(let s): parts.append(.text(s))
      case let .code(code, span, format):
        if let format, !FormatSpec.isValid(format) {
          throw ParseFailure(
            message: "bad format spec '\(format)' (use e.g. .4f, .3e, 8.2f, d or g)", span: span, incomplete: false)
        }
        var sub = Parser(tokens: Lexer.tokenize(code, line: span.line, column: span.column), file: file, depth: depth + 1)
        sub.skipNewlines()
        if sub.peek.kind == .eof {
          throw ParseFailure(message: "empty '{}' in string interpolation (write \\{ for a brace)", span: span, incomplete: false)
        }
        do {
          let e = try sub.expression()
          sub.skipNewlines()
          if sub.peek.kind != .eof { throw sub.failure("expected '}' after the interpolated expression", at: sub.peek) }
          parts.append(.expr(e, format: format))
        } catch var f as ParseFailure {
          if f.incomplete, f.message.hasSuffix(", got end of input") {
            f.message = String(f.message.dropLast(", got end of input".count)) + ", got '}'"
          }
          f.incomplete = false
          throw f
        }
      }
    }
    return .string(parts, t.span)
  }
}
