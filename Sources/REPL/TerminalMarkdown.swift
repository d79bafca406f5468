// Markdown drawn for the terminal: the tutorial's lesson text.

/// Markdown for the terminal: headings bold and underlined, paragraphs and list items wrapped,
/// inline code in colour (backticks kept without colour), code blocks indented.
public enum TerminalMarkdown {
  public static func render(_ markdown: String, style: TerminalStyle) -> String {
    let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).replacingTabs() }
    var out = ""
    var paragraph: [String] = []
    var i = 0
    func flush() {
      guard !paragraph.isEmpty else { return }
      out += wrap(paragraph.map { trimmed($0) }.joined(separator: " "), indent: "", hanging: "", style: style)
      paragraph = []
    }
    while i < lines.count {
      let line = lines[i]
      let t = trimmed(line)
      if t.isEmpty {
        flush()
        if !out.isEmpty, !out.hasSuffix("\n\n") { out += "\n" }
        i += 1
        continue
      }
      if let (marker, _) = MarkdownHTML.fence(line) {
        flush()
        var code: [String] = []
        i += 1
        while i < lines.count, !(MarkdownHTML.fence(lines[i]).map { $0.marker.hasPrefix(marker) } ?? false) {
          code.append(lines[i])
          i += 1
        }
        i += 1
        out += self.code(code.joined(separator: "\n"), style: style, gutter: false) + "\n"
        continue
      }
      if let (level, text) = MarkdownHTML.heading(line) {
        flush()
        let h = inline(text, style: style)
        out += (level <= 2 ? style.heading(h) : style.bold(h)) + "\n\n"
        i += 1
        continue
      }
      if MarkdownHTML.isRule(line) {
        flush()
        out += style.dim(String(repeating: "─", count: min(style.width, 60))) + "\n"
        i += 1
        continue
      }
      if let item = MarkdownHTML.listItem(line) {
        flush()
        var content = item.content
        i += 1
        while i < lines.count, !trimmed(lines[i]).isEmpty, MarkdownHTML.listItem(lines[i]) == nil,
          MarkdownHTML.heading(lines[i]) == nil, MarkdownHTML.fence(lines[i]) == nil
        {
          content += " " + trimmed(lines[i])
          i += 1
        }
        let pad = String(repeating: " ", count: item.indent)
        let bullet = item.ordered ? "\(item.start ?? 1). " : "• "
        out += wrap(content, indent: "  " + pad + bullet, hanging: "  " + pad + String(repeating: " ", count: bullet.count), style: style)
        continue
      }
      if t.hasPrefix(">") {
        flush()
        out += wrap(trimmed(String(t.dropFirst())), indent: style.dim("│ "), hanging: style.dim("│ "), style: style, indentWidth: 2)
        i += 1
        continue
      }
      paragraph.append(line)
      i += 1
    }
    flush()
    while out.hasSuffix("\n\n") { out.removeLast() }
    return out
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

  /// Inline markup for the terminal: emphasis and code styled, link targets after the text.
  static func inline(_ text: String, style: TerminalStyle) -> String {
    let chars = Array(text)
    var out = ""
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == "`", let end = chars[(i + 1)...].firstIndex(of: "`") {
        out += style.codeSpan(String(chars[(i + 1)..<end]))
        i = end + 1
        continue
      }
      if c == "*", i + 1 < chars.count, chars[i + 1] == "*", let end = find(chars, "**", from: i + 2) {
        out += style.bold(String(chars[(i + 2)..<end]))
        i = end + 2
        continue
      }
      if (c == "*" || c == "_"), i + 1 < chars.count, !chars[i + 1].isWhitespace,
        c == "*" || i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber),
        let end = chars[(i + 1)...].firstIndex(of: c), end > i + 1,
        c == "*" || end + 1 >= chars.count || !(chars[end + 1].isLetter || chars[end + 1].isNumber)
      {
        out += style.italic(String(chars[(i + 1)..<end]))
        i = end + 1
        continue
      }
      if c == "[", let close = chars[i...].firstIndex(of: "]"), close + 1 < chars.count, chars[close + 1] == "(",
        let paren = chars[close...].firstIndex(of: ")")
      {
        let label = String(chars[(i + 1)..<close])
        let url = String(chars[(close + 2)..<paren])
        out += label + style.dim(" (\(url))")
        i = paren + 1
        continue
      }
      if c == "\\", i + 1 < chars.count, "\\`*_[]#".contains(chars[i + 1]) {
        out.append(chars[i + 1])
        i += 2
        continue
      }
      out.append(c)
      i += 1
    }
    return out
  }

  static func find(_ chars: [Character], _ needle: String, from: Int) -> Int? {
    let n = Array(needle)
    var i = from
    while i + n.count <= chars.count {
      if Array(chars[i..<(i + n.count)]) == n { return i }
      i += 1
    }
    return nil
  }

  /// `text` (markdown inline) wrapped at the style's width: first line after `indent`, the
  /// others after `hanging`. Words keep their inline styling; widths count visible characters.
  static func wrap(_ text: String, indent: String, hanging: String, style: TerminalStyle, indentWidth: Int? = nil) -> String {
    let words = inline(text, style: style).split(separator: " ", omittingEmptySubsequences: true).map(String.init)
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
