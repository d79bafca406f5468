// Markdown through cmark-gfm: the CommonMark cases the old hand-written converter got wrong,
// GitHub's tables, strikethrough and autolinks, `$` math kept away from markdown, heading ids,
// the table of contents, `--no-input`, and the page's self-containment (no http sources).
import Glibc
import Testing

@testable import REPL
import Support

/// Every `src="…"` and `href="…"` value in `html`, with the tag it is on.
func attributeValues(_ html: String) -> [(tag: String, name: String, value: String)] {
  var out: [(String, String, String)] = []
  let c = Array(html)
  var i = 0
  var tag = ""
  while i < c.count {
    if c[i] == "<" {
      tag = String(c[(i + 1)...].prefix { $0.isLetter || $0.isNumber }).lowercased()
    }
    for name in ["src", "href"] {
      let key = Array(" \(name)=\"")
      if i + key.count <= c.count, Array(c[i..<(i + key.count)]) == key {
        let start = i + key.count
        let end = c[start...].firstIndex(of: "\"") ?? c.count
        out.append((tag, name, String(c[start..<end])))
      }
    }
    i += 1
  }
  return out
}

extension REPLSuites {
  @Suite struct MarkdownTests {
    @Test func commonMarkEmphasisEntitiesAndReferenceLinks() {
      #expect(MarkdownHTML.inline("***x***") == "<em><strong>x</strong></em>")
      #expect(MarkdownHTML.inline("*a **b** c*") == "<em>a <strong>b</strong> c</em>")
      #expect(MarkdownHTML.inline("&alpha; &amp; &#955; &copy;") == "α &amp; λ ©")
      #expect(MarkdownHTML.inline("loss_g_e and snake_case_name") == "loss_g_e and snake_case_name")
      #expect(MarkdownHTML.inline("~~gone~~ and www.example.com") == "<del>gone</del> and <a href=\"http://www.example.com\">www.example.com</a>")
      let refs = MarkdownHTML.render("""
        See [the paper][PANG] and [notes][] again.

        [pang]: https://arxiv.org/abs/2006.08205 "Pang et al."
        [Notes]: ./notes.html
        """)
      #expect(refs == "<p>See <a href=\"https://arxiv.org/abs/2006.08205\" title=\"Pang et al.\">the paper</a> and <a href=\"./notes.html\">notes</a> again.</p>\n")
      // an undefined reference stays text
      #expect(MarkdownHTML.inline("[nowhere][x]") == "[nowhere][x]")
    }

    /// Markdown nested 100 000 deep, in each of the four shapes: the page renders it (its walk keeps
    /// its own stack) and the terminal draws the first levels nested and the rest flat.
    @Test func deepNestingRendersWithoutOverflowingTheStack() {
      let depth = 100_000
      let shapes = [
        ("quotes", String(repeating: "> ", count: depth) + "deep text"),
        ("bullets", String(repeating: "- ", count: depth) + "deep text"),
        ("numbers", String(repeating: "1. ", count: depth) + "deep text"),
        ("mixed", String(repeating: "> - 1. ", count: depth / 3) + "deep text"),
      ]
      for (name, markdown) in shapes {
        let cell = CellOutcome(cell: NotebookCell(kind: .markdown, title: name, source: markdown, line: 1))
        let page = NotebookHTML.page([cell], title: "deep.lebm")
        #expect(page.contains("deep text"), "\(name)")
        let open = page.occurrences(of: "<blockquote>") + page.occurrences(of: "<li>")
        #expect(open >= depth / 3, "\(name): \(open) levels")
        let text = TerminalMarkdown.render(markdown, style: TerminalStyle(color: false, width: 80))
        #expect(text.contains("deep text"), "\(name)")
        let widest = text.split(separator: "\n").map(\.count).max() ?? 0
        #expect(widest < 200, "\(name): lines stay short, not one prefix per level (\(widest))")
      }
      // emphasis nested deep: the heading's text and the terminal's styles
      let emphasis = String(repeating: "*a ", count: depth) + "core" + String(repeating: " b*", count: depth)
      #expect(MarkdownHTML.render("# " + emphasis).contains("core"))
      #expect(TerminalMarkdown.render(emphasis, style: TerminalStyle(color: true, width: 80)).contains("core"))
    }

    @Test func tablesListsQuotesAndCode() {
      let html = MarkdownHTML.render("""
        | name | value |
        |:-----|------:|
        | a | **2** |

        1. first
        2. second
           - nested

        > quoted *text*

        ```lebm
        x = randn([2])  # hi
        ```

            indented < code
        """, builtins: ["randn"])
      #expect(html.contains("<th style=\"text-align: left\">name</th>\n<th style=\"text-align: right\">value</th>"))
      #expect(html.contains("<td style=\"text-align: right\"><strong>2</strong></td>"))
      #expect(html.contains("<ol>\n<li>first</li>\n<li>second\n<ul>\n<li>nested</li>\n</ul>\n</li>\n</ol>"))
      #expect(html.contains("<blockquote>\n<p>quoted <em>text</em></p>\n</blockquote>"))
      #expect(html.contains("<pre class=\"md-code\"><code class=\"language-lebm\">x = <span class=\"b\">randn</span>([<span class=\"n\">2</span>])  <span class=\"c\"># hi</span></code></pre>"))
      #expect(html.contains("<pre class=\"md-code\"><code>indented &lt; code</code></pre>"))
      let escaped = MarkdownHTML.render("| a |\n|---|\n| `x\\|y` |\n")
      #expect(escaped.contains("<td><code>x|y</code></td>"))
    }

    @Test func rawHTMLIsShownAsText() {
      let html = MarkdownHTML.render("# A <b>title</b>\n\ntext <img src=x onerror=alert(1)> more\n\n<script>alert(1)</script>\n")
      #expect(html.contains("<h1 id=\"a-btitleb\">A &lt;b&gt;title&lt;/b&gt;</h1>"))
      #expect(html.contains("text &lt;img src=x onerror=alert(1)&gt; more"))
      #expect(html.contains("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"))
      #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>"))
    }

    @Test func mathIsKeptAwayFromMarkdown() {
      let inline = MarkdownHTML.inline("energy $a_1 * b_2 * c_3$ and *em*")
      #expect(inline == "energy <span class=\"math inline\">a_1 * b_2 * c_3</span> and <em>em</em>")
      #expect(MarkdownHTML.inline("$x < y$") == "<span class=\"math inline\">x &lt; y</span>")
      #expect(MarkdownHTML.inline("*around $x_i$ math*") == "<em>around <span class=\"math inline\">x_i</span> math</em>")
      // dollars that are not math
      #expect(MarkdownHTML.inline("costs $5 and $10") == "costs $5 and $10")
      #expect(MarkdownHTML.inline("a \\$x$ b") == "a $x$ b")
      #expect(MarkdownHTML.inline("$ x$ and $x $") == "$ x$ and $x $")
      // math inside code is code
      #expect(MarkdownHTML.inline("`$a_1$`") == "<code>$a_1$</code>")
      #expect(MarkdownHTML.render("```\n$a_1 * b_2$\n```\n") == "<pre class=\"md-code\"><code>$a_1 * b_2$</code></pre>\n")
      // display math, across lines
      let display = MarkdownHTML.render("Langevin:\n\n$$\nz_{k+1} = z_k - \\frac{s^2}{2} \\nabla_z E(z_k) + s\\,\\epsilon_k\n$$\n")
      #expect(display.contains("<p><span class=\"math display\">z_{k+1} = z_k - \\frac{s^2}{2} \\nabla_z E(z_k) + s\\,\\epsilon_k</span></p>"))
      var slugs = MarkdownHTML.Slugs()
      #expect(MarkdownHTML.render("$x$", slugs: &slugs).hasMath)
      #expect(!MarkdownHTML.render("no math, $5", slugs: &slugs).hasMath)
    }

    @Test func unsafeLinksAreStillFiltered() {
      #expect(MarkdownHTML.inline("[c](javascript:alert(1))") == "<a href=\"#\">c</a>")
      #expect(MarkdownHTML.inline("[c](jav&#x61;script:alert(1))") == "<a href=\"#\">c</a>")
      #expect(MarkdownHTML.inline("<javascript:alert(1)>") == "<a href=\"#\">javascript:alert(1)</a>")
      #expect(MarkdownHTML.inline("[c][r]\n\n[r]: data:text/html,x").hasPrefix("<a href=\"#\">c</a>"))
      #expect(MarkdownHTML.inline("![a](data:image/png;base64,AAAA)") == "a")
      #expect(MarkdownHTML.inline("[m]($javascript:x$)") == "<a href=\"#\">m</a>")
    }

    @Test func headingsGetUniqueIdsAndLongPagesAContentsList() {
      var slugs = MarkdownHTML.Slugs(reserved: ["cell-1"])
      let r = MarkdownHTML.render("# Cell 1\n## The *energy* $E(z)$\n## The energy E(z)\n### ¡Olé!\n", slugs: &slugs)
      #expect(r.headings.map(\.id) == ["cell-1-1", "the-energy-ez", "the-energy-ez-1", "olé"])
      #expect(r.html.contains("<h2 id=\"the-energy-ez\">The <em>energy</em> <span class=\"math inline\">E(z)</span></h2>"))
      #expect(r.headings[1].html == "The energy <span class=\"math inline\">E(z)</span>")
      let cells = ["# One\n\ntext", "## Two", "## Three"].map { CellOutcome(cell: NotebookCell(kind: .markdown, source: $0, line: 1)) }
      let short = NotebookHTML.page(cells, title: "t.lebm")
      #expect(!short.contains("<nav class=\"toc\""))
      let titled = CellOutcome(cell: NotebookCell(kind: .markdown, title: "Four", source: "more", line: 1))
      let long = NotebookHTML.page(cells + [titled], title: "t.lebm")
      #expect(long.contains("<nav class=\"toc\" id=\"contents\">"))
      #expect(long.contains("<li class=\"toc-1\"><a href=\"#four\">Four</a></li>"))
      #expect(long.contains("<h2 class=\"cell-title\" id=\"four\">Four</h2>"))
    }

    @Test func pagesCarryKaTeXOnlyWithMathAndNothingRemote() {
      let hostile = PageLinksTests.links.map(\.0) + PageLinksTests.images.map(\.0)
      let markdown = "# Page\n\nThe prior $p_\\alpha(z) \\propto \\exp(f_\\alpha(z))\\,p_0(z)$.\n\n$$\\|z\\|^2$$\n\n" + hostile.joined(separator: "\n\n")
      let withMath = NotebookHTML.page([CellOutcome(cell: NotebookCell(kind: .markdown, source: markdown, line: 1))], title: "t.lebm")
      let without = NotebookHTML.page([CellOutcome(cell: NotebookCell(kind: .markdown, source: "plain", line: 1))], title: "t.lebm")
      #expect(!without.contains("<script"))
      if let katex = KaTeX.assets {
        #expect(withMath.contains(katex.js) && withMath.contains("katex.render("))
        #expect(withMath.contains("src:url(data:font/woff2;base64,"))
        #expect(!withMath.contains("url(fonts/"))
      }
      for page in [withMath, without] {
        let lower = page.lowercased()
        for (tag, name, value) in attributeValues(lower) {
          // what the page loads comes from itself: nothing fetched from a network
          if name == "src" || tag != "a" {
            #expect(!value.hasPrefix("http") && !value.hasPrefix("//"), "\(tag) \(name)=\(value)")
          }
          #expect(!value.hasPrefix("javascript:") && !value.hasPrefix("vbscript:") && !(tag == "a" && value.hasPrefix("data:")), "\(tag) \(name)=\(value)")
        }
        #expect(!lower.contains("<link") && !lower.contains("url(http") && !lower.contains("@import"))
      }
    }

    @Test func katexFontsBecomeDataURLs() {
      let dir = temporaryFolder("katex")
      defer { removeFolder(dir) }
      _ = mkdir(dir + "/fonts", 0o755)
      writeText(dir + "/katex.min.js", "var katex = {};")
      writeText(dir + "/katex.min.css", "@font-face{font-family:A;src:url(fonts/A.woff2) format('woff2'),url(fonts/A.woff) format('woff');font-weight:400}@font-face{font-family:B;src:url(fonts/B.woff2) format('woff2');font-style:normal}.katex{x:1}")
      writeText(dir + "/fonts/A.woff2", "wOF2")
      guard let assets = KaTeX.load(from: dir) else {
        Issue.record("the assets were not read")
        return
      }
      #expect(assets.css == "@font-face{font-family:A;src:url(data:font/woff2;base64,d09GMg==) format('woff2');font-weight:400}@font-face{font-family:B;src:local('KaTeX');font-style:normal}.katex{x:1}")
      #expect(KaTeX.load(from: dir + "/missing") == nil)
    }

    @Test func noInputLeavesOutputsOnly() {
      var ran = CellOutcome(cell: NotebookCell(kind: .code, source: "print(\"shown\")", line: 1))
      ran.ran = true
      ran.output = "shown\n"
      var quiet = CellOutcome(cell: NotebookCell(kind: .code, source: "x = secret_code()", line: 2))
      quiet.ran = true
      let page = NotebookHTML.page([ran, quiet], title: "t.lebm", hideInput: true)
      #expect(page.contains("<pre class=\"output stdout\">shown</pre>"))
      #expect(!page.contains("secret_code") && !page.contains("class=\"source\"") && !page.contains("id=\"cell-2\""))
      let full = NotebookHTML.page([ran, quiet], title: "t.lebm")
      #expect(full.contains("secret_code") && full.contains("id=\"cell-2\""))
      let md = NotebookMarkdown.text([ran, quiet], title: "t.lebm", hideInput: true) { "f\($0).png" }
      #expect(md.contains("```text\nshown\n```") && !md.contains("secret_code") && !md.contains("**[1]**"))
    }

    @Test func notebookRunsInItsFolderStreamsAndDropsTheFigurePathEcho() {
      let dir = temporaryFolder("nb-folder")
      defer { removeFolder(dir) }
      _ = mkdir(dir + "/sub", 0o755)
      writeText(dir + "/sub/nb.lebm", """
        # %%
        print("streamed")
        plot_hist(randn([50]), "rel.png")
        """)
      let before = PageLinks.currentDirectory()
      let (console, captured) = Console.capturing()
      #expect(chdir(dir) == 0)
      let status = CLI.main(["notebook", "sub/nb.lebm", "--no-input"], backend: { LangBackend() }, console: console)
      #expect(PageLinks.currentDirectory() == dir || PageLinks.currentDirectory()?.hasSuffix(baseName(dir)) == true)
      if let before { _ = chdir(before) }
      #expect(status == 0, "\(captured.all)")
      #expect(captured.out.contains("streamed"))
      #expect(access(dir + "/sub/rel.png", F_OK) == 0, "the figure lands beside the notebook")
      #expect(access(dir + "/rel.png", F_OK) != 0)
      let page = (try? readTextFile(dir + "/sub/nb.html")) ?? ""
      #expect(page.contains("<figcaption>rel.png</figcaption>"))
      #expect(!page.contains("<pre class=\"output value\">"), "the path is not echoed under the figure")
      #expect(!page.contains("class=\"source\""))
    }
  }

  @Suite struct TerminalMarkdownTests {
    let plain = TerminalStyle(color: false, width: 60)

    @Test func emphasisCodeLinksAndEntities() {
      #expect(TerminalMarkdown.render("***x*** and *a **b** c* and &alpha;", style: plain) == "x and a b c and α\n")
      let color = TerminalStyle(color: true, width: 60)
      #expect(TerminalMarkdown.render("***x***", style: color) == "\u{1B}[3m\u{1B}[1mx\u{1B}[0m\u{1B}[0m\n")
      #expect(TerminalMarkdown.render("see [the paper][p]\n\n[p]: https://arxiv.org/abs/2006.08205", style: plain)
        == "see the paper (https://arxiv.org/abs/2006.08205)\n")
      #expect(TerminalMarkdown.render("`x` and ~~y~~", style: plain) == "`x` and ~y~\n")
    }

    @Test func listsQuotesCodeAndTables() {
      let text = TerminalMarkdown.render("""
        ## Steps

        1. first
        2. second
           - nested

        > a quote

        ```
        x = 1
        ```

        | name | n |
        |------|--:|
        | a | 10 |
        | bb | 2 |
        """, style: plain)
      #expect(text == """
        Steps

          1. first
          2. second
               • nested

        │ a quote

            x = 1

          name   n
          ────  ──
          a     10
          bb     2

        """)
    }

    @Test func mathReadsAsUnicode() {
      #expect(TeXText.unicode("\\|z\\|^2") == "‖z‖²")
      #expect(TeXText.unicode("\\nabla_z E(z) + \\sigma^2") == "∇_z E(z) + σ²")
      #expect(TeXText.unicode("z_{k+1} = z_k - \\frac{s^2}{2}") == "zₖ₊₁ = zₖ - s²/2")
      #expect(TeXText.unicode("\\alpha \\in \\mathbb{R}^{n}, \\sqrt{x+1}, \\unknown") == "α ∈ ℝⁿ, √(x+1), \\unknown")
      #expect(TerminalMarkdown.render("energy $E_\\alpha(z) = \\|z\\|^2$ here", style: plain) == "energy E_α(z) = ‖z‖² here\n")
      #expect(TerminalMarkdown.render("$$\n\\nabla_z \\log p\n$$", style: plain) == "    ∇_z log p\n")
      let color = TerminalStyle(color: true, width: 60)
      #expect(TerminalMarkdown.render("$\\sigma$", style: color) == "\u{1B}[3;35mσ\u{1B}[0m\n")
    }
  }
}

extension String {
  /// How many times `piece` occurs in the string (not overlapping).
  func occurrences(of piece: String) -> Int { split(separator: piece, omittingEmptySubsequences: false).count - 1 }
}
