// Lexer: source text → tokens. Like clox's scanner it never throws: a bad character or an
// unterminated string becomes an `.error` token carrying the message, and the parser reports it.

import Support

/// The kinds of token.
public enum TokenKind: String, Sendable {
  case number, string, identifier
  // keywords
  case fn, `if`, `else`, `for`, `in`, `while`, `break`, `continue`, `return`, `import`
  case `true`, `false`, none, and, or, not
  // punctuation
  case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]"
  case leftBrace = "{", rightBrace = "}", comma = ",", colon = ":", dot = "."
  case dotDot = "..", dotDotLess = "..<"
  case plus = "+", minus = "-", star = "*", slash = "/", percent = "%", starStar = "**", at = "@"
  case equal = "=", plusEqual = "+=", minusEqual = "-=", starEqual = "*=", slashEqual = "/="
  case equalEqual = "==", bangEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
  case newline, eof, error

  static let keywords: [String: TokenKind] = [
    "fn": .fn, "if": .if, "else": .else, "for": .for, "in": .in, "while": .while,
    "break": .break, "continue": .continue, "return": .return, "import": .import,
    "true": .true, "false": .false, "none": .none, "and": .and, "or": .or, "not": .not,
  ]

  /// All keywords of the language, for completion.
  public static var keywordNames: [String] { keywords.keys.sorted() }
}

/// A piece of a string literal: literal text, or the source of an interpolated `{expr}`.
public enum StringPart: Equatable, Sendable {
  case text(String)
  /// Interpolated code, its position, and the format spec after a top-level `:` (`{x:.4f}`).
  case code(String, SourceSpan, format: String?)
}

/// One token with its position.
public struct Token: Sendable {
  public var kind: TokenKind
  /// The characters of the token as written (the message for `.error`).
  public var text: String
  public var span: SourceSpan
  /// The value of a `.number` token.
  public var number: Double = 0
  /// The pieces of a `.string` token.
  public var parts: [StringPart] = []
  /// Where the token's characters are in the source (Character offsets, CRLF read as LF).
  public var range: Range<Int> = 0..<0
}

/// Turns source into tokens. Newlines inside `(` `)` and `[` `]` are dropped, so an open bracket
/// continues a line; inside `{` `}` (blocks, records) they separate statements.
public struct Lexer {
  private let chars: [Character]
  private var pos = 0
  private var line: Int
  private var col: Int
  private var brackets: [Character] = []
  /// Where the token being scanned starts (a Character offset).
  private var tokenStart = 0

  /// `line` and `column` give the position of the first character (for interpolated code).
  public init(_ source: String, line: Int = 1, column: Int = 1) {
    chars = Array(unixNewlines(source))
    self.line = line
    self.col = column
  }

  /// All tokens up to and including `.eof`.
  public static func tokenize(_ source: String, line: Int = 1, column: Int = 1) -> [Token] {
    var lexer = Lexer(source, line: line, column: column)
    var out: [Token] = []
    while true {
      let t = lexer.next()
      if t.kind == .newline, out.last?.kind == .newline || out.isEmpty { continue }
      out.append(t)
      if t.kind == .eof { return out }
    }
  }

  private var atEnd: Bool { pos >= chars.count }
  private func peek(_ k: Int = 0) -> Character? { pos + k < chars.count ? chars[pos + k] : nil }

  @discardableResult private mutating func advance() -> Character {
    let c = chars[pos]
    pos += 1
    if c == "\n" { line += 1; col = 1 } else { col += 1 }
    return c
  }

  /// The next token, with the range of source it covers.
  public mutating func next() -> Token {
    var t = scan()
    t.range = tokenStart..<max(tokenStart, pos)
    return t
  }

  private mutating func scan() -> Token {
    while let c = peek() {
      tokenStart = pos
      if c == "#" {
        while let d = peek(), d != "\n" { advance() }
      } else if c == "\n" {
        let span = SourceSpan(line: line, column: col)
        advance()
        if brackets.last == nil || brackets.last == "{" { return Token(kind: .newline, text: "\\n", span: span) }
      } else if c == ";", brackets.last == nil || brackets.last == "{" {  // `a = 1; print(a)`: a newline
        let span = SourceSpan(line: line, column: col)
        advance()
        return Token(kind: .newline, text: ";", span: span)
      } else if c == " " || c == "\t" || c == "\r" {
        advance()
      } else if c == "\\", peek(1) == "\n" {  // explicit line continuation
        advance(); advance()
      } else {
        break
      }
    }
    let start = SourceSpan(line: line, column: col)
    tokenStart = pos
    guard let c = peek() else { return Token(kind: .eof, text: "end of input", span: start) }
    let startPos = pos
    func make(_ kind: TokenKind) -> Token {
      Token(kind: kind, text: String(chars[startPos..<pos]), span: SourceSpan(line: start.line, column: start.column, length: pos - startPos))
    }
    if c.isNumber && c.isASCII { return number(start) }
    if c.isLetter || c == "_" {
      while let d = peek(), d.isLetter || d.isNumber || d == "_" { advance() }
      let word = String(chars[startPos..<pos])
      return make(TokenKind.keywords[word] ?? .identifier)
    }
    if c == "\"" { return string(start) }
    advance()
    func match(_ d: Character) -> Bool {
      if peek() == d { advance(); return true }
      return false
    }
    switch c {
    case "(", "[", "{":
      brackets.append(c)
      return make(c == "(" ? .leftParen : c == "[" ? .leftBracket : .leftBrace)
    case ")", "]", "}":
      if !brackets.isEmpty { brackets.removeLast() }
      return make(c == ")" ? .rightParen : c == "]" ? .rightBracket : .rightBrace)
    case ",": return make(.comma)
    case ":": return make(.colon)
    case ".":
      if match(".") { return make(match("<") ? .dotDotLess : .dotDot) }
      return make(.dot)
    case "+": return make(match("=") ? .plusEqual : .plus)
    case "-": return make(match("=") ? .minusEqual : .minus)
    case "*":
      if match("*") { return make(.starStar) }
      return make(match("=") ? .starEqual : .star)
    case "/": return make(match("=") ? .slashEqual : .slash)
    case "%": return make(.percent)
    case "@": return make(.at)
    case "=": return make(match("=") ? .equalEqual : .equal)
    case "!":
      if match("=") { return make(.bangEqual) }
      return Token(kind: .error, text: "unexpected character '!' (use 'not' for negation)", span: start)
    case "<": return make(match("=") ? .lessEqual : .less)
    case ">": return make(match("=") ? .greaterEqual : .greater)
    case "'":
      // Python's and NumPy's 'abc': lebm strings use double quotes. The literal is skipped to
      // its closing quote on the line, so the error is one token and what follows reads as code.
      var body = ""
      while let d = peek(), d != "\n", d != "'" { body.append(advance()) }
      let closed = peek() == "'"
      if closed { advance() }
      let shown = closed && body.count <= 40 && !body.contains("\"") ? "\"\(body)\"" : "\"…\""
      return Token(kind: .error, text: "strings use double quotes: \(shown)", span: start)
    default:
      return Token(kind: .error, text: "unexpected character '\(c)'", span: start)
    }
  }

  private mutating func number(_ start: SourceSpan) -> Token {
    let startPos = pos
    func digits() { while let d = peek(), (d.isASCII && d.isNumber) || d == "_" { advance() } }
    digits()
    if peek() == ".", let d = peek(1), d.isASCII, d.isNumber {
      advance()
      digits()
    }
    if peek() == "e" || peek() == "E" {
      let save = (pos, line, col)
      advance()
      if peek() == "+" || peek() == "-" { advance() }
      if let d = peek(), d.isASCII, d.isNumber { digits() } else { (pos, line, col) = save }
    }
    let text = String(chars[startPos..<pos])
    let span = SourceSpan(line: start.line, column: start.column, length: pos - startPos)
    guard let v = Double(text.filter { $0 != "_" }) else {
      return Token(kind: .error, text: "malformed number '\(text)'", span: span)
    }
    return Token(kind: .number, text: text, span: span, number: v)
  }

  /// After an error inside a string literal: moves past its closing quote (or to the end of the
  /// line), so what follows is read as code again and the literal is one piece for a highlighter.
  private mutating func skipRestOfString() {
    while let c = peek(), c != "\n" {
      advance()
      if c == "\\", peek() != nil, peek() != "\n" { advance() } else if c == "\"" { return }
    }
  }

  /// A string literal with escapes (`\n \t \" \\ \{ \}`) and `{expr}` interpolation.
  private mutating func string(_ start: SourceSpan) -> Token {
    let startPos = pos
    advance()  // opening quote
    var parts: [StringPart] = []
    var text = ""
    while true {
      guard let c = peek(), c != "\n" else {
        return Token(kind: .error, text: "unterminated string", span: start)
      }
      if c == "\"" { advance(); break }
      if c == "\\" {
        advance()
        guard let e = peek(), e != "\n" else { return Token(kind: .error, text: "unterminated string", span: start) }
        advance()
        switch e {
        case "n": text.append("\n")
        case "t": text.append("\t")
        case "r": text.append("\r")
        case "0": text.append("\0")
        case "\"", "\\", "{", "}": text.append(e)
        default:
          let span = SourceSpan(line: line, column: col - 2, length: 2)
          skipRestOfString()
          return Token(kind: .error, text: "unknown escape '\\\(e)' in string", span: span)
        }
        continue
      }
      if c == "{" {
        advance()
        let codeStart = SourceSpan(line: line, column: col)
        var depth = 0
        var code = ""
        var format: String? = nil
        while true {
          guard let d = peek(), d != "\n" else {
            return Token(kind: .error, text: "unterminated '{' in string interpolation", span: start)
          }
          if d == "}" && depth == 0 { advance(); break }
          if d == ":" && depth == 0 && format == nil {  // `{x:.4f}`: the rest is a format spec
            advance()
            format = ""
            continue
          }
          if format != nil { format!.append(advance()); continue }
          if d == "{" || d == "(" || d == "[" { depth += 1 }
          if d == "}" || d == ")" || d == "]" { depth -= 1 }
          if d == "\"" {  // a string inside the interpolated code
            code.append(advance())
            while let e = peek(), e != "\"", e != "\n" {
              if e == "\\" { code.append(advance()); if peek() == nil || peek() == "\n" { break } }
              code.append(advance())
            }
            if peek() == "\"" { code.append(advance()) }
            continue
          }
          code.append(advance())
        }
        if !text.isEmpty { parts.append(.text(text)); text = "" }
        parts.append(.code(code, codeStart, format: format))
        continue
      }
      text.append(advance())
    }
    if !text.isEmpty || parts.isEmpty { parts.append(.text(text)) }
    let span = SourceSpan(line: start.line, column: start.column, length: pos - startPos)
    return Token(kind: .string, text: String(chars[startPos..<pos]), span: span, parts: parts)
  }
}

/// A piece of source as a highlighter or a completer sees it: a token, a comment, or the space
/// between them.
public struct SourcePiece: Equatable, Sendable {
  public enum Kind: Equatable, Sendable {
    case token(TokenKind)
    case comment
    case space
  }

  public var kind: Kind
  public var text: String
  /// Where it is in the source (Character offsets, CRLF read as LF).
  public var range: Range<Int>
}

extension Lexer {
  /// Every character of `source`, in order, as the language's own tokens, comments and the space
  /// between them: the one scanner of lebm source (the notebook's highlighter and completion use
  /// it too). Concatenated, the pieces' texts give `source` back (with CRLF as LF). A string
  /// literal is one piece, `{…}` interpolations and all; one the lexer rejects is an `.error`
  /// token covering it.
  public static func pieces(_ source: String) -> [SourcePiece] {
    let chars = Array(unixNewlines(source))
    var lexer = Lexer(source)
    var out: [SourcePiece] = []
    var last = 0
    func add(_ kind: SourcePiece.Kind, _ range: Range<Int>) {
      guard !range.isEmpty else { return }
      out.append(SourcePiece(kind: kind, text: String(chars[range]), range: range))
    }
    func gap(_ end: Int) {  // space and comments between two tokens
      var i = last
      while i < end {
        var j = i
        if chars[i] == "#" {
          while j < end, chars[j] != "\n" { j += 1 }
          add(.comment, i..<j)
        } else {
          while j < end, chars[j] != "#" { j += 1 }
          add(.space, i..<j)
        }
        i = j
      }
    }
    while true {
      let t = lexer.next()
      gap(min(t.range.lowerBound, chars.count))
      if t.kind == .eof { break }
      add(.token(t.kind), t.range)
      last = t.range.upperBound
    }
    return out
  }
}
