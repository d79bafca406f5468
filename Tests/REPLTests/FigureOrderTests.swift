// Figures on the real interpreter: a script's `[figure]` lines come where it wrote the files, in
// order with its printed output, and a notebook page shows PNGs of twice the pixels at their layout size.
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
  @Suite struct FigureOrderTests {
    @Test func scriptFigureLinesComeInOrderWithOutput() {
      let dir = temporaryFolder("fig-order")
      defer { removeFolder(dir) }
      let path = dir + "/s.lebm"
      writeText(path, """
        print("before")
        plot_hist(randn([50]), "\(dir)/a.png")
        print("between")
        plot_hist(randn([50]), "\(dir)/b.svg")
        print("after")
        """)
      let (console, captured) = Console.capturing()
      let status = CLI.main(["run", path], backend: { LangBackend() }, console: console)
      #expect(status == 0, "\(captured.all)")
      let lines = captured.out.split(separator: "\n").map(String.init)
      #expect(lines.count == 5, "\(lines)")
      guard lines.count == 5 else { return }
      #expect(lines[0] == "before" && lines[2] == "between" && lines[4] == "after")
      #expect(lines[1].hasPrefix("[figure] \(dir)/a.png (480×360, "))
      #expect(lines[3].hasPrefix("[figure] \(dir)/b.svg (SVG, "))
    }

    @Test func notebookPageEmbedsFiguresAtTwiceThePixels() {
      let dir = temporaryFolder("fig-2x")
      defer { removeFolder(dir) }
      let path = dir + "/nb.lebm"
      writeText(path, "# %%\nplot_hist(randn([50]), \"\(dir)/h.png\")\n")
      let (console, captured) = Console.capturing()
      let status = CLI.main(["notebook", path], backend: { LangBackend() }, console: console)
      #expect(status == 0, "\(captured.all)")
      let html = (try? readTextFile(dir + "/nb.html")) ?? ""
      // The file is drawn at 200 dpi (960×720) and shown at its layout size (480×360).
      #expect(html.contains("width=\"480\" height=\"360\""), "\(html.prefix(200))")
      let png = (try? readFileBytes(dir + "/h.png")) ?? []
      #expect(FigureInfo.pngSize(Array(png.prefix(24))).map { [$0.0, $0.1] } == [960, 720])
    }
  }
}
