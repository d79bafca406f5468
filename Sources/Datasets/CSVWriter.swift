// Writing a tensor as CSV text for NumPy, pandas and spreadsheets.
import Engine

/// A 1-D tensor (one column) or 2-D tensor (rows × columns) as CSV text, one row a line,
/// with an optional header row of column names.
///
/// Values are written in the shortest form that reads back to the same Float32 (`0.1`, `3`,
/// `1e-05`, `nan`, `inf`), so `numpy.loadtxt(path, delimiter=",", skiprows=1)` recovers them
/// exactly. Names holding a comma, a quote or a line break are quoted (RFC 4180).
public func csvText(_ t: Tensor, header: [String]?) throws(DatasetError) -> String {
  guard t.rank == 1 || t.rank == 2 else {
    throw .invalidArgument(op: "write_csv", message: "the tensor must be 1-D or 2-D, got shape \(formatShape(t.shape))")
  }
  let columns = t.rank == 1 ? 1 : t.shape[1]
  var out = ""
  if let header {
    guard header.count == columns else {
      throw .invalidArgument(op: "write_csv", message: "the header names \(header.count) column\(header.count == 1 ? "" : "s") but the tensor has \(columns)")
    }
    out += header.map(CSV.quoted).joined(separator: ",") + "\n"
  }
  guard columns > 0 else { return out }
  t.withUnsafeBufferPointer { p in
    for (i, x) in p.enumerated() {
      out += CSV.number(x)
      out += (i + 1) % columns == 0 ? "\n" : ","
    }
  }
  return out
}

extension CSV {
  /// `3` for 3.0, else Swift's shortest round-trip form (`0.1`, `1e-05`, `nan`, `-inf`).
  static func number(_ x: Float) -> String {
    let s = x.description
    return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
  }

  /// The name as a CSV cell: in double quotes (doubled inside) when it holds `,`, `"` or a line break.
  static func quoted(_ name: String) -> String {
    guard name.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return name }
    return "\"" + name.map { $0 == "\"" ? "\"\"" : String($0) }.joined() + "\""
  }
}
