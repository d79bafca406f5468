// A notebook as Markdown: markdown cells as written, code in ```lebm fences, outputs in plain
// fences, figures copied to `OUT_files/figN.png` (`.svg`, `.pdf`: each in its own format) beside
// the page and linked.
import Glibc
import Support

public enum NotebookMarkdown {
  /// The folder for `out`'s figures: `page.md` → `page_files`.
  public static func filesFolder(for out: String) -> String {
    for ext in [".md", ".markdown"] where out.hasSuffix(ext) {
      return String(out.dropLast(ext.count)) + "_files"
    }
    return out + "_files"
  }

  /// The page text; `figureLink(n)` is the relative link of the n-th figure (1-based).
  /// Figure captions show paths relative to `pageFolder` (the page's absolute folder).
  /// `hideInput` leaves out the code cells' heads and code (nbconvert's `--no-input`).
  public static func text(
    _ outcomes: [CellOutcome], title: String, pageFolder: String? = nil, hideInput: Bool = false,
    figureLink: (Int) -> String
  ) -> String {
    var md = "# \(title)\n\n"
    let codeCells = outcomes.filter { $0.cell.kind == .code }
    let failures = outcomes.filter(\.failed).count
    md += "_\(codeCells.count) code cell\(codeCells.count == 1 ? "" : "s"), \(formatDuration(codeCells.reduce(0) { $0 + $1.seconds })) in all"
    md += (failures > 0 ? ", \(failures) failed" : "") + "; lebm \(CLI.version)_\n\n"
    var number = 0
    var figure = 0
    for outcome in outcomes {
      let cell = outcome.cell
      if cell.kind == .markdown {
        if !cell.title.isEmpty { md += "## \(cell.title)\n\n" }
        md += ensureNewline(cell.source) + "\n"
        continue
      }
      number += 1
      var head = "**[\(number)]**"
      if !cell.title.isEmpty { head += " \(cell.title)" }
      if !outcome.ran {
        head += " · _not run_"
      } else {
        if outcome.failed { head += " · **\(outcome.interrupted ? "interrupted" : "error")**" }
        head += " · \(formatDuration(outcome.seconds))"
      }
      if !hideInput {
        md += head + "\n\n"
        md += fenced(cell.source, info: "lebm")
      }
      if !outcome.output.isEmpty { md += fenced(outcome.output, info: "text") }
      for f in outcome.figures {
        figure += 1
        if f.data != nil {
          let alt = "figure \(figure): \(PageLinks.relative(f.path, from: pageFolder))".filter { $0 != "[" && $0 != "]" }
          let link = figureLink(figure)
          let target = link.contains(" ") ? "<\(link)>" : link
          // A PDF is linked (Markdown shows only images inline); PNG and SVG are shown.
          md += (f.format == .pdf ? "[\(alt) (PDF)](\(target))" : "![\(alt)](\(target))") + "\n\n"
        } else {
          md += fenced(f.unreadableLine(from: pageFolder), info: "text")
        }
      }
      if let echo = outcome.echo { md += fenced(echo, info: "text") }
      if let error = outcome.error { md += "> **Error**\n\n" + fenced(error, info: "text") }
    }
    return md
  }

  /// Writes the page to `out` and its figures to ``filesFolder(for:)``.
  public static func write(_ outcomes: [CellOutcome], title: String, to out: String, hideInput: Bool = false) throws(FileError) {
    let folder = filesFolder(for: out)
    let folderName = baseName(folder)
    // Figures without bytes are not written: page numbers map to the names of the files written,
    // each with its own format's extension (fig1.png, fig2.svg, fig3.pdf).
    var fileName: [Int: String] = [:]
    var k = 0
    for (n, f) in outcomes.flatMap(\.figures).enumerated() {
      guard let data = f.data else { continue }
      if k == 0, mkdir(folder, 0o755) != 0 && errno != EEXIST { throw FileError.errno(folder) }
      k += 1
      let name = "fig\(k).\(f.format.fileExtension)"
      try writeFile(folder + "/" + name, data)
      fileName[n + 1] = name
    }
    let page = text(outcomes, title: title, pageFolder: PageLinks.folder(of: out), hideInput: hideInput) { "\(folderName)/\(fileName[$0] ?? "fig\($0).png")" }
    try writeFile(out, page)
  }

  /// `text` in a fence longer than any run of backticks inside it.
  static func fenced(_ text: String, info: String) -> String {
    var longest = 0, run = 0
    for c in text {
      run = c == "`" ? run + 1 : 0
      longest = max(longest, run)
    }
    let fence = String(repeating: "`", count: max(3, longest + 1))
    return fence + info + "\n" + ensureNewline(text) + fence + "\n\n"
  }
}
