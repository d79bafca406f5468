// A notebook as one self-contained HTML page: markdown cells rendered by cmark-gfm
// (MarkdownHTML.swift), math by KaTeX inlined from the system (KaTeX.swift), code highlighted by
// the language's own lexer (Lexer.pieces), outputs in <pre>, figures inline as data: URLs.
import Glibc
import Lang
import Support

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

  /// The pieces of `source`, in order; concatenated they give `source` back (CRLF as LF). The
  /// language's own lexer reads it (``Lexer/pieces(_:)``): a string is one piece however its
  /// `{…}` interpolations nest, and the highlighter agrees with the parser on every token.
  public static func tokens(_ source: String, builtins: Set<String> = []) -> [(Kind, String)] {
    var out: [(Kind, String)] = []
    func add(_ kind: Kind, _ text: String) {
      if let last = out.last, last.0 == kind {
        out[out.count - 1].1 += text
      } else {
        out.append((kind, text))
      }
    }
    var previous: TokenKind? = nil  // the token before this one
    for piece in Lexer.pieces(source) {
      guard case .token(let t) = piece.kind else {
        add(piece.kind == .comment ? .comment : .plain, piece.text)
        continue
      }
      add(kind(of: t, piece.text, after: previous, builtins: builtins), piece.text)
      previous = t
    }
    return out
  }

  /// How a token is coloured: keywords, constants, numbers and strings by kind; a name after `fn`
  /// as a function, a builtin's name (not a field after `.`) as a builtin.
  static func kind(of token: TokenKind, _ text: String, after previous: TokenKind?, builtins: Set<String>) -> Kind {
    switch token {
    case .true, .false, .none: return .constant
    case .number: return .number
    case .string: return .string
    case .error: return text.hasPrefix("\"") ? .string : .plain
    case .identifier:
      if previous == .fn { return .function }
      return previous != .dot && builtins.contains(text) ? .builtin : .plain
    default: return keywords.contains(token.rawValue) ? .keyword : .plain
    }
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

// MARK: - The page

/// The notebook page.
public enum NotebookHTML {
  /// How many headings a page needs before it gets a table of contents.
  public static let contentsFrom = 4

  /// One self-contained HTML page for the outcomes of a run.
  /// `quick` notes on the page that the run was in quick mode; `hideInput` leaves out the code
  /// of code cells, and cells with no output (nbconvert's `--no-input`).
  public static func page(
    _ outcomes: [CellOutcome], title: String, builtins: Set<String> = [], quick: Bool = false,
    pageFolder: String? = nil, hideInput: Bool = false
  ) -> String {
    let codeCells = outcomes.filter { $0.cell.kind == .code }
    // A notebook that opens with its own `# Heading` names the page; the file name goes small.
    var heading: String?
    if let first = outcomes.first?.cell, first.kind == .markdown, first.title.isEmpty,
      let line = first.source.split(separator: "\n").first, let (level, text) = MarkdownHTML.heading(String(line)), level == 1
    {
      heading = text
    }
    let (markdown, headings, hasMath) = renderMarkdown(outcomes, codeCells: codeCells.count, builtins: builtins)
    let katex = hasMath ? KaTeX.assets : nil
    var html = pageHead(outcomes, title: title, heading: heading, katexCSS: katex?.css, quick: quick)
    if headings.count >= contentsFrom { html += contents(headings) }
    var number = 0
    var figureNumber = 0
    for (index, outcome) in outcomes.enumerated() {
      if outcome.cell.kind == .markdown {
        html += "<section class=\"cell markdown\">\n" + (markdown[index] ?? "") + "</section>\n"
        continue
      }
      number += 1
      html += codeCell(outcome, number: number, figureNumber: &figureNumber, builtins: builtins,
                       pageFolder: pageFolder, hideInput: hideInput)
    }
    html += "</main>\n"
    if let katex { html += "<script>\n\(katex.js)\n</script>\n<script>\n\(KaTeX.renderScript)\n</script>\n" }
    html += "</body>\n</html>\n"
    return html
  }

  /// The markdown cells rendered first (by outcome index): their headings feed the table of
  /// contents, and whether any has math decides on KaTeX.
  static func renderMarkdown(_ outcomes: [CellOutcome], codeCells: Int, builtins: Set<String>)
    -> (html: [Int: String], headings: [MarkdownHTML.Heading], hasMath: Bool) {
    var slugs = MarkdownHTML.Slugs(reserved: ["contents"] + (0..<codeCells).map { "cell-\($0 + 1)" })
    var markdown: [Int: String] = [:]
    var headings: [MarkdownHTML.Heading] = []
    var hasMath = false
    for (i, outcome) in outcomes.enumerated() where outcome.cell.kind == .markdown {
      var section = ""
      if !outcome.cell.title.isEmpty {
        let title = MarkdownHTML.render("## " + outcome.cell.title, slugs: &slugs)
        section += "<h2 class=\"cell-title\"" + title.html.dropFirst(3)  // `<h2 id=…>`
        headings += title.headings
        hasMath = hasMath || title.hasMath
      }
      let body = MarkdownHTML.render(outcome.cell.source, builtins: builtins, slugs: &slugs)
      markdown[i] = section + body.html
      headings += body.headings
      hasMath = hasMath || body.hasMath
    }
    return (markdown, headings, hasMath)
  }

  /// The page up to its first cell: the document head with the styles, and the header with the
  /// title (or the notebook's own heading), the cell count, the time, failures and the version.
  static func pageHead(_ outcomes: [CellOutcome], title: String, heading: String?, katexCSS: String?, quick: Bool) -> String {
    let codeCells = outcomes.filter { $0.cell.kind == .code }
    let total = codeCells.reduce(0) { $0 + $1.seconds }
    let failures = outcomes.filter(\.failed).count
    let pageTitle = heading.map { "\($0) — \(title)" } ?? title
    let titleLine = heading == nil ? "<h1 class=\"nb-title\">\(htmlEscape(title))</h1>\n" : ""
    let fileNote = heading == nil ? "" : "<span class=\"nb-file\">\(htmlEscape(title))</span> · "
    return """
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
      \(katexCSS.map { "<style>\n\($0)\n</style>\n" } ?? "")</head>
      <body>
      <main>
      <header class="nb-header\(heading == nil ? "" : " compact")">
      \(titleLine)<p class="nb-meta">\(fileNote)\(codeCells.count) code cell\(codeCells.count == 1 ? "" : "s") · \(htmlEscape(formatDuration(total))) in all\(failures > 0 ? " · <span class=\"nb-failed\">\(failures) failed</span>" : "")\(quick ? " · quick mode" : "") · lebm \(CLI.version)</p>
      </header>

      """
  }

  /// One code cell: its head (number, title, status, time), its highlighted source, then its
  /// outputs (printed text, figures, value, error); with `hideInput`, the outputs alone.
  static func codeCell(
    _ outcome: CellOutcome, number: Int, figureNumber: inout Int, builtins: Set<String>, pageFolder: String?, hideInput: Bool
  ) -> String {
    let cell = outcome.cell
    var outputs = ""
    if !outcome.output.isEmpty {
      outputs += "<pre class=\"output stdout\">\(htmlEscape(trimmingFinalNewline(outcome.output)))</pre>\n"
    }
    for figure in outcome.figures {
      figureNumber += 1
      outputs += figureHTML(figure, number: figureNumber, pageFolder: pageFolder)
    }
    if let echo = outcome.echo {
      outputs += "<pre class=\"output value\">\(htmlEscape(trimmingFinalNewline(echo)))</pre>\n"
    }
    if let error = outcome.error {
      outputs += "<pre class=\"output error\">\(htmlEscape(trimmingFinalNewline(error)))</pre>\n"
    }
    if hideInput {
      // nbconvert's --no-input: the outputs alone; a cell without any leaves nothing
      guard !outputs.isEmpty else { return "" }
      return "<section class=\"cell code no-input\" id=\"cell-\(number)\">\n<div class=\"outputs\">\n" + outputs + "</div>\n</section>\n"
    }
    var classes = "cell code"
    if outcome.failed { classes += " error" }
    if !outcome.ran { classes += " skipped" }
    var html = "<section class=\"\(classes)\" id=\"cell-\(number)\">\n<div class=\"cell-head\">"
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
    if !outputs.isEmpty { html += "<div class=\"outputs\">\n" + outputs + "</div>\n" }
    return html + "</section>\n"
  }

  /// A figure on the page, in its own format, carried in the page as a data: URL (the page stays
  /// one file): a PNG or an SVG as an `<img>`, a PDF as an `<object>` whose fallback is a download
  /// link (browsers refuse to open a data: URL as a page, but save it); its `[figure]` line when
  /// the file could not be read. An SVG goes in an `<img>`, not inline: a browser shows an image's
  /// SVG as a picture only — no script runs, no event handler fires, no external resource or
  /// foreign object loads — whatever the file holds, and its ids cannot clash with the page's.
  static func figureHTML(_ figure: NotebookFigure, number: Int, pageFolder: String?) -> String {
    guard let data = figure.data else {
      return "<pre class=\"output stdout\">\(htmlEscape(figure.unreadableLine(from: pageFolder)))</pre>\n"
    }
    let shown = htmlEscape(PageLinks.relative(figure.path, from: pageFolder))  // not the machine's absolute path
    let url = "data:\(figure.format.mimeType);base64,\(base64(data))"
    // Every format at the figure's layout size (one CSS pixel per 1/100 inch layout unit, as a PNG
    // at 100 dpi): a PNG's pixels over its scale, an SVG's or PDF's points (1/72 inch) × 100/72.
    let (w, h) = figure.format == .png
      ? (figure.output.width / figure.scale, figure.output.height / figure.scale)
      : (Int((Double(figure.output.width) * 100 / 72).rounded()), Int((Double(figure.output.height) * 100 / 72).rounded()))
    let size = "width=\"\(w)\" height=\"\(h)\""
    let file = htmlEscape(baseName(figure.path))
    let body = figure.format == .pdf
      ? "<object data=\"\(url)\" type=\"application/pdf\" \(size)><a href=\"\(url)\" download=\"\(file)\">figure \(number) (PDF): download \(file)</a></object>"
      : "<img src=\"\(url)\" \(size) alt=\"figure \(number): \(shown)\">"
    return "<figure class=\"output figure\">\(body)<figcaption>\(shown)</figcaption></figure>\n"
  }

  /// The table of contents: a link to each heading, indented by level.
  static func contents(_ headings: [MarkdownHTML.Heading]) -> String {
    let top = headings.map(\.level).min() ?? 1
    var html = "<nav class=\"toc\" id=\"contents\">\n<p class=\"toc-title\">Contents</p>\n<ul>\n"
    for h in headings {
      html += "<li class=\"toc-\(min(h.level - top, 3))\"><a href=\"#\(htmlEscape(h.id))\">\(h.html)</a></li>\n"
    }
    return html + "</ul>\n</nav>\n"
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
    .cell.markdown h1[id], .cell.markdown h2[id], .cell.markdown h3[id] { scroll-margin-top: 1rem; }
    .math { font-family: ui-monospace, Menlo, monospace; font-size: .9em; }
    .math.display { display: block; text-align: center; margin: .75rem 0; overflow-x: auto; overflow-y: hidden; }
    .math .katex { font-size: 1.1em; } .math.display .katex-display { margin: 0; }
    nav.toc { border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0 1.5rem; font-size: .9rem; }
    nav.toc .toc-title { margin: 0 0 .25rem; font-weight: 600; }
    nav.toc ul { list-style: none; margin: 0; padding: 0; }
    nav.toc .toc-1 { padding-left: 1.25rem; } nav.toc .toc-2 { padding-left: 2.5rem; } nav.toc .toc-3 { padding-left: 3.75rem; }
    nav.toc a { text-decoration: none; }
    .cell.code.no-input { border: none; }
    .cell.code.no-input .outputs { border-top: none; }
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
