// .ipynb in and out: the round trip through nbformat JSON and percent format keeps every cell of
// every example and lesson; `lebm notebook -o x.ipynb` writes the outputs; hostile or foreign
// notebooks are clear errors; an unknown output extension exits 64 before anything runs.
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
  @Suite struct IpynbTests {
    static let root: String = {
      var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
      parts.removeLast(3)
      return parts.joined(separator: "/")
    }()

    /// Every example and lesson.
    static var notebooks: [String] {
      ["examples", "stdlib/tutorial"].flatMap { dir in
        ((try? listDirectory(root + "/" + dir)) ?? []).map(\.name).filter { $0.hasSuffix(".lebm") }
          .map { root + "/" + dir + "/" + $0 }
      }
    }

    /// A cell without its line number, which .ipynb does not keep.
    struct Shape: Equatable {
      var kind: NotebookCell.Kind, title: String, source: String
      init(_ c: NotebookCell) { (kind, title, source) = (c.kind, c.title, c.source) }
    }

    @Test func roundTripKeepsEveryCell() throws {
      #expect(Self.notebooks.count >= 10)
      for path in Self.notebooks {
        let original = Notebook.parse(try readTextFile(path))
        #expect(original.cells.count >= 2, "\(path)")
        // .lebm → .ipynb (JSON text) → cells
        let text = try Ipynb.document(original).encodedPretty()
        let fromIpynb = try Ipynb.parse(try JSONValue.decode(text), path: path)
        #expect(fromIpynb.cells.map(Shape.init) == original.cells.map(Shape.init), "\(path)")
        // → .lebm again
        let back = Notebook.parse(fromIpynb.percentText)
        #expect(back.cells.map(Shape.init) == original.cells.map(Shape.init), "\(path)")
      }
    }

    @Test func percentTextKeepsTitlesAndAwkwardMarkdown() {
      let nb = Notebook(cells: [
        NotebookCell(kind: .markdown, title: "Intro", source: "# Heading\n\n#not a heading\n  indented", line: 1),
        NotebookCell(kind: .code, title: "Setup", source: "x = 1\n\ny = 2", line: 1),
        NotebookCell(kind: .code, source: "print(x)", line: 1),
      ])
      #expect(Notebook.parse(nb.percentText).cells.map(Shape.init) == nb.cells.map(Shape.init))
    }

    /// A cell title is metadata: a line break in it must not make the rest code when the notebook
    /// becomes percent format, and a tag in a code cell's title must not make the cell markdown.
    @Test func titlesNeverBecomeCode() throws {
      let json = #"""
        {"nbformat": 4, "metadata": {"kernelspec": {"language": "lebm"}}, "cells": [
          {"cell_type": "code", "metadata": {"title": "Setup\nerror(\"ran\")\r\n\u2028# %%"}, "source": "x = 1"},
          {"cell_type": "code", "metadata": {"title": "not [markdown] nor [md]"}, "source": "y = 2"},
          {"cell_type": "markdown", "metadata": {"title": "Notes\nz = 3"}, "source": "text"}]}
        """#
      let nb = try Ipynb.parse(try JSONValue.decode(json), path: "t.ipynb")
      let text = nb.percentText
      #expect(text == """
        # %% Setup error("ran") # %%
        x = 1

        # %% not (markdown) nor (md)
        y = 2

        # %% [markdown] Notes z = 3
        # text

        """)
      #expect(Notebook.parse(text).cells.map(Shape.init) == [
        Shape(NotebookCell(kind: .code, title: "Setup error(\"ran\") # %%", source: "x = 1", line: 0)),
        Shape(NotebookCell(kind: .code, title: "not (markdown) nor (md)", source: "y = 2", line: 0)),
        Shape(NotebookCell(kind: .markdown, title: "Notes z = 3", source: "text", line: 0)),
      ])
    }

    /// Lines of a cell that read as cell markers (`# %% [markdown]` in code, `%%` in markdown) are
    /// escaped in percent format, so .ipynb → .lebm → .ipynb keeps the cells as they were.
    @Test func markerLinesInsideCellsSurviveTheRoundTrip() throws {
      let nb = Notebook(cells: [
        NotebookCell(kind: .code, source: "x = 1\n# %% [markdown]\n#%%\n# %%\n#\\ %% [md]\n#\\\\%%\n#\\ %%x\ny = 2", line: 1),
        NotebookCell(kind: .markdown, source: "%% not a marker\n%%\n\\ %%", line: 1),
        NotebookCell(kind: .code, source: "# %%x stays\nz = 3", line: 1),
      ])
      let text = nb.percentText
      #expect(text.contains("\n#\\ %% [markdown]\n#\\%%\n#\\ %%\n#\\\\ %% [md]\n#\\\\\\%%\n#\\ %%x\n"), "\(text)")
      #expect(text.contains("\n#\\ %% not a marker\n#\\ %%\n# \\ %%\n"), "\(text)")
      let back = Notebook.parse(text)
      #expect(back.cells.map(Shape.init) == nb.cells.map(Shape.init))
      // and through nbformat JSON both ways
      let json = try JSONValue.decode(try Ipynb.document(back).encodedPretty())
      let again = try Ipynb.parse(json, path: "r.ipynb")
      #expect(Notebook.parse(again.percentText).cells.map(Shape.init) == nb.cells.map(Shape.init))
    }

    /// A percent-format file with Windows line ends has the same cells as with `\n` (Swift reads
    /// `\r\n` as one character: split at `\n` alone, the file was one marker line, and no cell ran).
    @Test func windowsLineEndsSplitLikeNewlines() {
      let unix = "# %% A\nx = 1\n# %% [markdown]\n# hi\n# %%\nprint(x)\n"
      let windows = unix.replacing("\n", with: "\r\n")
      #expect(Notebook.parse(windows).cells.count == 3)
      #expect(Notebook.parse(windows) == Notebook.parse(unix))
    }

    @Test func writesOutputsAsNbformat() throws {
      let dir = temporaryFolder("ipynb-out")
      defer { removeFolder(dir) }
      let path = dir + "/nb.lebm"
      writeText(path, """
        # %% [markdown]
        # Some *text*.

        # %% Setup
        print("hello")
        21 * 2

        # %%
        plot_hist(randn([50]), "\(dir)/h.png")

        # %%
        1 + nope
        """)
      let (console, captured) = Console.capturing()
      let status = CLI.main(["notebook", path, "-o", dir + "/nb.ipynb"], backend: { LangBackend() }, console: console)
      #expect(status == 70, "one cell fails: \(captured.all)")
      let json = try JSONValue.decode(try readTextFile(dir + "/nb.ipynb"))
      #expect(json["nbformat"] == 4 && json["nbformat_minor"] == 5)
      #expect(json["metadata"]?["kernelspec"]?["name"] == "lebm")
      #expect(json["metadata"]?["language_info"]?["file_extension"] == ".lebm")
      let cells = json["cells"]?.array ?? []
      #expect(cells.map { $0["cell_type"]?.string ?? "" } == ["markdown", "code", "code", "code"])
      #expect(Set(cells.compactMap { $0["id"]?.string }).count == 4, "unique cell ids")
      #expect(cells[1]["metadata"]?["title"] == "Setup")
      #expect(cells[1]["execution_count"] == 1 && cells[3]["execution_count"] == 3)
      let setup = cells[1]["outputs"]?.array ?? []
      #expect(setup.map { $0["output_type"]?.string ?? "" } == ["stream", "execute_result"])
      #expect(setup.first?["text"] == ["hello\n"])
      #expect(setup.last?["data"]?["text/plain"] == ["42"])
      let figure = cells[2]["outputs"]?.array ?? []
      #expect(figure.count == 1 && figure.first?["output_type"] == "display_data", "no echo of the path: \(figure)")
      #expect(figure.first?["data"]?["image/png"]?.string?.hasPrefix("iVBORw0KGgo") == true, "a base64 PNG")
      let error = cells[3]["outputs"]?.array?.first
      #expect(error?["output_type"] == "error" && error?["ename"] == "Error")
      #expect(error?["evalue"]?.string?.contains("nope") == true)
      #expect(error?["traceback"]?.array?.first?.string?.contains("nb.lebm:12:") == true, "\(String(describing: error))")
    }

    @Test func readsIpynbForPagesAndScripts() throws {
      let dir = temporaryFolder("ipynb-in")
      defer { removeFolder(dir) }
      let nb = Notebook(cells: [
        NotebookCell(kind: .markdown, source: "# Title", line: 1),
        NotebookCell(kind: .code, source: "x = 6\nprint(\"x is {x}\")", line: 1),
        NotebookCell(kind: .code, source: "print(x * 7)", line: 1),
      ])
      writeText(dir + "/in.ipynb", try Ipynb.document(nb).encodedPretty())
      var (console, captured) = Console.capturing()
      #expect(CLI.main([dir + "/in.ipynb"], backend: { LangBackend() }, console: console) == 0)
      #expect(captured.out == "x is 6\n42\n", "\(captured.all)")
      (console, captured) = Console.capturing()
      #expect(CLI.main(["notebook", dir + "/in.ipynb"], backend: { LangBackend() }, console: console) == 0, "\(captured.all)")
      let page = try readTextFile(dir + "/in.html")
      #expect(page.contains("x is 6") && page.contains("42"))
      // convert back to percent format
      (console, captured) = Console.capturing()
      #expect(CLI.main(["convert", dir + "/in.ipynb"], backend: { FakeBackend() }, console: console) == 0)
      #expect(try readTextFile(dir + "/in.lebm") == nb.percentText)
      #expect(CLI.main(["convert", dir + "/in.ipynb", "-o", dir + "/x.html"], backend: { FakeBackend() }, console: console) == 64)
    }

    func refusal(_ json: String) -> String? {
      do {
        _ = try Ipynb.parse(try JSONValue.decode(json), path: "x.ipynb")
        return nil
      } catch let e as NotebookFileError {
        return e.description
      } catch {
        return "not JSON"
      }
    }

    @Test func foreignOrBrokenNotebooksAreClearErrors() throws {
      let lebm = #""metadata": {"kernelspec": {"language": "lebm", "name": "lebm"}}"#
      #expect(refusal(#"{"nbformat": 4, "metadata": {"language_info": {"name": "python"}}, "cells": []}"#)
        == "'x.ipynb' is a python notebook; lebm runs notebooks whose language is lebm")
      #expect(refusal(#"{"nbformat": 4, "metadata": {}, "cells": []}"#)?.contains("does not say its language") == true)
      #expect(refusal(#"{"nbformat": 3, \#(lebm)}"#) == "'x.ipynb' is nbformat 3; lebm reads nbformat 4")
      #expect(refusal(#"[1]"#)?.contains("not an object") == true)
      #expect(refusal(#"{"nbformat": 4, \#(lebm), "cells": 7}"#)?.contains("no list of cells") == true)
      #expect(refusal(#"{"nbformat": 4, \#(lebm), "cells": [{"cell_type": "code", "source": 5}]}"#)
        == "'x.ipynb': cell 1's source is not text")
      #expect(refusal(#"{"nbformat": 4, \#(lebm), "cells": [{"cell_type": "code", "source": ["a", 1]}]}"#) != nil)
      #expect(refusal(#"{"nbformat": 4, \#(lebm), "cells": [{"source": "x"}]}"#)?.contains("cell_type") == true)
      #expect(refusal(#"{"nbformat": 4, \#(lebm), "cells": [{"cell_type": "raw", "source": "x"}]}"#) == nil)

      let dir = temporaryFolder("ipynb-bad")
      defer { removeFolder(dir) }
      writeText(dir + "/deep.ipynb", String(repeating: "[", count: 200_000))
      writeText(dir + "/py.ipynb", #"{"nbformat": 4, "metadata": {"kernelspec": {"language": "python"}}, "cells": []}"#)
      // A cell with "source" twice: Jupyter shows and runs the last, so lebm refuses the file.
      writeText(dir + "/dup.ipynb", #"{"nbformat": 4, \#(lebm), "cells": [{"cell_type": "code", "source": "print(1)", "source": "print(2)"}]}"#)
      let (console, captured) = Console.capturing()
      #expect(CLI.main(["notebook", dir + "/deep.ipynb"], backend: { FakeBackend() }, console: console) == 65)
      #expect(captured.err.contains("not valid JSON"))
      #expect(CLI.main(["notebook", dir + "/py.ipynb"], backend: { FakeBackend() }, console: console) == 65)
      #expect(captured.err.contains("is a python notebook"))
      #expect(CLI.main(["notebook", dir + "/dup.ipynb"], backend: { FakeBackend() }, console: console) == 65)
      #expect(captured.err.contains("dup.ipynb' is not a valid notebook: duplicate key \"source\" (at byte "), "\(captured.err)")
      #expect(CLI.main([dir + "/py.ipynb"], backend: { FakeBackend() }, console: console) == 65)
      #expect(CLI.main(["notebook", dir + "/missing.ipynb"], backend: { FakeBackend() }, console: console) == 66)
    }

    @Test func unknownOutputExtensionExits64BeforeRunning() {
      let dir = temporaryFolder("ipynb-ext")
      defer { removeFolder(dir) }
      writeText(dir + "/nb.lebm", "# %%\nx = 1\n")
      let backend = FakeBackend()
      let (console, captured) = Console.capturing()
      #expect(CLI.main(["notebook", dir + "/nb.lebm", "-o", dir + "/page.txt"], backend: { backend }, console: console) == 64)
      #expect(captured.err.contains("must end in .html, .md or .ipynb"))
      #expect(backend.evaluated.isEmpty, "nothing ran")
      #expect(access(dir + "/page.txt", F_OK) != 0, "nothing written")
    }

    /// A page that cannot be written (a missing folder, a folder or a FIFO in its place) is refused
    /// before any cell runs, not after the whole run.
    @Test func unwritableOutputExits73BeforeRunning() {
      let dir = temporaryFolder("ipynb-out")
      defer { removeFolder(dir) }
      writeText(dir + "/nb.lebm", "# %%\nx = 1\n")
      #expect(mkfifo(dir + "/fifo.html", 0o600) == 0)
      #expect(mkdir(dir + "/folder.html", 0o755) == 0)
      let cases = [
        (dir + "/no/such/dir/x.html", "cannot write '\(dir)/no/such/dir/x.html': '\(dir)/no/such/dir': the folder does not exist"),
        (dir + "/folder.html", "cannot write '\(dir)/folder.html': '\(dir)/folder.html': is a folder, not a file"),
        (dir + "/fifo.html", "'\(dir)/fifo.html': is a FIFO (named pipe), not a regular file"),
        (dir + "/nb.lebm/x.md", "'\(dir)/nb.lebm': is a file, not a folder"),
      ]
      for (out, message) in cases {
        let backend = FakeBackend()
        let (console, captured) = Console.capturing()
        #expect(CLI.main(["notebook", dir + "/nb.lebm", "-o", out], backend: { backend }, console: console) == 73)
        #expect(captured.err.contains(message) && captured.err.contains("no cell was run"), "\(captured.err)")
        #expect(backend.evaluated.isEmpty, "nothing ran for \(out)")
      }
    }
  }
}
