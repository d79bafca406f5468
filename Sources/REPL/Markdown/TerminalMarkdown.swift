// Markdown drawn for the terminal: the tutorial's lesson text, from cmark-gfm's syntax tree
// (Markdown.swift). Math reads as Unicode (TeXText.swift) in its own colour.

/// Markdown for the terminal: headings bold and underlined, paragraphs and list items wrapped,
/// emphasis, strong and inline code styled (backticks kept without colour), links followed by
/// their target, code blocks indented and highlighted, tables in aligned columns, math as Unicode.
public enum TerminalMarkdown {
  public static func render(_ markdown: String, style: TerminalStyle) -> String {
    let doc = Markdown(markdown)
    var out = blocks(doc.root.children, doc, style: style, width: style.width)
    while out.hasSuffix("\n\n") { out.removeLast() }
    return out
  }

  /// Block nodes as lines (each ending in a newline), with a blank line between blocks unless
  /// `tight` (the items of a tight list).
  static func blocks(
    _ nodes: [MarkdownNode], _ doc: Markdown, style: TerminalStyle, width: Int, tight: Bool = false, depth: Int = 0
  ) -> String {
    nodes.map { block($0, doc, style: style, width: width, depth: depth) }.filter { !$0.isEmpty }
      .joined(separator: tight ? "" : "\n")
  }

  /// How many quotes and lists deep blocks are drawn nested; deeper ones are drawn flat
  /// (``flat(_:_:style:width:)``), so markdown nested 100 000 deep neither overflows the stack nor
  /// draws a prefix per level on every line.
  static let deepest = 16

  /// One block node; `depth` counts the quotes and list items around it.
  static func block(_ node: MarkdownNode, _ doc: Markdown, style: TerminalStyle, width: Int, depth: Int = 0) -> String {
    let narrow = TerminalStyle(color: style.color, width: width)
    if depth > deepest { return flat(node, doc, style: narrow, width: width) }
    switch node.type {
    case "paragraph":
      return paragraph(node, doc, style: narrow, indent: "", hanging: "")
    case "heading":
      let h = inlines(node.children, doc, style: style)
      return (node.headingLevel <= 2 ? style.heading(h) : style.bold(h)) + "\n"
    case "thematic_break":
      return style.dim(String(repeating: "─", count: min(width, 60))) + "\n"
    case "code_block":
      let text = trimmingFinalNewline(doc.restoringMath(in: node.literal))
      let language = String(node.fenceInfo.prefix { !$0.isWhitespace })
      if language == "lebm" || language.isEmpty && node.isFenced && MarkdownHTML.looksLikeLebm(text) {
        return code(text, style: style, gutter: false) + "\n"
      }
      return text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
    case "html_block":
      return doc.restoringMath(in: node.literal)
    case "block_quote":
      let inner = blocks(node.children, doc, style: style, width: max(20, width - 2), depth: depth + 1)
      return prefixLines(trimmingFinalNewline(trimmingBlankEnd(inner)), first: style.dim("│ "), rest: style.dim("│ "))
    case "list":
      var out = ""
      var number = node.listStart
      for item in node.children {
        let bullet = node.isOrderedList ? "\(number). " : "• "
        number += 1
        let pad = String(repeating: " ", count: bullet.count)
        let inner = blocks(
          item.children, doc, style: style, width: max(20, width - 2 - bullet.count), tight: node.isTightList,
          depth: depth + 1)
        out += prefixLines(trimmingFinalNewline(trimmingBlankEnd(inner)), first: "  " + bullet, rest: "  " + pad)
        if !node.isTightList { out += "\n" }
      }
      return node.isTightList ? out : trimmingBlankEnd(out)
    case "table":
      return table(node, doc, style: style)
    default:
      return paragraph(node, doc, style: narrow, indent: "", hanging: "")
    }
  }

  /// A paragraph's inlines wrapped; display math alone in a paragraph is indented instead.
  static func paragraph(_ node: MarkdownNode, _ doc: Markdown, style: TerminalStyle, indent: String, hanging: String) -> String {
    let kids = node.children
    if kids.count == 1, kids[0].type == "text", case let pieces = Markdown.pieces(kids[0].literal),
      pieces.count == 1, let n = pieces[0].1, n < doc.math.count, doc.math[n].display
    {
      return "    " + style.math(TeXText.unicode(doc.math[n].tex)) + "\n"
    }
    // A hard line break starts a new wrapped line.
    return inlines(kids, doc, style: style).split(separator: "\n", omittingEmptySubsequences: false).map {
      wrapStyled(String($0), indent: indent, hanging: hanging, style: style)
    }.joined()
  }

  /// Inline nodes as styled text (spaces between words; `\n` only for hard breaks); below
  /// ``deepest`` levels of emphasis, links and the like, their text without styling.
  static func inlines(_ nodes: [MarkdownNode], _ doc: Markdown, style: TerminalStyle, depth: Int = 0) -> String {
    var out = ""
    for node in nodes {
      if depth > deepest {
        out += mathAsText(node.plainText, doc)
        continue
      }
      switch node.type {
      case "text":
        for (piece, n) in Markdown.pieces(node.literal) {
          if let n, n < doc.math.count {
            out += style.math(TeXText.unicode(doc.math[n].tex))
          } else {
            out += piece
          }
        }
      case "softbreak": out += " "
      case "linebreak": out += "\n"
      case "code": out += style.codeSpan(doc.restoringMath(in: node.literal))
      case "html_inline": out += doc.restoringMath(in: node.literal)
      case "emph": out += style.italic(inlines(node.children, doc, style: style, depth: depth + 1))
      case "strong": out += style.bold(inlines(node.children, doc, style: style, depth: depth + 1))
      case "strikethrough": out += style.strike(inlines(node.children, doc, style: style, depth: depth + 1))
      case "link":
        let label = inlines(node.children, doc, style: style, depth: depth + 1)
        let url = doc.restoringMath(in: node.url)
        out += label == url || "mailto:" + label == url ? style.underline(label) : label + style.dim(" (\(url))")
      case "image":
        out += style.dim("[image: \(doc.restoringMath(in: node.plainText))]")
      default:
        out += inlines(node.children, doc, style: style, depth: depth + 1)
      }
    }
    return out
  }

  /// Text with math placeholders as Unicode.
  static func mathAsText(_ text: String, _ doc: Markdown) -> String {
    doc.replacingMath(in: text) { TeXText.unicode($0.tex) }
  }

  /// A block nested too deep to draw nested: the text of each paragraph, heading or code block
  /// inside it, wrapped, without markup (the tree walked with its own stack).
  static func flat(_ node: MarkdownNode, _ doc: Markdown, style: TerminalStyle, width: Int) -> String {
    var out: [String] = []
    var pending = [node]
    while let n = pending.popLast() {
      switch n.type {
      case "paragraph", "heading", "table_cell":
        out.append(wrapStyled(mathAsText(n.plainText, doc), indent: "", hanging: "", style: style))
      case "code_block", "html_block":
        out.append(trimmingFinalNewline(doc.restoringMath(in: n.literal)) + "\n")
      default:
        pending.append(contentsOf: n.children.reversed())
      }
    }
    return out.joined()
  }

  /// A table in columns padded to their widest cell; the header bold, a rule under it.
  static func table(_ node: MarkdownNode, _ doc: Markdown, style: TerminalStyle) -> String {
    let rows = node.children.map { row in row.children.map { inlines($0.children, doc, style: style) } }
    let aligns = node.tableAlignments
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], visibleWidth(cell)) } }
    var out = ""
    for (r, row) in rows.enumerated() {
      var line = "  "
      for k in 0..<columns {
        let cell = k < row.count ? row[k] : ""
        let gap = widths[k] - visibleWidth(cell)
        let right = k < aligns.count && aligns[k] == "r"
        let padded = right ? String(repeating: " ", count: gap) + cell : cell + String(repeating: " ", count: gap)
        line += (r == 0 ? style.bold(padded) : padded) + (k + 1 < columns ? "  " : "")
      }
      while line.hasSuffix(" ") { line.removeLast() }
      out += line + "\n"
      if r == 0 { out += "  " + style.dim(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) + "\n" }
    }
    return out
  }

  /// `text`'s lines with `first` before the first and `rest` before the others.
  static func prefixLines(_ text: String, first: String, rest: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { k, l in
      (k == 0 ? first : l.isEmpty ? trimmingTrailingSpaces(rest) : rest) + l
    }.joined(separator: "\n") + "\n"
  }

  static func trimmingTrailingSpaces(_ s: String) -> String {
    var s = s
    while s.hasSuffix(" ") { s.removeLast() }
    return s
  }

  static func trimmingBlankEnd(_ s: String) -> String {
    var s = s
    while s.hasSuffix("\n\n") { s.removeLast() }
    return s
  }

  /// Code with the REPL's prompts as a gutter (`lebm> `, then `  ... `), or indented.
  public static func code(_ source: String, style: TerminalStyle, gutter: Bool) -> String {
    var highlighted = ""
    for (kind, text) in LebmHighlighter.tokens(source) {
      // colour each line's part separately so a line never ends inside an escape
      let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
      highlighted += parts.map { style.highlight(kind, String($0)) }.joined(separator: "\n")
    }
    let lines = highlighted.split(separator: "\n", omittingEmptySubsequences: false)
    return lines.enumerated().map { i, l in
      (gutter ? style.dim(i == 0 ? "lebm> " : "  ... ") : "    ") + l
    }.joined(separator: "\n")
  }

  /// Styled `text` wrapped at the style's width: first line after `indent`, the others after
  /// `hanging`. Words keep their styling; widths count visible characters.
  static func wrapStyled(_ text: String, indent: String, hanging: String, style: TerminalStyle, indentWidth: Int? = nil) -> String {
    let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    var out = ""
    var line = indent
    var lineWidth = indentWidth ?? visibleWidth(indent)
    var empty = true
    let hangWidth = indentWidth ?? visibleWidth(hanging)
    for word in words {
      let w = visibleWidth(word)
      if !empty, lineWidth + 1 + w > style.width {
        out += line + "\n"
        line = hanging
        lineWidth = hangWidth
        empty = true
      }
      if !empty {
        line += " "
        lineWidth += 1
      }
      line += word
      lineWidth += w
      empty = false
    }
    return out + line + "\n"
  }

  /// Characters on screen: escape sequences count for nothing.
  static func visibleWidth(_ s: String) -> Int {
    var n = 0
    var inEscape = false
    for c in s.unicodeScalars {
      if inEscape {
        if c == "m" { inEscape = false }
      } else if c == "\u{1B}" {
        inEscape = true
      } else {
        n += 1
      }
    }
    return n
  }
}
