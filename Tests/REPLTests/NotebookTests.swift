// `lebm notebook`: percent-format parsing, the HTML page and the Markdown output, run on the real
// interpreter (a real plot builtin makes the figure) in a temporary folder.
import Glibc
import Testing

@testable import REPL
import Support

/// A fresh temporary folder (unique; the test removes it with ``removeFolder(_:)``).
func temporaryFolder(_ name: String) -> String {
  try! makeTemporaryDirectory(prefix: "lebm-notebook-\(name)")
}

/// Removes a folder and everything in it.
func removeFolder(_ path: String) { try? removeTree(path) }

func writeText(_ path: String, _ text: String) {
  #expect((try? writeFile(path, text)) != nil)
}

extension REPLSuites {
  @Suite struct NotebookTests {
    @Test func parsesPercentCells() {
      let nb = Notebook.parse("""
        #!/usr/bin/env lebm
        x = 1

        # %% [markdown]
        # # Title
        #
        # Some *text*.
        # %% Train the model
        y = x + 1

        # %% Notes [markdown]
        # more
        #%%
        z = 3
        # %%


        """)
      #expect(nb.cells.map(\.kind) == [.code, .markdown, .code, .markdown, .code])
      #expect(nb.cells[0].source == "x = 1" && nb.cells[0].line == 2)
      #expect(nb.cells[1].source == "# Title\n\nSome *text*.")
      #expect(nb.cells[2].title == "Train the model" && nb.cells[2].source == "y = x + 1" && nb.cells[2].line == 9)
      #expect(nb.cells[3].title == "Notes" && nb.cells[3].source == "more")
      #expect(nb.cells[4].source == "z = 3")
      // blank text before the first marker is no cell; `# %%x` is not a marker
      let blank = Notebook.parse("\n\n# %%\na = 1\n# %%x\n")
      #expect(blank.cells.count == 1 && blank.cells[0].source == "a = 1\n# %%x")
    }

    @Test func crlfNotebooksSplitIntoTheirCells() {
      let nb = Notebook.parse("x = 1\r\n# %% [markdown]\r\n# Hello\r\n# %%\r\nprint(x)\r\n")
      #expect(nb.cells.map(\.kind) == [.code, .markdown, .code])
      #expect(nb.cells.map(\.source) == ["x = 1", "Hello", "print(x)"])
    }

    @Test func markdownConverterEscapesAndFormats() {
      let html = MarkdownHTML.render("""
        # A <b>title</b>

        Some **bold**, *em*, _em too_, `x < 1` and loss_g_e kept; a [link](https://e.com/?a=1&b=2).
        <script>alert(1)</script>

        - one
        - two
          more

        1. first
        2. second

        ```
        x = randn([2])  # hi
        ```

        > quoted

        | a | b |
        |---|--:|
        | 1 | 2 |
        """, builtins: ["randn"])
      #expect(html.contains("<h1 id=\"a-btitleb\">A &lt;b&gt;title&lt;/b&gt;</h1>"))
      #expect(html.contains("<strong>bold</strong>, <em>em</em>, <em>em too</em>, <code>x &lt; 1</code> and loss_g_e kept"))
      #expect(html.contains("<a href=\"https://e.com/?a=1&amp;b=2\">link</a>"))
      #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>"))
      #expect(html.contains("<ul>\n<li>one</li>\n<li>two\nmore</li>\n</ul>"))
      #expect(html.contains("<ol>\n<li>first</li>\n<li>second</li>\n</ol>"))
      #expect(html.contains("<span class=\"b\">randn</span>([<span class=\"n\">2</span>])"))
      #expect(html.contains("<span class=\"c\"># hi</span>"))
      #expect(html.contains("<blockquote>\n<p>quoted</p>\n</blockquote>"))
      #expect(html.contains("<th>a</th>\n<th style=\"text-align: right\">b</th>") && html.contains("<td>1</td>"))
      #expect(MarkdownHTML.inline("[x](javascript:alert(1))") == "<a href=\"#\">x</a>")
    }

    @Test func highlighterClassifiesTokens() {
      let html = LebmHighlighter.html(
        "fn f(a, k: 1.5e-3) { if a > 0 { print(\"a{a}\") } else { none } }  # done\nfor i in 1..10 {}",
        builtins: ["print"])
      #expect(html.contains("<span class=\"k\">fn</span> <span class=\"f\">f</span>(a, k: <span class=\"n\">1.5e-3</span>)"))
      #expect(html.contains("<span class=\"b\">print</span>(<span class=\"s\">&quot;a{a}&quot;</span>)"))
      #expect(html.contains("<span class=\"kc\">none</span>") && html.contains("<span class=\"c\"># done</span>"))
      #expect(html.contains("<span class=\"n\">1</span>..<span class=\"n\">10</span>"))
      // the pieces give the source back
      let source = "x = \"a # not a comment\" # comment\ny = 3"
      #expect(LebmHighlighter.tokens(source).map(\.1).joined() == source)
    }

    /// The highlighter reads source with the language's own lexer: a string whose interpolation
    /// holds a string is one piece (the old hand-written scanner ended it at the inner quote), and
    /// a bad escape or an unclosed string does not swallow the code after the line.
    @Test func highlighterAgreesWithTheLexer() {
      let nested = LebmHighlighter.tokens("print(\"{f(\"x\")} and {y}\")", builtins: ["print"])
      #expect(nested.map(\.0) == [.builtin, .plain, .string, .plain])
      #expect(nested[2].1 == "\"{f(\"x\")} and {y}\"")
      let bad = LebmHighlighter.tokens("s = \"a\\qb\" + 1\nt = \"open\nu = 2")
      #expect(bad.map(\.1).joined() == "s = \"a\\qb\" + 1\nt = \"open\nu = 2")
      #expect(bad.contains { $0 == (.string, "\"a\\qb\"") } && bad.contains { $0 == (.number, "1") })
      #expect(bad.contains { $0 == (.string, "\"open") } && bad.contains { $0 == (.number, "2") })
      // A comment at the very end is one piece, once.
      #expect(LebmHighlighter.tokens("x = 1  # hi").map(\.1).joined() == "x = 1  # hi")
      // `'` starts no string in lebm.
      #expect(LebmHighlighter.tokens("x = 'a'").allSatisfy { $0.0 != .string })
      // CRLF reads as LF.
      #expect(LebmHighlighter.tokens("x = 1\r\ny = 2").map(\.1).joined() == "x = 1\ny = 2")
    }

    /// The notebook the page tests run: markdown, output, a figure, an error, a later cell.
    func writeDemo(in dir: String) -> String {
      let path = dir + "/demo.lebm"
      writeText(path, """
        # %% [markdown]
        # # Histogram demo
        #
        # We draw a **histogram** of `randn([100])`.

        # %% Setup
        seed(1)
        x = randn([100])
        print("first output line")

        # %% Plot
        plot_hist(x, "\(dir)/hist.png", title: "randn")
        len([1, 2, 3])

        # %% Broken
        y = x + "oops"

        # %%
        print("after the error: {len([1, 2])}")
        "last value"
        """)
      return path
    }

    @Test func rendersAPageWithOutputsFiguresAndErrors() {
      let dir = temporaryFolder("nb-html")
      defer { removeFolder(dir) }
      let path = writeDemo(in: dir)
      let (console, captured) = Console.capturing()
      let status = CLI.main(["notebook", path], backend: { LangBackend() }, console: console)
      #expect(status == 70, "\(captured.all)")
      guard let html = (try? readTextFile(dir + "/demo.html")) else {
        Issue.record("no page written: \(captured.all)")
        return
      }
      #expect(html.hasPrefix("<!DOCTYPE html>"))
      #expect(html.contains("<h1 id=\"histogram-demo\">Histogram demo</h1>"))
      #expect(html.contains("We draw a <strong>histogram</strong> of <code>randn([100])</code>."))
      #expect(html.contains("<pre class=\"output stdout\">first output line</pre>"))
      #expect(html.contains("<img src=\"data:image/png;base64,iVBORw0KGgo"))
      #expect(html.contains("<pre class=\"output value\">3</pre>"))
      // the error sits in the cell that raised it, at the notebook's line (cells run in the
      // notebook's folder, where it is named by its file name)
      #expect(html.contains("<section class=\"cell code error\" id=\"cell-3\">"))
      #expect(html.contains("<pre class=\"output error\">demo.lebm:16:7: error: cannot apply &#39;+&#39;"), "\(html)")
      // later cells still ran
      #expect(html.contains("<pre class=\"output stdout\">after the error: 2</pre>"))
      #expect(html.contains("<pre class=\"output value\">&quot;last value&quot;</pre>"))
      #expect(html.contains("<span class=\"cell-title\">Setup</span>"))
      #expect(html.contains("class=\"cell-time\""))
      #expect(html.components("<section class=\"cell code\"").count == 4)
      #expect(captured.err.contains("wrote \(dir)/demo.html (1 cell failed)"))
    }

    @Test func stopOnErrorSkipsTheRest() {
      let dir = temporaryFolder("nb-stop")
      defer { removeFolder(dir) }
      let path = writeDemo(in: dir)
      let (console, _) = Console.capturing()
      let status = CLI.main(["notebook", path, "--stop-on-error", "-o", dir + "/page.html"], backend: { LangBackend() }, console: console)
      #expect(status == 70)
      let html = (try? readTextFile(dir + "/page.html")) ?? ""
      #expect(html.contains("<section class=\"cell code skipped\" id=\"cell-4\">"))
      #expect(!html.contains("after the error"  + ": 2</pre>"))
    }

    @Test func writesMarkdownWithFiguresBesideIt() {
      let dir = temporaryFolder("nb-md")
      defer { removeFolder(dir) }
      let path = writeDemo(in: dir)
      let (console, captured) = Console.capturing()
      let status = CLI.main(["notebook", path, "-o", dir + "/out.md"], backend: { LangBackend() }, console: console)
      #expect(status == 70, "\(captured.all)")
      let md = (try? readTextFile(dir + "/out.md")) ?? ""
      #expect(md.hasPrefix("# demo.lebm\n"))
      #expect(md.contains("# Histogram demo\n\nWe draw a **histogram**"))
      #expect(md.contains("**[1]** Setup · "))
      #expect(md.contains("```lebm\nseed(1)\nx = randn([100])\n"))
      #expect(md.contains("```text\nfirst output line\n```"))
      #expect(md.contains("![figure 1: hist.png](out_files/fig1.png)"), "the caption is relative to the page")
      #expect(md.contains("**[3]** Broken · **error**"))
      #expect(md.contains("after the error: 2"))
      let png = (try? readFileBytes(dir + "/out_files/fig1.png")) ?? []
      #expect(FigureInfo.pngSize(Array(png.prefix(24))) != nil, "a PNG beside the page")
    }

    /// SVG and PDF figures keep their format on every page: inline in HTML under their own MIME
    /// type, beside a Markdown page with their own extension, in .ipynb under their own key.
    @Test func svgAndPDFFiguresKeepTheirFormat() throws {
      let dir = temporaryFolder("nb-formats")
      defer { removeFolder(dir) }
      let path = dir + "/formats.lebm"
      writeText(path, "# %%\nplot_lines(tensor([1, 3, 2]), \"a.svg\")\n# %%\nplot_lines(tensor([1, 3, 2]), \"b.pdf\")\n")
      let (console, captured) = Console.capturing()
      for out in ["out.html", "out.md", "out.ipynb"] {
        let status = CLI.main(["notebook", path, "-o", dir + "/" + out], backend: { LangBackend() }, console: console)
        #expect(status == 0, "\(out): \(captured.all)")
      }
      let html = (try? readTextFile(dir + "/out.html")) ?? ""
      #expect(html.contains("<img src=\"data:image/svg+xml;base64,"))
      #expect(html.contains("<object data=\"data:application/pdf;base64,"))
      #expect(!html.contains("data:image/png"))
      let md = (try? readTextFile(dir + "/out.md")) ?? ""
      #expect(md.contains("![figure 1: a.svg](out_files/fig1.svg)"), "\(md)")
      #expect(md.contains("[figure 2: b.pdf (PDF)](out_files/fig2.pdf)"), "\(md)")
      #expect((try? readTextFile(dir + "/out_files/fig1.svg"))?.contains("<svg") == true)
      #expect((try? readFileBytes(dir + "/out_files/fig2.pdf"))?.prefix(5) == Array("%PDF-".utf8)[...])
      let nb = try JSONValue.decode(try readTextFile(dir + "/out.ipynb"))
      let keys = (nb["cells"]?.array ?? []).flatMap { $0["outputs"]?.array ?? [] }
        .compactMap { $0["data"]?.object?.keys.filter { $0 != "text/plain" }.sorted() }
      #expect(keys == [["image/svg+xml"], ["application/pdf"]])
      // The cells end in the figures' paths: no host echoes them.
      #expect(!html.contains("output value"))
    }

    /// A notebook's SVG, PDF and PNG figures all reach its pages whether `lebm notebook` runs in
    /// the notebook's folder or elsewhere, with the page beside the notebook or in another
    /// folder: HTML embeds each (captioned by its path from the page), Markdown links files that
    /// exist from the page's folder, .ipynb carries each under its MIME type.
    @Test func figuresOfEveryFormatShowFromAnyWorkingFolder() throws {
      let dir = temporaryFolder("nb-cwd")
      defer { removeFolder(dir) }
      _ = mkdir(dir + "/nb", 0o755)
      _ = mkdir(dir + "/pages", 0o755)
      writeText(dir + "/nb/figs.lebm", """
        # %%
        plot_lines(tensor([1, 3, 2]), "e.svg")
        plot_lines(tensor([1, 3, 2]), "e.pdf")
        plot_lines(tensor([1, 3, 2]), "e.png")
        """)
      let before = PageLinks.currentDirectory()
      defer { if let before { _ = chdir(before) } }
      // (working folder, notebook argument, page argument, the figures' folder seen from the page)
      let runs = [
        (dir + "/nb", "figs.lebm", "figs", ""),
        (dir, "nb/figs.lebm", "nb/figs", ""),
        (dir, "nb/figs.lebm", "pages/figs", "../nb/"),
        (dir + "/pages", "../nb/figs.lebm", "figs", "../nb/"),
      ]
      for (cwd, input, page, prefix) in runs {
        #expect(chdir(cwd) == 0)
        let (console, captured) = Console.capturing()
        for ext in [".html", ".md", ".ipynb"] {
          let status = CLI.main(["notebook", input, "-o", page + ext], backend: { LangBackend() }, console: console)
          #expect(status == 0, "\(cwd) \(input) → \(page)\(ext): \(captured.all)")
        }
        let run = "\(input) from \(cwd) → \(page)"
        let html = (try? readTextFile(page + ".html")) ?? ""
        #expect(html.contains("<img src=\"data:image/svg+xml;base64,"), "\(run)")
        #expect(html.contains("<object data=\"data:application/pdf;base64,"), "\(run)")
        #expect(html.contains("download=\"e.pdf\">"), "\(run)")
        #expect(html.contains("<img src=\"data:image/png;base64,"), "\(run)")
        #expect(!html.contains("[figure]"), "\(run): a figure fell back to its text line")
        for ext in ["svg", "pdf", "png"] {
          #expect(html.contains("<figcaption>\(prefix)e.\(ext)</figcaption>"), "\(run)")
        }
        // Markdown: every figure link names a file that exists from the page's folder.
        let md = (try? readTextFile(page + ".md")) ?? ""
        let pageFolder = PageLinks.folder(of: page + ".md")
        let links = md.split(separator: "\n").filter { $0.contains("figure ") && $0.hasSuffix(")") }
          .map { String($0[$0.index(after: $0.lastIndex(of: "(")!)...].dropLast()) }
        #expect(links.count == 3, "\(run): \(md)")
        for link in links {
          let bytes = (try? readFileBytes(pageFolder + "/" + link)) ?? []
          #expect(bytes.count > 100, "\(run): \(link) is not there from \(pageFolder)")
        }
        #expect(md.contains("![figure 1: \(prefix)e.svg]("), "\(run): \(md)")
        let nb = try JSONValue.decode(try readTextFile(page + ".ipynb"))
        let keys = (nb["cells"]?.array ?? []).flatMap { $0["outputs"]?.array ?? [] }
          .compactMap { $0["data"]?.object?.keys.filter { $0 != "text/plain" }.sorted() }
        #expect(keys == [["image/svg+xml"], ["application/pdf"], ["image/png"]], "\(run)")
      }
    }

    @Test func allCellsPassingExitsZeroAndQuickIsSet() {
      let dir = temporaryFolder("nb-ok")
      defer {
        removeFolder(dir)
        unsetenv("LEBM_QUICK")
      }
      let path = dir + "/ok.lebm"
      writeText(path, "# %%\nquick\n# %%\nprint(\"<tag> & done\")\n")
      let (console, _) = Console.capturing()
      let status = CLI.main(["notebook", "--quick", path, "-o", dir + "/ok.html"], backend: { LangBackend() }, console: console)
      #expect(status == 0)
      let html = (try? readTextFile(dir + "/ok.html")) ?? ""
      #expect(html.contains("<pre class=\"output value\">true</pre>"))
      #expect(html.contains("&lt;tag&gt; &amp; done"))
      #expect(!html.contains("cell code error"))
    }

    @Test func importsResolveAgainstTheNotebook() {
      let dir = temporaryFolder("nb-import")
      defer { removeFolder(dir) }
      mkdir(dir + "/sub", 0o755)
      writeText(dir + "/sub/lib.lebm", "fn helper() { 41 + 1 }\n")
      writeText(dir + "/sub/nb.lebm", "# %%\nimport \"lib.lebm\"\nhelper()\n")
      let (console, captured) = Console.capturing()
      let status = CLI.main(["notebook", dir + "/sub/nb.lebm"], backend: { LangBackend() }, console: console)
      #expect(status == 0, "\(captured.all)")
      #expect(((try? readTextFile(dir + "/sub/nb.html")) ?? "").contains("<pre class=\"output value\">42</pre>"))
    }

    @Test func usageErrors() {
      let (console, captured) = Console.capturing()
      #expect(CLI.main(["notebook"], backend: { FakeBackend() }, console: console) == 64)
      #expect(CLI.main(["notebook", "/nonexistent/x.lebm"], backend: { FakeBackend() }, console: console) == 66)
      #expect(captured.err.contains("cannot read '/nonexistent/x.lebm'"))
      #expect(NotebookCommand.defaultOutput(for: "a/b.c/nb.lebm") == "a/b.c/nb.html")
    }
  }
}

extension String {
  /// Pieces of `self` between occurrences of `separator` (a count helper for tests).
  func components(_ separator: String) -> [Substring] { split(separator: separator, omittingEmptySubsequences: false) }
}
