// Jupyter notebooks (.ipynb, nbformat 4.5) in and out. Out: the cells and, after a run, their
// outputs (stream, execute_result, display_data PNG, error), with kernelspec and language_info
// naming lebm, so the file opens in JupyterLab with its outputs and re-runs with the lebm kernel.
// In: the code and markdown cells of a notebook whose language is lebm. An .ipynb is hostile
// input: a size limit, every field checked, each problem a clear ``NotebookFileError``.
import Support

/// Why a notebook file could not be read.
public struct NotebookFileError: Error, Equatable, CustomStringConvertible, Sendable {
  public var description: String
  /// The exit status it gives: 66 when the file cannot be read, 65 when it is not a notebook lebm runs.
  public var status: Int32
  public init(_ description: String, status: Int32 = 65) {
    self.description = description
    self.status = status
  }
}

/// lebm as Jupyter names it: the kernel's `language_info` and the notebook's metadata.
public enum JupyterLanguage {
  /// `language_info`: name, version, MIME type, file extension, and a C-like CodeMirror mode
  /// (keywords, strings, numbers and brackets highlight as in C).
  public static let info: JSONValue = [
    "name": "lebm", "version": .string(CLI.version), "mimetype": "text/x-lebm",
    "file_extension": ".lebm", "codemirror_mode": "text/x-csrc",
  ]
  /// The notebook's `kernelspec` metadata (`lebm kernel install` writes the spec called lebm).
  public static let kernelspec: JSONValue = ["display_name": "lebm", "language": "lebm", "name": "lebm"]
}

/// An error as Jupyter shows it: a name, the message and the lines of the rendered error.
public struct JupyterError: Equatable, Sendable {
  public var ename: String
  public var evalue: String
  public var traceback: [String]

  /// The error of an evaluation: nil when it neither failed nor was interrupted. `rendered` is
  /// lebm's `file:line:col: error: message`, the source line and the caret. `interruption` is
  /// what interrupted work said (``EvalResult/interruption``), shown in place of "interrupted".
  public init?(rendered: String?, interrupted: Bool, interruption: String? = nil, syntax: Bool = false) {
    if interrupted {
      let message = interruption ?? "interrupted"
      (ename, evalue, traceback) = ("KeyboardInterrupt", message, [message])
      return
    }
    guard let rendered else { return nil }
    let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let first = lines.first ?? rendered
    ename = syntax ? "SyntaxError" : "Error"
    evalue = first.firstRange(of: "error: ").map { String(first[$0.upperBound...]) } ?? first
    traceback = lines.last == "" ? Array(lines.dropLast()) : lines
  }

  /// The fields of an `error` output or message.
  public var fields: [String: JSONValue] {
    ["ename": .string(ename), "evalue": .string(evalue), "traceback": .array(traceback.map { .string($0) })]
  }
}

/// Reading and writing .ipynb files.
public enum Ipynb {
  /// The largest .ipynb read (figures are inlined, so notebooks can be large).
  public static let sizeLimit = 256 << 20

  // MARK: - Out

  /// A notebook with the outcomes of a run (markdown cells and cells that did not run have no
  /// outputs); code cells are numbered in the order they ran.
  public static func document(_ outcomes: [CellOutcome]) -> JSONValue {
    var count = 0
    let cells: [JSONValue] = outcomes.enumerated().map { i, o in
      guard o.cell.kind == .code, o.ran else { return cell(o.cell, index: i) }
      count += 1
      return cell(o.cell, index: i, count: count, outputs: outputs(o, count: count))
    }
    return notebook(cells)
  }

  /// A notebook of `notebook`'s cells without outputs (`lebm convert x.lebm -o x.ipynb`).
  public static func document(_ notebook: Notebook) -> JSONValue {
    Self.notebook(notebook.cells.enumerated().map { i, c in cell(c, index: i) })
  }

  static func notebook(_ cells: [JSONValue]) -> JSONValue {
    [
      "cells": .array(cells), "nbformat": 4, "nbformat_minor": 5,
      "metadata": ["kernelspec": JupyterLanguage.kernelspec, "language_info": JupyterLanguage.info],
    ]
  }

  /// One cell; `count` and `outputs` only for a code cell that ran.
  static func cell(_ c: NotebookCell, index: Int, count: Int? = nil, outputs: [JSONValue] = []) -> JSONValue {
    var metadata: [String: JSONValue] = [:]
    if !c.title.isEmpty { metadata["title"] = .string(c.title) }
    var fields: [String: JSONValue] = [
      "id": .string("cell-\(index + 1)"), "metadata": .object(metadata), "source": lines(c.source),
    ]
    switch c.kind {
    case .markdown:
      fields["cell_type"] = "markdown"
    case .code:
      fields["cell_type"] = "code"
      fields["execution_count"] = count.map { .integer(Int64($0)) } ?? .null
      fields["outputs"] = .array(outputs)
    }
    return .object(fields)
  }

  /// A code cell's outputs: what it printed, its figures, then its value or its error.
  static func outputs(_ o: CellOutcome, count: Int) -> [JSONValue] {
    var out: [JSONValue] = []
    if !o.output.isEmpty {
      out.append(["output_type": "stream", "name": "stdout", "text": lines(o.output)])
    }
    for f in o.figures {
      guard let data = f.data else { continue }
      out.append(["output_type": "display_data", "metadata": [:], "data": mimeBundle(f.output, data: data)])
    }
    if let e = JupyterError(rendered: o.error, interrupted: o.interrupted, interruption: o.error) {
      out.append(.object(e.fields.merging(["output_type": "error"]) { a, _ in a }))
    } else if let echo = o.echo {
      out.append([
        "output_type": "execute_result", "execution_count": .integer(Int64(count)), "metadata": [:],
        "data": ["text/plain": lines(echo)],
      ])
    }
    return out
  }

  /// Text as nbformat stores it: a list of lines, each but the last ending in a newline.
  static func lines(_ text: String) -> JSONValue {
    var out: [JSONValue] = []
    var line = ""
    for ch in text {
      line.append(ch)
      if ch == "\n" {
        out.append(.string(line))
        line = ""
      }
    }
    if !line.isEmpty { out.append(.string(line)) }
    return .array(out)
  }

  // MARK: - In

  /// The cells of the .ipynb at `path`.
  public static func read(_ path: String) throws(NotebookFileError) -> Notebook {
    let bytes: [UInt8]
    do throws(FileError) { bytes = try readFileBytes(path, limit: sizeLimit) } catch {
      throw NotebookFileError("cannot read '\(error.path)': \(error.problem)", status: 66)
    }
    let json: JSONValue
    do { json = try JSONValue.decode(bytes: bytes) } catch let e as JSONDuplicateKeyError {
      throw NotebookFileError("'\(path)' is not a valid notebook: \(e); Jupyter would use the last, so lebm refuses rather than run another cell")
    } catch {
      throw NotebookFileError("'\(path)' is not a notebook: it is not valid JSON")
    }
    return try parse(json, path: path)
  }

  /// The cells of a notebook's JSON; `path` names it in errors.
  public static func parse(_ json: JSONValue, path: String) throws(NotebookFileError) -> Notebook {
    guard json.object != nil else { throw NotebookFileError("'\(path)' is not a notebook: its JSON is not an object") }
    guard let major = json["nbformat"]?.int else {
      throw NotebookFileError("'\(path)' is not a notebook: it has no nbformat version")
    }
    guard major == 4 else { throw NotebookFileError("'\(path)' is nbformat \(major); lebm reads nbformat 4") }
    let meta = json["metadata"]
    let language = meta?["language_info"]?["name"]?.string ?? meta?["kernelspec"]?["language"]?.string
    guard let language else {
      throw NotebookFileError("'\(path)' does not say its language (metadata.language_info.name or metadata.kernelspec.language); lebm runs notebooks whose language is lebm")
    }
    guard language.lowercased() == "lebm" else {
      throw NotebookFileError("'\(path)' is a \(language) notebook; lebm runs notebooks whose language is lebm")
    }
    guard let cells = json["cells"]?.array else { throw NotebookFileError("'\(path)' has no list of cells") }
    var out: [NotebookCell] = []
    for (i, c) in cells.enumerated() {
      let kind: NotebookCell.Kind
      switch c["cell_type"]?.string {
      case "code": kind = .code
      case "markdown": kind = .markdown
      case "raw": continue
      default: throw NotebookFileError("'\(path)': cell \(i + 1) has no cell_type code, markdown or raw")
      }
      guard let source = text(c["source"]) else {
        throw NotebookFileError("'\(path)': cell \(i + 1)'s source is not text")
      }
      let title = c["metadata"]?["title"]?.string ?? ""
      let body = trimBlankLines(source)
      if body.isEmpty && title.isEmpty { continue }
      out.append(NotebookCell(kind: kind, title: title, source: body, line: 1))
    }
    return Notebook(cells: out)
  }

  /// A multiline string as nbformat allows it: a string or a list of strings.
  static func text(_ v: JSONValue?) -> String? {
    switch v {
    case .string(let s): return s
    case .array(let parts):
      var s = ""
      for p in parts {
        guard case .string(let t) = p else { return nil }
        s += t
      }
      return s
    default: return nil
    }
  }

  /// `text` without leading and trailing blank lines (as percent-format cells are kept).
  static func trimBlankLines(_ text: String) -> String {
    var lines = unixNewlines(text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    while let f = lines.first, f.allSatisfy(\.isWhitespace) { lines.removeFirst() }
    while let l = lines.last, l.allSatisfy(\.isWhitespace) { lines.removeLast() }
    return lines.joined(separator: "\n")
  }
}

extension Notebook {
  /// The notebook in percent format: `# %%` before each code cell, `# %% [markdown]` before each
  /// markdown cell (its lines as `#` comments), titles after the marker on one line (line breaks
  /// in a title become spaces: the title is never code). A cell line that would read as a marker
  /// is written with a `\` after its `#` (``Notebook/escapingMarker(_:)``), so ``parse(_:)``
  /// reads the text back to the same cells.
  public var percentText: String {
    cells.map { c in
      let title = c.title.isEmpty ? "" : " " + Self.markerTitle(c)
      let lines = c.source.isEmpty ? [] : unixNewlines(c.source).split(separator: "\n", omittingEmptySubsequences: false)
      switch c.kind {
      case .code:
        return "# %%\(title)\n" + lines.map { Self.escapingMarker(String($0)) + "\n" }.joined()
      case .markdown:
        let body = lines.map { Self.escapingMarker($0.isEmpty ? "#" : "# " + $0) }
        return "# %% [markdown]\(title)\n" + body.map { $0 + "\n" }.joined()
      }
    }.joined(separator: "\n")
  }

  /// A cell's title as its marker line holds it: on one line, and for a code cell without the
  /// tags that would make it markdown (`[markdown]` and `[md]` become `(markdown)` and `(md)`).
  static func markerTitle(_ c: NotebookCell) -> String {
    let title = oneLine(c.title)
    guard c.kind == .code else { return title }
    return title.replacing("[markdown]", with: "(markdown)").replacing("[md]", with: "(md)")
  }

  /// `text` on one line: each line break (LF, CR, CRLF, U+2028, …) and the spaces around it
  /// become one space; trimmed.
  static func oneLine(_ text: String) -> String {
    guard text.contains(where: \.isNewline) else { return text }
    return text.split(whereSeparator: \.isNewline).map { trimmed(String($0)) }.filter { !$0.isEmpty }
      .joined(separator: " ")
  }

  /// Reads a notebook file: an .ipynb by its JSON, anything else as percent format.
  public static func read(_ path: String) throws(NotebookFileError) -> Notebook {
    if path.hasSuffix(".ipynb") { return try Ipynb.read(path) }
    do throws(FileError) { return parse(try readTextFile(path)) } catch {
      throw NotebookFileError("cannot read '\(error.path)': \(error.problem)", status: 66)
    }
  }
}
