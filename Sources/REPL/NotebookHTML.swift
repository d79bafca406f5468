// A notebook as one self-contained HTML page: markdown cells rendered by a small converter,
// code highlighted by a small tokenizer, outputs in <pre>, figures inline as data: URLs.
import Glibc
import Lang

// MARK: - Escaping

/// `text` with `& < > " '` escaped for HTML text and attribute values.
public func htmlEscape(_ text: String) -> String {
  var out = ""
  out.reserveCapacity(text.utf8.count)
  for c in text.unicodeScalars {
    switch c {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.unicodeScalars.append(c)
    }
  }
  return out
}

// MARK: - Highlighting

/// lebm source split into classified pieces, for HTML and terminal colouring.
public enum LebmHighlighter {
  public enum Kind: String, Equatable, Sendable {
    case plain, keyword, string, number, comment, builtin, function, constant
  }

  static let keywords = Set(TokenKind.keywordNames).subtracting(["true", "false", "none"])
  static let constants: Set<String> = ["true", "false", "none"]

  /// The pieces of `source`, in order; concatenated they give `source` back.
  public static func tokens(_ source: String, builtins: Set<String> = []) -> [(Kind, String)] {
    let chars = Array(source)
    var out: [(Kind, String)] = []
    func add(_ kind: Kind, _ text: String) {
      if let last = out.last, last.0 == kind {
        out[out.count - 1].1 += text
      } else {
        out.append((kind, text))
      }
    }
    var i = 0
    var previousWord = ""
    while i < chars.count {
      let c = chars[i]
      if c == "#" {
        var j = i
        while j < chars.count, chars[j] != "\n" { j += 1 }
        add(.comment, String(chars[i..<j]))
        i = j
      } else if c == "\"" {
        var j = i + 1
        while j < chars.count, chars[j] != "\"", chars[j] != "\n" {
          if chars[j] == "\\" { j += 1 }
          j += 1
        }
        j = min(j + 1, chars.count)
        add(.string, String(chars[i..<j]))
        i = j
      } else if c.isNumber, c.isASCII {
        var j = i
        while j < chars.count {
          let d = chars[j]
          if d.isASCII && (d.isNumber || d == "_") {
            j += 1
          } else if d == ".", j + 1 < chars.count, chars[j + 1].isASCII, chars[j + 1].isNumber {
            j += 1
          } else if d == "e" || d == "E", j + 1 < chars.count,
            chars[j + 1].isNumber || ((chars[j + 1] == "-" || chars[j + 1] == "+") && j + 2 < chars.count && chars[j + 2].isNumber)
          {
            j += 2
          } else {
            break
          }
        }
        add(.number, String(chars[i..<j]))
        i = j
      } else if c == "_" || c.isLetter {
        var j = i
        while j < chars.count, chars[j] == "_" || chars[j].isLetter || chars[j].isNumber { j += 1 }
        let word = String(chars[i..<j])
        let afterDot = i > 0 && chars[i - 1] == "."
        let kind: Kind
        if keywords.contains(word) {
          kind = .keyword
        } else if constants.contains(word) {
          kind = .constant
        } else if previousWord == "fn" {
          kind = .function
        } else if !afterDot, builtins.contains(word) {
          kind = .builtin
        } else {
          kind = .plain
        }
        add(kind, word)
        previousWord = word
        i = j
        continue
      } else {
        add(.plain, String(c))
        i += 1
      }
      if !c.isWhitespace { previousWord = "" }
    }
    return out
  }

  /// `source` as HTML with `<span class="…">` around each non-plain piece.
  public static func html(_ source: String, builtins: Set<String> = []) -> String {
    var out = ""
    for (kind, text) in tokens(source, builtins: builtins) {
      if kind == .plain {
        out += htmlEscape(text)
      } else {
        out += "<span class=\"\(cssClass(kind))\">\(htmlEscape(text))</span>"
      }
    }
    return out
  }

  static func cssClass(_ kind: Kind) -> String {
    switch kind {
    case .plain: return ""
    case .keyword: return "k"
    case .string: return "s"
    case .number: return "n"
    case .comment: return "c"
    case .builtin: return "b"
    case .function: return "f"
    case .constant: return "kc"
    }
  }
}

// MARK: - Markdown

/// A small Markdown converter: ATX headings, paragraphs, emphasis, inline code, fenced and
/// indented code blocks, ordered and unordered lists (nested by indentation), block quotes,
/// rules, links, images, pipe tables. Raw HTML is escaped, never passed through.
public enum MarkdownHTML {
  public static func render(_ markdown: String, builtins: Set<String> = []) -> String {
    let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map {
      String($0).replacingTabs()
    }
    return renderBlocks(lines, builtins: builtins)
  }

  static func indentation(_ line: String) -> Int { line.prefix { $0 == " " }.count }

  /// A list item marker: (ordered, content column, content) or nil.
  static func listItem(_ line: String) -> (ordered: Bool, start: Int?, indent: Int, content: String)? {
    let indent = indentation(line)
    let rest = line.dropFirst(indent)
    if let f = rest.first, f == "-" || f == "*" || f == "+" {
      let after = rest.dropFirst()
      if after.isEmpty { return (false, nil, indent, "") }
      if after.first == " " {
        // `---` and `* * *` are rules, not items
        if isRule(line) { return nil }
        return (false, nil, indent, trimmed(String(after)))
      }
      return nil
    }
    let digits = rest.prefix { $0.isASCII && $0.isNumber }
    if !digits.isEmpty, digits.count <= 9 {
      let after = rest.dropFirst(digits.count)
      if let d = after.first, d == "." || d == ")", after.dropFirst().isEmpty || after.dropFirst().first == " " {
        return (true, Int(digits), indent, trimmed(String(after.dropFirst())))
      }
    }
    return nil
  }

  static func isRule(_ line: String) -> Bool {
    let t = line.filter { $0 != " " }
    guard t.count >= 3, let f = t.first, f == "-" || f == "*" || f == "_" else { return false }
    return t.allSatisfy { $0 == f }
  }

  static func heading(_ line: String) -> (Int, String)? {
    let t = String(line.drop { $0 == " " })
    let hashes = t.prefix { $0 == "#" }.count
    guard (1...6).contains(hashes) else { return nil }
    let rest = t.dropFirst(hashes)
    guard rest.isEmpty || rest.first == " " else { return nil }
    var text = trimmed(String(rest))
    while text.hasSuffix("#") { text.removeLast() }
    return (hashes, trimmed(text))
  }

  static func fence(_ line: String) -> (marker: String, info: String)? {
    let t = String(line.drop { $0 == " " })
    for m in ["```", "~~~"] where t.hasPrefix(m) {
      let count = t.prefix { $0 == m.first! }.count
      return (String(repeating: String(m.first!), count: count), trimmed(String(t.dropFirst(count))))
    }
    return nil
  }

  static func tableCells(_ line: String) -> [String] {
    var t = trimmed(line)
    if t.hasPrefix("|") { t.removeFirst() }
    if t.hasSuffix("|"), !t.hasSuffix("\\|") { t.removeLast() }
    var cells: [String] = [], cur = "", inCode = false
    var prev: Character = " "
    for c in t {
      if c == "`" { inCode.toggle() }
      if c == "|", !inCode, prev != "\\" {
        cells.append(trimmed(cur))
        cur = ""
      } else {
        cur.append(c)
      }
      prev = c
    }
    cells.append(trimmed(cur))
    return cells
  }

  static func isTableSeparator(_ line: String) -> Bool {
    let t = trimmed(line)
    guard t.contains("-"), t.contains("|") || t.contains(":") else { return false }
    return t.allSatisfy { $0 == "|" || $0 == "-" || $0 == ":" || $0 == " " }
  }

  static func renderBlocks(_ lines: [String], builtins: Set<String>) -> String {
    var out = ""
    var i = 0
    var paragraph: [String] = []
    func endParagraph() {
      guard !paragraph.isEmpty else { return }
      out += "<p>" + inline(paragraph.map { trimmed($0) }.joined(separator: "\n")) + "</p>\n"
      paragraph = []
    }
    while i < lines.count {
      let line = lines[i]
      let blank = trimmed(line).isEmpty
      if blank {
        endParagraph()
        i += 1
        continue
      }
      if let (marker, info) = fence(line) {
        endParagraph()
        var code: [String] = []
        i += 1
        while i < lines.count, !(fence(lines[i]).map { $0.marker.hasPrefix(marker) && $0.info.isEmpty } ?? false) {
          code.append(lines[i])
          i += 1
        }
        i += 1
        let language = String(info.prefix { !$0.isWhitespace })
        let text = code.joined(separator: "\n")
        let body = language == "lebm" || language.isEmpty && looksLikeLebm(text)
          ? LebmHighlighter.html(text, builtins: builtins) : htmlEscape(text)
        let cls = language.isEmpty ? "" : " class=\"language-\(htmlEscape(language))\""
        out += "<pre class=\"md-code\"><code\(cls)>\(body)</code></pre>\n"
        continue
      }
      if paragraph.isEmpty, indentation(line) >= 4 {
        var code: [String] = []
        while i < lines.count, indentation(lines[i]) >= 4 || trimmed(lines[i]).isEmpty {
          code.append(String(lines[i].dropFirst(min(4, indentation(lines[i])))))
          i += 1
        }
        while let l = code.last, trimmed(l).isEmpty { code.removeLast() }
        out += "<pre class=\"md-code\"><code>\(htmlEscape(code.joined(separator: "\n")))</code></pre>\n"
        continue
      }
      if let (level, text) = heading(line) {
        endParagraph()
        out += "<h\(level)>\(inline(text))</h\(level)>\n"
        i += 1
        continue
      }
      if isRule(line), !(paragraph.isEmpty == false && line.allSatisfy { $0 == "-" || $0 == " " }) {
        endParagraph()
        out += "<hr>\n"
        i += 1
        continue
      }
      if !paragraph.isEmpty, trimmed(line).allSatisfy({ $0 == "=" || $0 == "-" }) {
        // setext heading underline
        let level = trimmed(line).first == "=" ? 1 : 2
        let text = paragraph.map { trimmed($0) }.joined(separator: " ")
        paragraph = []
        out += "<h\(level)>\(inline(text))</h\(level)>\n"
        i += 1
        continue
      }
      if trimmed(line).hasPrefix(">") {
        endParagraph()
        var quoted: [String] = []
        while i < lines.count, trimmed(lines[i]).hasPrefix(">") {
          var q = Substring(trimmed(lines[i]).dropFirst())
          if q.first == " " { q = q.dropFirst() }
          quoted.append(String(q))
          i += 1
        }
        out += "<blockquote>\n" + renderBlocks(quoted, builtins: builtins) + "</blockquote>\n"
        continue
      }
      if paragraph.isEmpty, line.contains("|"), i + 1 < lines.count, isTableSeparator(lines[i + 1]) {
        let header = tableCells(line)
        let aligns = tableCells(lines[i + 1]).map { spec -> String in
          let l = spec.hasPrefix(":"), r = spec.hasSuffix(":")
          return l && r ? " style=\"text-align:center\"" : r ? " style=\"text-align:right\"" : ""
        }
        i += 2
        out += "<table>\n<thead><tr>"
        for (k, h) in header.enumerated() { out += "<th\(k < aligns.count ? aligns[k] : "")>\(inline(h))</th>" }
        out += "</tr></thead>\n<tbody>\n"
        while i < lines.count, lines[i].contains("|"), !trimmed(lines[i]).isEmpty {
          out += "<tr>"
          for (k, c) in tableCells(lines[i]).enumerated() { out += "<td\(k < aligns.count ? aligns[k] : "")>\(inline(c))</td>" }
          out += "</tr>\n"
          i += 1
        }
        out += "</tbody>\n</table>\n"
        continue
      }
      if let first = listItem(line), paragraph.isEmpty || first.ordered == false || first.start == 1 {
        endParagraph()
        let (html, next) = renderList(lines, from: i, builtins: builtins)
        out += html
        i = next
        continue
      }
      paragraph.append(line)
      i += 1
    }
    endParagraph()
    return out
  }

  /// A list starting at `lines[start]`; returns the HTML and the index after it. Items hold
  /// their continuation lines (indented past the marker) and nested lists.
  static func renderList(_ lines: [String], from start: Int, builtins: Set<String>) -> (String, Int) {
    guard let first = listItem(lines[start]) else { return ("", start) }
    let baseIndent = first.indent
    var i = start
    var items: [[String]] = []
    var loose = false
    while i < lines.count {
      let line = lines[i]
      if let item = listItem(line), item.indent == baseIndent, item.ordered == first.ordered {
        items.append([item.content])
        i += 1
        continue
      }
      if trimmed(line).isEmpty {
        // a blank line continues the list only if the next line is indented or another item
        var j = i + 1
        while j < lines.count, trimmed(lines[j]).isEmpty { j += 1 }
        guard j < lines.count else { break }
        if let item = listItem(lines[j]), item.indent == baseIndent, item.ordered == first.ordered {
          loose = true
          i = j
          continue
        }
        if indentation(lines[j]) > baseIndent {
          items[items.count - 1].append("")
          i += 1
          continue
        }
        break
      }
      if indentation(line) > baseIndent || listItem(line) == nil {
        // continuation (lazy or indented) or a nested list
        if listItem(line) == nil, indentation(line) <= baseIndent, heading(line) != nil || fence(line) != nil || trimmed(line).hasPrefix(">") {
          break
        }
        let strip = min(indentation(line), baseIndent + 2)
        items[items.count - 1].append(String(line.dropFirst(strip)))
        i += 1
        continue
      }
      break
    }
    let tag = first.ordered ? "ol" : "ul"
    let startAttr = first.ordered && (first.start ?? 1) != 1 ? " start=\"\(first.start!)\"" : ""
    var out = "<\(tag)\(startAttr)>\n"
    for item in items {
      let inner = renderBlocks(item, builtins: builtins)
      if !loose, inner.hasPrefix("<p>"), let close = inner.firstRange(of: "</p>\n") {
        // tight list: the first paragraph without <p>
        out += "<li>" + inner[inner.index(inner.startIndex, offsetBy: 3)..<close.lowerBound] + inner[close.upperBound...] + "</li>\n"
      } else {
        out += "<li>" + inner + "</li>\n"
      }
    }
    return (out + "</\(tag)>\n", i)
  }

  /// Whether an unlabelled code block is lebm (it is, in these notebooks, unless it looks like a
  /// shell command line).
  static func looksLikeLebm(_ text: String) -> Bool {
    let t = trimmed(text)
    return !(t.hasPrefix("$ ") || t.hasPrefix("lebm ") || t.hasPrefix("swift "))
  }

  /// Inline markup: code spans, `**strong**`, `*em*`, `_em_` (at word edges only, so
  /// `loss_g_e` stays as written), links, images, autolinks, backslash escapes, hard breaks.
  public static func inline(_ text: String) -> String {
    let chars = Array(text)
    return inline(chars, 0, chars.count)
  }

  static func inline(_ c: [Character], _ from: Int, _ to: Int) -> String {
    var out = ""
    var i = from
    func isWordChar(_ k: Int) -> Bool {
      k >= from && k < to && (c[k].isLetter || c[k].isNumber)
    }
    /// The index of the closing `delimiter` (a run of `count` chars `d`) after `start`, or nil.
    func closing(_ d: Character, count: Int, after start: Int) -> Int? {
      var k = start
      while k + count <= to {
        if c[k] == "`" {  // skip code spans
          let run = c[k...].prefix { $0 == "`" }.count
          if let e = codeSpanEnd(k, run) {
            k = e
            continue
          }
        }
        if c[k] == "\\" {
          k += 2
          continue
        }
        if (0..<count).allSatisfy({ c[k + $0] == d }), k > start, !c[k - 1].isWhitespace,
          k + count >= to || c[k + count] != d || count == 2
        {
          if d == "_" && isWordChar(k + count) {
            k += 1
            continue
          }
          return k
        }
        k += 1
      }
      return nil
    }
    func codeSpanEnd(_ start: Int, _ run: Int) -> Int? {
      var k = start + run
      while k < to {
        if c[k] == "`" {
          let r = c[k..<to].prefix { $0 == "`" }.count
          if r == run { return k + r }
          k += r
        } else {
          k += 1
        }
      }
      return nil
    }
    /// `[text](url)` starting at the `[` at `k`: (text range, url, index after).
    func link(at k: Int) -> (Range<Int>, String, Int)? {
      var depth = 0
      var j = k
      while j < to {
        if c[j] == "\\" { j += 2; continue }
        if c[j] == "[" { depth += 1 }
        if c[j] == "]" {
          depth -= 1
          if depth == 0 { break }
        }
        j += 1
      }
      guard j + 1 < to, c[j] == "]", c[j + 1] == "(" else { return nil }
      var e = j + 2
      var parens = 0
      while e < to {
        if c[e] == "(" { parens += 1 }
        if c[e] == ")" {
          if parens == 0 { break }
          parens -= 1
        }
        e += 1
      }
      guard e < to else { return nil }
      var target = trimmed(String(c[(j + 2)..<e]))
      if let space = target.firstIndex(of: " ") { target = String(target[..<space]) }  // drop a title
      if target.hasPrefix("<") && target.hasSuffix(">") { target = String(target.dropFirst().dropLast()) }
      return ((k + 1)..<j, target, e + 1)
    }
    while i < to {
      let ch = c[i]
      switch ch {
      case "\\" where i + 1 < to && "\\`*_{}[]()#+-.!|<>~".contains(c[i + 1]):
        out += htmlEscape(String(c[i + 1]))
        i += 2
        continue
      case "\\" where i + 1 < to && c[i + 1] == "\n":
        out += "<br>\n"
        i += 2
        continue
      case "`":
        let run = c[i..<to].prefix { $0 == "`" }.count
        if let end = codeSpanEnd(i, run) {
          var inner = String(c[(i + run)..<(end - run)]).replacingNewlines()
          if inner.hasPrefix(" ") && inner.hasSuffix(" ") && inner.count > 2 { inner = String(inner.dropFirst().dropLast()) }
          out += "<code>" + htmlEscape(inner) + "</code>"
          i = end
        } else {
          out += String(repeating: "`", count: run)
          i += run
        }
        continue
      case "*", "_":
        let double = i + 1 < to && c[i + 1] == ch
        let count = double ? 2 : 1
        let opensOK = i + count < to && !c[i + count].isWhitespace && !(ch == "_" && isWordChar(i - 1))
        if opensOK, let end = closing(ch, count: count, after: i + count) {
          let tag = double ? "strong" : "em"
          out += "<\(tag)>" + inline(c, i + count, end) + "</\(tag)>"
          i = end + count
          continue
        }
        out += String(repeating: String(ch), count: count)
        i += count
        continue
      case "!" where i + 1 < to && c[i + 1] == "[":
        if let (textRange, url, next) = link(at: i + 1) {
          let alt = String(c[textRange])
          switch PageLinks.check(url) {
          case .local(let src): out += "<img src=\"\(htmlEscape(src))\" alt=\"\(htmlEscape(alt))\">"
          // A page is self-contained: a remote image is not fetched, its link is shown instead.
          case .remote(let src): out += "<a href=\"\(htmlEscape(src))\">\(htmlEscape(alt.isEmpty ? src : alt))</a>"
          case .rejected: out += htmlEscape(alt)
          }
          i = next
          continue
        }
      case "[":
        if let (textRange, url, next) = link(at: i) {
          out += "<a href=\"\(htmlEscape(safeURL(url)))\">" + inline(c, textRange.lowerBound, textRange.upperBound) + "</a>"
          i = next
          continue
        }
      case "<":
        if let close = c[i..<to].firstIndex(of: ">") {
          let inner = String(c[(i + 1)..<close])
          if (inner.hasPrefix("http://") || inner.hasPrefix("https://") || inner.hasPrefix("mailto:")), !inner.contains(" "),
            case .remote = PageLinks.check(inner)
          {
            out += "<a href=\"\(htmlEscape(inner))\">\(htmlEscape(inner))</a>"
            i = close + 1
            continue
          }
        }
      case "\n":
        // two trailing spaces make a hard break
        if out.hasSuffix("  ") {
          while out.hasSuffix(" ") { out.removeLast() }
          out += "<br>\n"
        } else {
          out += "\n"
        }
        i += 1
        continue
      default:
        break
      }
      out += htmlEscape(String(ch))
      i += 1
    }
    return out
  }

  /// A link target as ``PageLinks/check(_:)`` cleans it; `#` for one it rejects (`javascript:`,
  /// `data:`, a scheme hidden behind control characters or character references).
  static func safeURL(_ url: String) -> String {
    switch PageLinks.check(url) {
    case .remote(let u), .local(let u): return u
    case .rejected: return "#"
    }
  }
}

extension String {
  func replacingTabs() -> String {
    guard contains("\t") else { return self }
    var out = ""
    for ch in self {
      if ch == "\t" {
        out += String(repeating: " ", count: 4 - out.count % 4)
      } else {
        out.append(ch)
      }
    }
    return out
  }

  func replacingNewlines() -> String { String(map { $0 == "\n" ? " " : $0 }) }
}

// MARK: - The page

/// The notebook page.
public enum NotebookHTML {
  /// One self-contained HTML page for the outcomes of a run.
  /// `quick` notes on the page that the run was in quick mode.
  public static func page(
    _ outcomes: [CellOutcome], title: String, builtins: Set<String> = [], quick: Bool = false,
    pageFolder: String? = nil
  ) -> String {
    let codeCells = outcomes.filter { $0.cell.kind == .code }
    let total = codeCells.reduce(0) { $0 + $1.seconds }
    let failures = outcomes.filter(\.failed).count
    // A notebook that opens with its own `# Heading` names the page; the file name goes small.
    var heading: String?
    if let first = outcomes.first?.cell, first.kind == .markdown, first.title.isEmpty,
      let line = first.source.split(separator: "\n").first, let (level, text) = MarkdownHTML.heading(String(line)), level == 1
    {
      heading = text
    }
    let pageTitle = heading.map { "\($0) — \(title)" } ?? title
    let titleLine = heading == nil ? "<h1 class=\"nb-title\">\(htmlEscape(title))</h1>\n" : ""
    let fileNote = heading == nil ? "" : "<span class=\"nb-file\">\(htmlEscape(title))</span> · "
    var html = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta name="generator" content="lebm \(CLI.version)">
      <title>\(htmlEscape(pageTitle))</title>
      <style>
      \(stylesheet)
      </style>
      </head>
      <body>
      <main>
      <header class="nb-header\(heading == nil ? "" : " compact")">
      \(titleLine)<p class="nb-meta">\(fileNote)\(codeCells.count) code cell\(codeCells.count == 1 ? "" : "s") · \(htmlEscape(formatDuration(total))) in all\(failures > 0 ? " · <span class=\"nb-failed\">\(failures) failed</span>" : "")\(quick ? " · quick mode" : "") · lebm \(CLI.version)</p>
      </header>

      """
    var number = 0
    var figureNumber = 0
    for outcome in outcomes {
      let cell = outcome.cell
      if cell.kind == .markdown {
        html += "<section class=\"cell markdown\">\n"
        if !cell.title.isEmpty { html += "<h2 class=\"cell-title\">\(MarkdownHTML.inline(cell.title))</h2>\n" }
        html += MarkdownHTML.render(cell.source, builtins: builtins) + "</section>\n"
        continue
      }
      number += 1
      var classes = "cell code"
      if outcome.failed { classes += " error" }
      if !outcome.ran { classes += " skipped" }
      html += "<section class=\"\(classes)\" id=\"cell-\(number)\">\n<div class=\"cell-head\">"
      html += "<a class=\"cell-number\" href=\"#cell-\(number)\">[\(number)]</a>"
      if !cell.title.isEmpty { html += "<span class=\"cell-title\">\(htmlEscape(cell.title))</span>" }
      html += "<span class=\"cell-status\">"
      if !outcome.ran {
        html += "not run"
      } else {
        if outcome.failed { html += "<span class=\"badge\">\(outcome.interrupted ? "interrupted" : "error")</span> " }
        html += "<span class=\"cell-time\">\(htmlEscape(formatDuration(outcome.seconds)))</span>"
      }
      html += "</span></div>\n"
      html += "<pre class=\"source\"><code class=\"language-lebm\">\(LebmHighlighter.html(cell.source, builtins: builtins))</code></pre>\n"
      var outputs = ""
      if !outcome.output.isEmpty {
        outputs += "<pre class=\"output stdout\">\(htmlEscape(trimmingFinalNewline(outcome.output)))</pre>\n"
      }
      for figure in outcome.figures {
        figureNumber += 1
        if let png = figure.png, FigureInfo.pngSize(Array(png.prefix(24))) != nil {
          let size = FigureInfo.pngSize(Array(png.prefix(24)))!
          let shown = PageLinks.relative(figure.path, from: pageFolder)  // not the machine's absolute path
          outputs += "<figure class=\"output figure\"><img src=\"data:image/png;base64,\(base64(png))\" width=\"\(size.0 / figure.scale)\" height=\"\(size.1 / figure.scale)\" alt=\"figure \(figureNumber): \(htmlEscape(shown))\">"
          outputs += "<figcaption>\(htmlEscape(shown))</figcaption></figure>\n"
        } else {
          outputs += "<pre class=\"output stdout\">\(htmlEscape(figureLine(figure.path)))</pre>\n"
        }
      }
      if let echo = outcome.echo {
        outputs += "<pre class=\"output value\">\(htmlEscape(trimmingFinalNewline(echo)))</pre>\n"
      }
      if let error = outcome.error {
        outputs += "<pre class=\"output error\">\(htmlEscape(trimmingFinalNewline(error)))</pre>\n"
      }
      if !outputs.isEmpty { html += "<div class=\"outputs\">\n" + outputs + "</div>\n" }
      html += "</section>\n"
    }
    html += "</main>\n</body>\n</html>\n"
    return html
  }

  static let stylesheet = """
    :root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --code-bg: #f6f8fa; --accent: #0969da;
      --err: #cf222e; --err-bg: #ffebe9; }
    * { box-sizing: border-box; }
    body { margin: 0; background: #fff; color: var(--fg);
      font: 16px/1.6 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
    main { max-width: 920px; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
    .nb-header { border-bottom: 1px solid var(--line); margin-bottom: 1.5rem; }
    .nb-header.compact { border-bottom: none; margin-bottom: 0; }
    .nb-header.compact .nb-meta { margin: 0; }
    .nb-title { margin: 0 0 .25rem; font-size: 1.9rem; }
    .nb-meta { margin: 0 0 1rem; color: var(--muted); font-size: .9rem; }
    .nb-file { font-family: ui-monospace, Menlo, monospace; }
    .nb-failed { color: var(--err); font-weight: 600; }
    pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .875rem; }
    .cell { margin: 1.25rem 0; }
    .cell.markdown h1, .cell.markdown h2, .cell.markdown h3 { line-height: 1.25; margin: 1.5rem 0 .75rem; }
    .cell.markdown h1 { font-size: 1.6rem; border-bottom: 1px solid var(--line); padding-bottom: .3rem; }
    .cell.markdown h2 { font-size: 1.3rem; }
    .cell.markdown :not(pre) > code { background: var(--code-bg); padding: .1em .35em; border-radius: 4px; }
    .cell.markdown pre.md-code { background: var(--code-bg); padding: .75rem 1rem; border-radius: 6px; overflow-x: auto; }
    .cell.markdown blockquote { margin: 0; padding: 0 1rem; color: var(--muted); border-left: 4px solid var(--line); }
    .cell.markdown table { border-collapse: collapse; }
    .cell.markdown th, .cell.markdown td { border: 1px solid var(--line); padding: .3rem .7rem; }
    .cell.markdown img { max-width: 100%; }
    a { color: var(--accent); }
    .cell.code { border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 6px; overflow: hidden; }
    .cell.code.error { border-left-color: var(--err); }
    .cell.code.skipped { opacity: .55; border-left-color: var(--line); }
    .cell-head { display: flex; gap: .75rem; align-items: baseline; padding: .3rem .75rem; font-size: .8rem;
      color: var(--muted); background: #fafbfc; border-bottom: 1px solid var(--line); }
    .cell-number { color: var(--muted); text-decoration: none; font-family: ui-monospace, Menlo, monospace; }
    .cell-head .cell-title { color: var(--fg); font-weight: 600; }
    .cell-status { margin-left: auto; }
    .badge { color: #fff; background: var(--err); border-radius: 10px; padding: 0 .5rem; font-weight: 600; }
    pre.source { margin: 0; padding: .75rem 1rem; background: var(--code-bg); overflow-x: auto; }
    .outputs { border-top: 1px solid var(--line); }
    pre.output { margin: 0; padding: .6rem 1rem; white-space: pre-wrap; word-break: break-word; }
    pre.output + pre.output, pre.output + figure, figure + pre.output, figure + figure { border-top: 1px dashed var(--line); }
    pre.value { color: #0a3069; }
    pre.error { color: var(--err); background: var(--err-bg); }
    figure.output { margin: 0; padding: .75rem 1rem; text-align: center; }
    figure.output img { max-width: 100%; height: auto; image-rendering: auto; }
    figure.output figcaption { color: var(--muted); font-size: .8rem; font-family: ui-monospace, Menlo, monospace; }
    .k { color: #cf222e; font-weight: 600; } .kc { color: #0550ae; } .s { color: #0a3069; }
    .n { color: #0550ae; } .c { color: #6e7781; font-style: italic; } .b { color: #8250df; }
    .f { color: #953800; font-weight: 600; }
    @media (prefers-color-scheme: dark) {
      :root { --fg: #e6edf3; --muted: #8d96a0; --line: #30363d; --code-bg: #161b22; --accent: #4493f8;
        --err: #ff7b72; --err-bg: #2d1214; }
      body { background: #0d1117; }
      .cell-head { background: #161b22; }
      pre.value { color: #a5d6ff; }
      figure.output img { background: #fff; }
      .k { color: #ff7b72; } .kc, .n { color: #79c0ff; } .s { color: #a5d6ff; } .c { color: #8b949e; }
      .b { color: #d2a8ff; } .f { color: #ffa657; }
    }
    """
}

func trimmingFinalNewline(_ s: String) -> String { s.hasSuffix("\n") ? String(s.dropLast()) : s }
