// Markdown as the notebook page's HTML: cmark-gfm's renderer over a tree rewritten first so the
// page stays safe and self-contained (raw HTML shown as text, links and images through
// PageLinks, lebm code highlighted), headings given ids, and math left in spans for KaTeX.

/// CommonMark (with tables, strikethrough, autolinks and `$` math) as HTML.
public enum MarkdownHTML {
  /// A heading of the page, for its table of contents.
  public struct Heading: Equatable, Sendable {
    public var level: Int
    /// Its text without markup; math as KaTeX spans (HTML).
    public var html: String
    /// Its `id` on the page.
    public var id: String
  }

  /// What rendering a markdown text gave.
  public struct Rendered: Equatable, Sendable {
    public var html: String
    public var headings: [Heading]
    /// Whether the text has math (the page then carries KaTeX).
    public var hasMath: Bool
  }

  /// The ids given out on one page, so each is unique.
  public struct Slugs: Sendable {
    var used: Set<String>

    /// A set that already holds `reserved` (ids the page uses itself, e.g. `cell-1`).
    public init(reserved: [String] = []) { used = Set(reserved) }

    /// GitHub's rule: lower case, letters, digits, `-` and `_` kept, spaces to `-`, the rest
    /// dropped; `-1`, `-2`, … added when the id is taken; `section` when nothing is left.
    public mutating func make(_ text: String) -> String {
      var slug = ""
      for ch in text.lowercased() {
        if ch.isLetter || ch.isNumber || ch == "-" || ch == "_" {
          slug.append(ch)
        } else if ch == " " {
          slug.append("-")
        }
      }
      if slug.isEmpty { slug = "section" }
      var id = slug, n = 0
      while used.contains(id) {
        n += 1
        id = "\(slug)-\(n)"
      }
      used.insert(id)
      return id
    }
  }

  /// `markdown` as HTML, with heading ids unique within it.
  public static func render(_ markdown: String, builtins: Set<String> = []) -> String {
    var slugs = Slugs()
    return render(markdown, builtins: builtins, slugs: &slugs).html
  }

  /// `markdown` as HTML; heading ids come from `slugs`, shared by the page's cells.
  public static func render(_ markdown: String, builtins: Set<String> = [], slugs: inout Slugs) -> Rendered {
    let doc = Markdown(markdown)
    var found: [(level: Int, text: String)] = []
    rewrite(doc.root, doc, builtins: builtins, headings: &found)
    let math: (MathSpan) -> String = { span in
      "<span class=\"math \(span.display ? "display" : "inline")\">\(htmlEscape(span.tex))</span>"
    }
    // cmark writes headings as bare `<hN>` (raw HTML is text by now, so no other `<hN>` is there).
    var headings: [Heading] = []
    var out = "", rest = Substring(doc.html())
    for h in found {
      guard let open = rest.firstRange(of: "<h\(h.level)>") else { break }
      let id = slugs.make(doc.replacingMath(in: h.text) { $0.tex })
      headings.append(Heading(level: h.level, html: doc.replacingMath(in: htmlEscape(h.text), math), id: id))
      out += rest[..<open.lowerBound] + "<h\(h.level) id=\"\(htmlEscape(id))\">"
      rest = rest[open.upperBound...]
    }
    return Rendered(html: doc.replacingMath(in: out + rest, math), headings: headings, hasMath: !doc.math.isEmpty)
  }

  /// One paragraph's inline markup as HTML, without the `<p>`.
  public static func inline(_ text: String) -> String {
    var html = render(text)
    if html.hasPrefix("<p>") { html.removeFirst(3) }
    if html.hasSuffix("</p>\n") { html.removeLast(5) }
    return html
  }

  /// The level and text of `line` when it is a heading (`# Title`, math as written).
  public static func heading(_ line: String) -> (Int, String)? {
    let doc = Markdown(line)
    guard let first = doc.root.children.first, first.type == "heading" else { return nil }
    return (first.headingLevel, doc.restoringMath(in: first.plainText))
  }

  /// Makes the tree safe to render with cmark's filter off: raw HTML becomes text, every link
  /// target goes through ``PageLinks``, images become `<img>` (local), a link (remote) or their
  /// alt text (rejected), code blocks are highlighted, and math inside code is put back as written.
  /// The walk keeps its own stack (document order), so markdown nested 100 000 deep (`> > > …`)
  /// costs memory, never the native stack.
  static func rewrite(_ root: MarkdownNode, _ doc: Markdown, builtins: Set<String>, headings: inout [(level: Int, text: String)]) {
    var pending = [root]
    while let node = pending.popLast() {
      if rewriteNode(node, doc, builtins: builtins, headings: &headings) {
        pending.append(contentsOf: node.children.reversed())
      }
    }
  }

  /// Rewrites one node; whether its children are still to be walked (false when it was replaced).
  static func rewriteNode(_ node: MarkdownNode, _ doc: Markdown, builtins: Set<String>, headings: inout [(level: Int, text: String)]) -> Bool {
    switch node.type {
    case "html_block":
      let text = trimmingFinalNewline(doc.restoringMath(in: node.literal))
      node.replace(withHTML: "<p>\(htmlEscape(text))</p>\n", block: true)
      return false
    case "html_inline":
      node.replace(withHTML: htmlEscape(doc.restoringMath(in: node.literal)), block: false)
      return false
    case "code_block":
      let text = trimmingFinalNewline(doc.restoringMath(in: node.literal))
      let language = String(node.fenceInfo.prefix { !$0.isWhitespace })
      // an unlabelled fence is lebm unless it looks like a shell line; an indented block is text
      let body = language == "lebm" || language.isEmpty && node.isFenced && looksLikeLebm(text)
        ? LebmHighlighter.html(text, builtins: builtins) : htmlEscape(text)
      let cls = language.isEmpty ? "" : " class=\"language-\(htmlEscape(language))\""
      node.replace(withHTML: "<pre class=\"md-code\"><code\(cls)>\(body)</code></pre>\n", block: true)
      return false
    case "code":
      node.setLiteral(doc.restoringMath(in: node.literal))
      return false
    case "link":
      node.setURL(safeURL(doc.restoringMath(in: node.url)))
      if !node.title.isEmpty { node.setTitle(doc.restoringMath(in: node.title)) }
    case "image":
      let alt = doc.restoringMath(in: node.plainText)
      let html: String
      switch PageLinks.check(doc.restoringMath(in: node.url)) {
      case .local(let src): html = "<img src=\"\(htmlEscape(src))\" alt=\"\(htmlEscape(alt))\">"
      // A page is self-contained: a remote image is not fetched, its link is shown instead.
      case .remote(let src): html = "<a href=\"\(htmlEscape(src))\">\(htmlEscape(alt.isEmpty ? src : alt))</a>"
      case .rejected: html = htmlEscape(alt)
      }
      node.replace(withHTML: html, block: false)
      return false
    case "heading":
      headings.append((node.headingLevel, node.plainText))
    default:
      break
    }
    return true
  }

  /// Whether an unlabelled code block is lebm (it is, in these notebooks, unless it looks like a
  /// shell command line).
  static func looksLikeLebm(_ text: String) -> Bool {
    let t = trimmed(text)
    return !(t.hasPrefix("$ ") || t.hasPrefix("lebm ") || t.hasPrefix("swift "))
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
