// Notebook pages carry no script from their authors: hostile link targets and image sources (a scheme hidden behind
// a control character, whitespace or character references) are not emitted, remote images are
// not fetched, and figure captions show paths relative to the page.
import Testing

@testable import REPL
import Support

extension REPLSuites {
  @Suite struct PageLinksTests {
    /// Markdown → the HTML emitted for it.
    static let links: [(String, String)] = [
      ("[click](\u{01}javascript:alert(document.domain))", "<a href=\"#\">click</a>"),
      ("[c](javascript:alert(1))", "<a href=\"#\">c</a>"),
      ("[c](JaVaScRiPt:alert(1))", "<a href=\"#\">c</a>"),
      ("[c](\u{1F}\u{7F}javascript:alert(1))", "<a href=\"#\">c</a>"),
      // whitespace cannot be in a link destination (CommonMark): no link at all
      ("[c](java\u{09}script:alert(1))", "[c](java\u{09}script:alert(1))"),
      ("[c](java\u{200B}script:alert(1))", "<a href=\"#\">c</a>"),
      ("[c](\u{85}javascript:alert(1))", "<a href=\"#\">c</a>"),
      ("[c](jav&#x61;script:alert(1))", "<a href=\"#\">c</a>"),
      ("[c](jav&#97;script:alert(1))", "<a href=\"#\">c</a>"),
      ("[c](javascript&colon;alert(1))", "<a href=\"#\">c</a>"),
      ("[c](java&Tab;script:alert(1))", "<a href=\"#\">c</a>"),
      ("[c](vbscript:msgbox(1))", "<a href=\"#\">c</a>"),
      ("[c](data:text/html;base64,PHNjcmlwdD4=)", "<a href=\"#\">c</a>"),
      ("[c](file:///etc/passwd)", "<a href=\"#\">c</a>"),
      ("[ok](https://example.com/a?b=1&c=2)", "<a href=\"https://example.com/a?b=1&amp;c=2\">ok</a>"),
      ("[ok](HTTP://example.com)", "<a href=\"HTTP://example.com\">ok</a>"),
      ("[m](mailto:a@example.com)", "<a href=\"mailto:a@example.com\">m</a>"),
      ("[r](notes/page.html)", "<a href=\"notes/page.html\">r</a>"),
      ("[r](a:b/../c)", "<a href=\"#\">r</a>"),
      ("[r](./a:b)", "<a href=\"./a:b\">r</a>"),
      ("[f](#cell-2)", "<a href=\"#cell-2\">f</a>"),
      ("<https://example.com>", "<a href=\"https://example.com\">https://example.com</a>"),
    ]

    /// Image markdown → the HTML emitted for it.
    static let images: [(String, String)] = [
      ("![alt](\u{01}javascript:alert(1))", "alt"),
      ("![alt](jav&#x61;script:alert(1))", "alt"),
      // `<` cannot be in a destination: no image, and the raw HTML is shown as text
      ("![alt](data:image/svg+xml,<svg onload=alert(1)>)", "![alt](data:image/svg+xml,&lt;svg onload=alert(1)&gt;)"),
      ("![alt](https://example.com/x.png)", "<a href=\"https://example.com/x.png\">alt</a>"),
      ("![](http://example.com/x.png)", "<a href=\"http://example.com/x.png\">http://example.com/x.png</a>"),
      ("![alt](//example.com/x.png)", "<a href=\"//example.com/x.png\">alt</a>"),
      ("![alt](figs/x.png)", "<img src=\"figs/x.png\" alt=\"alt\">"),
    ]

    @Test func hostileLinkTargetsAreNotEmitted() {
      for (markdown, html) in Self.links {
        #expect(MarkdownHTML.inline(markdown) == html, "\(markdown.debugDescription)")
      }
    }

    @Test func imagesAreLocalOrShownAsLinks() {
      for (markdown, html) in Self.images {
        #expect(MarkdownHTML.inline(markdown) == html, "\(markdown.debugDescription)")
      }
    }

    @Test func aWholePageCarriesNoScriptURL() {
      let hostile = Self.links.map(\.0).joined(separator: "\n\n") + "\n\n" + Self.images.map(\.0).joined(separator: "\n\n")
      let cell = NotebookCell(kind: .markdown, source: hostile, line: 1)
      let page = NotebookHTML.page([CellOutcome(cell: cell)], title: "t.lebm").lowercased()
      #expect(!page.contains("javascript:"))
      #expect(!page.contains("vbscript:"))
      #expect(!page.contains("href=\"data:"))
      #expect(!page.contains("src=\"http"))
      #expect(!page.contains("src=\"//"))
    }

    /// An SVG figure goes in the page only as an <img> of a base64 data: URL, where a browser runs
    /// none of its scripts or handlers and loads nothing it names, whatever the file holds.
    @Test func svgFiguresAreImagesNotMarkup() {
      let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script><foreignObject><iframe src="javascript:alert(3)"/></foreignObject><image href="http://example.com/x.png"/></svg>"#.utf8)
      var outcome = CellOutcome(cell: NotebookCell(kind: .code, source: "plot()", line: 1))
      outcome.ran = true
      outcome.figures = [NotebookFigure(output: FigureOutput(path: "/w/e.svg", format: .svg, width: 72, height: 72, bytes: svg.count), data: svg)]
      let page = NotebookHTML.page([outcome], title: "t.lebm", pageFolder: "/w")
      #expect(page.contains("<img src=\"data:image/svg+xml;base64,\(base64(svg))\" width=\"100\" height=\"100\" alt=\"figure 1: e.svg\">"))
      for hostile in ["alert", "onload", "<script>a", "foreignObject", "javascript:", "example.com"] {
        #expect(!page.contains(hostile), "\(hostile)")
      }
    }

    @Test func figureCaptionsAreRelativeToThePage() {
      #expect(PageLinks.relative("/home/u/run/figs/a.png", from: "/home/u/run") == "figs/a.png")
      #expect(PageLinks.relative("/home/u/run/figs/a.png", from: "/home/u/pages") == "../run/figs/a.png")
      #expect(PageLinks.relative("/home/u/run/a.png", from: nil) == "a.png")
      #expect(PageLinks.relative("figs/a.png", from: "/x") == "figs/a.png")
      #expect(PageLinks.folder(of: "/a/b/../c/page.html") == "/a/c")
      #expect(PageLinks.absolute("../nb/./e.svg", in: "/w/pages") == "/w/nb/e.svg")
      #expect(PageLinks.absolute("/x/../y.png", in: "/w") == "/y.png")
      // A figure's path is taken against the folder its cell ran in, then shown from the page's.
      let fig = NotebookFigure(output: FigureOutput(path: "e.svg", format: .svg, width: 4, height: 3, bytes: 9), data: nil, folder: "/w/nb")
      #expect(fig.path == "/w/nb/e.svg")
      #expect(fig.unreadableLine(from: "/w/pages") == "[figure] ../nb/e.svg (SVG, 9 B) (could not be read)")
      let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        + Array("IHDR".utf8) + [0, 0, 0, 4, 0, 0, 0, 3, 8, 6, 0, 0, 0]
      var outcome = CellOutcome(cell: NotebookCell(kind: .code, source: "plot()", line: 1))
      outcome.ran = true
      let output = FigureOutput(path: "/home/someone/secret/run/figs/loss.png", format: .png, width: 4, height: 3, bytes: png.count)
      outcome.figures = [NotebookFigure(output: output, data: png)]
      let page = NotebookHTML.page([outcome], title: "t.lebm", pageFolder: "/home/someone/secret/run")
      #expect(page.contains("<figcaption>figs/loss.png</figcaption>"))
      #expect(!page.contains("/home/someone"))
      let md = NotebookMarkdown.text([outcome], title: "t.lebm", pageFolder: "/home/someone/secret/run") { "t_files/fig\($0).png" }
      #expect(md.contains("![figure 1: figs/loss.png](t_files/fig1.png)"))
      #expect(!md.contains("/home/someone"))
    }
  }
}
