// Markdown parsed once, by cmark-gfm (CommonMark with GitHub's tables, strikethrough and
// autolinks), with `$…$` and `$$…$$` math taken out first so markdown never reads inside it.
// MarkdownHTML.swift renders the tree as the notebook page's HTML; TerminalMarkdown.swift walks it
// for the tutorial.
import CCmark
import Glibc

/// One piece of TeX taken out of a markdown text.
public struct MathSpan: Equatable, Sendable {
  /// The TeX between the delimiters.
  public var tex: String
  /// `$$…$$` (a display equation) rather than `$…$`.
  public var display: Bool
  /// The text as written, delimiters included (put back inside code).
  public var source: String
}

/// A markdown text as cmark-gfm's syntax tree; math is replaced by placeholders
/// (``Markdown/placeholder(_:)``) that renderers turn back into ``math`` spans.
final class Markdown {
  /// The document node.
  let root: MarkdownNode
  /// The math spans, by placeholder number.
  let math: [MathSpan]
  private let parser: OpaquePointer

  /// cmark-gfm's options for every parse and render: raw HTML and unsafe links are dealt with by
  /// ``MarkdownHTML`` (raw HTML shown as text, links through ``PageLinks``), so cmark's own
  /// filter is off and the tree's HTML goes out as the renderer leaves it.
  static let options = CMARK_OPT_UNSAFE | CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES

  /// The extensions, registered once per process.
  private static let extensionsRegistered: Bool = {
    cmark_gfm_core_extensions_ensure_registered()
    return true
  }()

  init(_ text: String) {
    _ = Self.extensionsRegistered
    let (protected, math) = Self.takingOutMath(text)
    self.math = math
    let parser: OpaquePointer = cmark_parser_new(Self.options)
    for name in ["table", "strikethrough", "autolink"] {
      if let e = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(parser, e) }
    }
    let bytes = Array(protected.utf8)
    bytes.withUnsafeBufferPointer { b in
      b.withMemoryRebound(to: CChar.self) { cmark_parser_feed(parser, $0.baseAddress, $0.count) }
    }
    self.parser = parser
    root = MarkdownNode(cmark_parser_finish(parser))
  }

  deinit {
    cmark_node_free(root.pointer)
    cmark_parser_free(parser)
  }

  /// The tree as HTML (cmark's renderer, with the table extension's).
  func html() -> String {
    guard let c = cmark_render_html(root.pointer, Self.options, cmark_parser_get_syntax_extensions(parser)) else { return "" }
    defer { free(c) }
    return String(cString: c)
  }

  // MARK: Math

  /// The placeholder standing for math span `n`: private-use characters around the number, which
  /// CommonMark treats as ordinary text (emphasis around math still works).
  static func placeholder(_ n: Int) -> String { "\u{E000}\(n)\u{E001}" }

  /// `text` split at placeholders: plain strings and math span numbers, in order.
  static func pieces(_ text: String) -> [(String, Int?)] {
    guard text.unicodeScalars.contains("\u{E000}") else { return [(text, nil)] }
    var out: [(String, Int?)] = []
    var rest = Substring(text)
    while let open = rest.firstIndex(of: "\u{E000}") {
      let after = rest[rest.index(after: open)...]
      guard let close = after.firstIndex(of: "\u{E001}"), let n = Int(after[..<close]) else { break }
      if open > rest.startIndex { out.append((String(rest[..<open]), nil)) }
      out.append(("", n))
      rest = after[after.index(after: close)...]
    }
    if !rest.isEmpty { out.append((String(rest), nil)) }
    return out
  }

  /// `text` with each placeholder replaced by `transform(span)`.
  func replacingMath(in text: String, _ transform: (MathSpan) -> String) -> String {
    Self.pieces(text).map { piece, n in n.flatMap { $0 < math.count ? transform(math[$0]) : nil } ?? piece }.joined()
  }

  /// `text` with math as written (for code, raw HTML and attributes).
  func restoringMath(in text: String) -> String { replacingMath(in: text) { $0.source } }

  /// `text` with its math replaced by placeholders, and the spans. Math is `$$…$$` (display) or
  /// `$…$` (inline: no space just inside either `$`, and no digit right after the closing one,
  /// so prices like $5 and $10 stay text); `\$` is a dollar sign. Nothing inside code spans or
  /// fenced code blocks is math, and math never crosses a blank line.
  static func takingOutMath(_ text: String) -> (String, [MathSpan]) {
    guard text.contains("$") else { return (text, []) }
    var scan = MathScan(Array(text))
    scan.run()
    return (scan.out, scan.math)
  }
}

/// The one pass of ``Markdown/takingOutMath(_:)`` over the characters: fenced code blocks and code
/// spans are copied untouched, `\x` escapes stay as they are, and each math span becomes a
/// placeholder.
private struct MathScan {
  let c: [Character]
  var out = "", math: [MathSpan] = []
  var i = 0
  var lineStart = true
  /// Inside a fenced code block: its marker and length.
  var fence: (Character, Int)? = nil

  init(_ c: [Character]) { self.c = c }

  mutating func run() {
    while i < c.count {
      if lineStart, copiedFenceLine() { continue }
      let ch = c[i]
      if ch == "\n" {
        out.append(ch)
        lineStart = true
        i += 1
      } else if ch == "\\", i + 1 < c.count, c[i + 1] != "\n" {
        out.append(ch)
        out.append(c[i + 1])
        i += 2
      } else if ch == "`" {
        copyCodeSpan()
      } else if ch == "$" {
        takeMath()
      } else {
        out.append(ch)
        i += 1
      }
    }
  }

  /// Whether c[k] is the newline ending a line and the next line is blank.
  func blankLineAhead(_ k: Int) -> Bool {
    guard c[k] == "\n" else { return false }
    var j = k + 1
    while j < c.count, c[j] == " " || c[j] == "\t" { j += 1 }
    return j >= c.count || c[j] == "\n"
  }

  /// At a line's start: a fence opens or closes a code block; a fence line, or a line inside a
  /// block, is copied untouched (true).
  mutating func copiedFenceLine() -> Bool {
    lineStart = false
    var j = i
    while j < c.count, j - i < 4, c[j] == " " { j += 1 }
    let marker = j < c.count ? c[j] : " "
    var run = 0
    while j + run < c.count, c[j + run] == marker { run += 1 }
    let isFence = (marker == "`" || marker == "~") && run >= 3
    if isFence {
      if let f = fence {
        if f.0 == marker, run >= f.1 { fence = nil }
      } else {
        fence = (marker, run)
      }
    }
    guard fence != nil || isFence else { return false }
    while i < c.count, c[i] != "\n" {
      out.append(c[i])
      i += 1
    }
    return true
  }

  /// A code span: copied whole when it closes with a run of the same length (and no blank line
  /// comes first); else its opening backticks alone.
  mutating func copyCodeSpan() {
    var run = 0
    while i + run < c.count, c[i + run] == "`" { run += 1 }
    var k = i + run, end: Int? = nil
    while k < c.count {
      if c[k] == "`" {
        var r = 0
        while k + r < c.count, c[k + r] == "`" { r += 1 }
        if r == run {
          end = k + r
          break
        }
        k += r
      } else {
        if blankLineAhead(k) { break }
        k += 1
      }
    }
    let stop = end ?? (i + run)
    out += String(c[i..<stop])
    i = stop
  }

  /// `$…$` or `$$…$$` at `i`: a placeholder when it closes as math, else the dollar signs as text.
  mutating func takeMath() {
    let display = i + 1 < c.count && c[i + 1] == "$"
    let open = display ? 2 : 1
    let close = mathClose(from: i + open, display: display)
    let inner = close.map { String(c[(i + open)..<$0]) } ?? ""
    if let close, !trimmed(inner).isEmpty, display || !c[i + 1].isWhitespace {
      let end = close + open
      out += Markdown.placeholder(math.count)
      math.append(MathSpan(tex: display ? trimmed(inner) : inner, display: display, source: String(c[i..<end])))
      i = end
      return
    }
    out.append("$")
    if display { out.append("$") }
    i += open
  }

  /// Where math opened before `k` closes: `$$` for display; for inline, a `$` after no space and
  /// before no digit. Nil when a blank line or the end comes first.
  func mathClose(from start: Int, display: Bool) -> Int? {
    var k = start
    while k < c.count {
      if c[k] == "\\" {
        k += 2
        continue
      }
      if blankLineAhead(k) { return nil }
      if c[k] == "$" {
        if display {
          if k + 1 < c.count, c[k + 1] == "$" { return k }
        } else if !c[k - 1].isWhitespace, !(k + 1 < c.count && c[k + 1].isASCII && c[k + 1].isNumber) {
          return k
        }
      }
      k += 1
    }
    return nil
  }
}

/// A node of cmark-gfm's tree (owned by its ``Markdown``).
struct MarkdownNode {
  let pointer: OpaquePointer

  init(_ pointer: OpaquePointer) { self.pointer = pointer }

  /// cmark's name for the node's type: `paragraph`, `heading`, `emph`, `table_cell`, …
  var type: String { String(cString: cmark_node_get_type_string(pointer)) }

  var children: [MarkdownNode] {
    var out: [MarkdownNode] = []
    var child = cmark_node_first_child(pointer)
    while let c = child {
      out.append(MarkdownNode(c))
      child = cmark_node_next(c)
    }
    return out
  }

  var parent: MarkdownNode? { cmark_node_parent(pointer).map(MarkdownNode.init) }

  private static func string(_ p: UnsafePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }

  /// The text of a text, code, code block or raw HTML node.
  var literal: String { Self.string(cmark_node_get_literal(pointer)) }
  var url: String { Self.string(cmark_node_get_url(pointer)) }
  var title: String { Self.string(cmark_node_get_title(pointer)) }
  var fenceInfo: String { Self.string(cmark_node_get_fence_info(pointer)) }
  /// Whether a code block is fenced (``` or ~~~) rather than indented.
  var isFenced: Bool {
    var length: Int32 = 0, offset: Int32 = 0
    var character: CChar = 0
    return cmark_node_get_fenced(pointer, &length, &offset, &character) != 0
  }
  var headingLevel: Int { Int(cmark_node_get_heading_level(pointer)) }
  var isOrderedList: Bool { cmark_node_get_list_type(pointer) == CMARK_ORDERED_LIST }
  var listStart: Int { Int(cmark_node_get_list_start(pointer)) }
  var isTightList: Bool { cmark_node_get_list_tight(pointer) != 0 }

  /// The alignment of each column of a table node: `l`, `c`, `r` or none.
  var tableAlignments: [Character?] {
    let n = Int(cmark_gfm_extensions_get_table_columns(pointer))
    guard n > 0, let a = cmark_gfm_extensions_get_table_alignments(pointer) else { return [] }
    return (0..<n).map { a[$0] == 0 ? nil : Character(Unicode.Scalar(a[$0])) }
  }

  /// The node's text without markup (placeholders kept): for slugs, alt text, titles. The walk
  /// keeps its own stack, so any depth of nesting is safe.
  var plainText: String {
    var out = ""
    var pending = [self]
    while let node = pending.popLast() {
      switch node.type {
      case "text", "code", "html_inline": out += node.literal
      case "softbreak", "linebreak": out += " "
      default: pending.append(contentsOf: node.children.reversed())
      }
    }
    return out
  }

  func setLiteral(_ text: String) { _ = cmark_node_set_literal(pointer, text) }
  func setURL(_ text: String) { _ = cmark_node_set_url(pointer, text) }
  func setTitle(_ text: String) { _ = cmark_node_set_title(pointer, text) }

  /// Replaces this node by a new raw HTML node (inline or block) holding `html`; this node is freed.
  func replace(withHTML html: String, block: Bool) {
    guard let new = cmark_node_new(block ? CMARK_NODE_HTML_BLOCK : CMARK_NODE_HTML_INLINE) else { return }
    _ = cmark_node_set_literal(new, html)
    if cmark_node_replace(pointer, new) != 0 { cmark_node_free(pointer) } else { cmark_node_free(new) }
  }
}
