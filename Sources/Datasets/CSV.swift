import Engine

/// Reading tables of numbers: comma-separated, or separated by spaces and tabs.
enum CSV {
  /// One cell: its text (trimmed, quotes removed) and the 1-based column where it starts.
  typealias Cell = (text: String, column: Int)

  /// The non-blank lines of `bytes` with their 1-based line numbers; `#` comment lines are skipped.
  /// Made one at a time, so a file of millions of short lines costs no array of them.
  struct Lines: Sequence, IteratorProtocol {
    let bytes: ArraySlice<UInt8>
    var start: Int, number = 0

    init(_ bytes: ArraySlice<UInt8>) {
      self.bytes = bytes
      start = bytes.startIndex
    }

    mutating func next() -> (number: Int, bytes: ArraySlice<UInt8>)? {
      while start < bytes.endIndex {
        let end = bytes[start...].firstIndex(of: 10) ?? bytes.endIndex
        var e = end
        if e > start, bytes[e - 1] == 13 { e -= 1 }  // \r\n
        let line = bytes[start..<e]
        start = end + 1
        number += 1
        if let first = line.first(where: { $0 != 32 && $0 != 9 }), first != UInt8(ascii: "#") {
          return (number, line)
        }
      }
      return nil
    }
  }

  /// The cells of one line, split on commas (`comma`) or on runs of spaces and tabs.
  static func cells(_ line: ArraySlice<UInt8>, comma: Bool) -> [Cell] {
    var out: [Cell] = []
    let base = line.startIndex
    func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 }
    func cell(_ lo: Int, _ hi: Int) -> Cell {
      var a = lo, b = hi
      while a < b, isSpace(line[a]) { a += 1 }
      while b > a, isSpace(line[b - 1]) { b -= 1 }
      if b - a >= 2, line[a] == 34, line[b - 1] == 34 { a += 1; b -= 1 }  // "quoted"
      return (String(decoding: line[a..<b], as: UTF8.self), a - base + 1)
    }
    var i = base
    if comma {
      var lo = base
      while i < line.endIndex {
        if line[i] == UInt8(ascii: ",") { out.append(cell(lo, i)); lo = i + 1 }
        i += 1
      }
      out.append(cell(lo, line.endIndex))
    } else {
      while i < line.endIndex {
        while i < line.endIndex, isSpace(line[i]) { i += 1 }
        let lo = i
        while i < line.endIndex, !isSpace(line[i]) { i += 1 }
        if i > lo { out.append(cell(lo, i)) }
      }
    }
    return out
  }

  /// A finite number, or nil.
  static func number(_ s: String) -> Float? {
    guard let v = Float(s), v.isFinite else { return nil }
    return v
  }

  /// Whether `s` reads as a number of any size, `nan` and `inf` included. The header rule uses it:
  /// a first row is a header only when one of its cells is *not* numeric, so a data row that
  /// holds `nan`, `inf` or `1e39` is never taken for one (it is reported as a bad value instead).
  static func isNumeric(_ s: String) -> Bool { Double(s) != nil }

  /// `bytes` without a leading UTF-8 byte-order mark (`EF BB BF`), which spreadsheet programs write.
  static func droppingByteOrderMark(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
    bytes.starts(with: [0xef, 0xbb, 0xbf]) ? bytes.dropFirst(3) : bytes[...]
  }
}

extension Dataset {
  /// A table of numbers `[N, D]` from a CSV file.
  ///
  /// Cells are separated by commas when the first row has one, otherwise by spaces and tabs. Blank
  /// lines and lines starting with `#` are skipped; a UTF-8 byte-order mark at the start is dropped.
  ///
  /// The header rule: with `header` nil, the first row is a header when one of its cells (other
  /// than the label column's) does not read as a number at all. Numbers of any kind — `nan`, `inf`,
  /// `1e39` — never make a header, so a first data row holding one is read as data (and a value
  /// that is not finite is an error naming its line and column). `header: true` always skips the
  /// first row, `false` never does. The header's cells are kept in ``columnNames``, and
  /// ``description`` shows them, so a skipped row is never silent.
  ///
  /// `labelColumn` (0-based; −1 for the last) is taken out as the labels: whole numbers ≥ 0 are used
  /// as they are, any other text becomes a class name (names sorted, numbered from 0).
  /// - Throws: ``DatasetError/badCell(path:line:column:reason:)`` (`file:line:column: …`) for a cell
  ///   that is not a finite number or a row with the wrong number of cells; ``DatasetError`` for a
  ///   missing file, a file with no rows, a label column out of range, or more values than the
  ///   engine's limit (``MemoryLimit/maxElements``; the file itself may be at most that many bytes).
  public static func csv(_ path: String, labelColumn: Int? = nil, header: Bool? = nil) throws -> Dataset {
    var rows = CSV.Lines(CSV.droppingByteOrderMark(try FileIO.read(path, limit: MemoryLimit.maxElements)))
    guard let first = rows.next() else {
      throw DatasetError.malformed(path: path, reason: "no rows of data")
    }
    let comma = first.bytes.contains(UInt8(ascii: ","))
    let firstCells = CSV.cells(first.bytes, comma: comma)
    let width = firstCells.count
    var labelAt: Int? = nil
    if let c = labelColumn {
      let k = c < 0 ? width + c : c
      guard k >= 0, k < width else {
        throw DatasetError.invalidArgument(
          op: "csv", message: "label column \(c) is out of range for \(width) columns in \(path)")
      }
      labelAt = k
    }
    let hasHeader = header ?? firstCells.enumerated().contains {
      $0.offset != labelAt && !CSV.isNumeric($0.element.text)
    }
    let d = width - (labelAt == nil ? 0 : 1)
    guard d >= 1 else {
      throw DatasetError.malformed(path: path, reason: "no columns left besides the label column")
    }
    var values = [Float]()
    var count = 0
    // Labels as small ids of their distinct texts, in the order first seen (4 bytes a row).
    var labelIDs: [Int32] = [], labelTexts: [String] = [], labelID: [String: Int32] = [:]
    var labelFirstSeen: [(line: Int, column: Int)] = []
    func read(_ row: (number: Int, bytes: ArraySlice<UInt8>)) throws {
      let cells = CSV.cells(row.bytes, comma: comma)
      guard cells.count == width else {
        let col = cells.count > width ? cells[width].column : row.bytes.count + 1
        throw DatasetError.badCell(
          path: path, line: row.number, column: col, reason: "\(cells.count) cells, expected \(width)")
      }
      for (j, cell) in cells.enumerated() {
        if j == labelAt {
          if let id = labelID[cell.text] {
            labelIDs.append(id)
          } else {
            let id = Int32(labelTexts.count)
            labelID[cell.text] = id
            labelTexts.append(cell.text)
            labelFirstSeen.append((row.number, cell.column))
            labelIDs.append(id)
          }
          continue
        }
        guard let v = CSV.number(cell.text) else {
          let why = cell.text.isEmpty ? "empty cell"
            : CSV.isNumeric(cell.text) ? "\"\(cell.text)\" is not a finite Float32 number"
            : "\"\(cell.text)\" is not a number"
          throw DatasetError.badCell(path: path, line: row.number, column: cell.column, reason: why)
        }
        values.append(v)
      }
      count += 1
      guard values.count <= MemoryLimit.maxElements else {
        throw DatasetError.malformed(
          path: path, reason: "more than \(MemoryLimit.maxElements) values by line \(row.number), the engine's limit "
            + "(raise it with the environment variable LEBM_MAX_ELEMENTS)")
      }
    }
    if !hasHeader { try read(first) }
    while let row = rows.next() { try read(row) }
    guard count > 0 else {
      throw DatasetError.malformed(path: path, reason: "a header row and no data")
    }
    var labels: [Int]? = nil, classes: Int? = nil, names: [String]? = nil
    if labelAt != nil {
      let whole = labelTexts.map { t -> Int? in
        guard let v = Double(t), v.rounded() == v, abs(v) < 1e9 else { return nil }
        return Int(v)
      }
      if whole.allSatisfy({ $0 != nil }) {
        // Ids follow the rows, so the smallest id of a negative label is its first row.
        if let id = whole.firstIndex(where: { $0! < 0 }) {
          let at = labelFirstSeen[id]
          throw DatasetError.badCell(
            path: path, line: at.line, column: at.column, reason: "label \(whole[id]!) is negative")
        }
        let l = labelIDs.map { whole[Int($0)]! }
        labels = l
        classes = (l.max() ?? -1) + 1
      } else {
        let sorted = labelTexts.sorted()
        let index = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($0.element, $0.offset) })
        let rank = labelTexts.map { index[$0] ?? 0 }
        labels = labelIDs.map { rank[Int($0)] }
        classes = sorted.count
        names = sorted
      }
    }
    var data = try Dataset(name: datasetName(path), x: try Tensor(shape: [count, d], scalars: values),
                           labels: labels, classes: classes, classNames: names)
    if hasHeader { data.columnNames = firstCells.map(\.text) }
    return data
  }
}
