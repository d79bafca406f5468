// How a tensor prints: nested rows like PyTorch and NumPy, aligned columns, `…` at the edges of
// big tensors, and a shape-and-statistics line under them. The one place tensors become text.
import Glibc

/// The layout of a printed tensor (NumPy's `threshold`, `edgeitems` and `linewidth`).
public struct TensorPrintOptions: Sendable {
  /// Tensors with more values than this print only their edges.
  public var threshold = 1000
  /// How many rows and columns print at each edge of a summarised dimension.
  public var edgeItems = 3
  /// The widest line before a row wraps.
  public var lineWidth = 80
  public init() {}
}

extension Tensor: CustomStringConvertible {
  /// The tensor as rows, e.g. `tensor([[1, 2],\n        [3, 4]])`; past 1,000 values only the
  /// first and last 3 of each dimension, then a line with the shape, mean, std, min and max.
  public var description: String { formatted() }

  /// The printed form under `options` (see ``description``).
  public func formatted(_ options: TensorPrintOptions = TensorPrintOptions()) -> String {
    if rank == 0 { return "tensor(\(formatScalar(scalars[0])))" }
    if count == 0 { return rank == 1 ? "tensor([])" : "tensor([], shape \(formatShape(shape)))" }
    let summarise = count > options.threshold
    let style = ScalarStyle(for: shownValues(edge: summarise ? options.edgeItems : nil))
    var printer = RowPrinter(tensor: self, style: style, edge: summarise ? options.edgeItems : nil,
                             lineWidth: options.lineWidth, aligned: true, multiline: true)
    let body = "tensor(" + printer.render(dim: 0, offset: 0, indent: 7) + ")"
    return summarise ? body + "\n" + statisticsLine : body
  }

  /// A one-line form for a tensor inside a list or record: the values when there are at most
  /// 12 (`tensor([[1, 2], [3, 4]])`), else the shape and statistics.
  public var inlineDescription: String {
    if rank == 0 || count == 0 { return formatted() }
    guard count <= 12 else { return "tensor(" + statistics.joined(separator: ", ") + ")" }
    var printer = RowPrinter(tensor: self, style: ScalarStyle(for: scalars), edge: nil, lineWidth: .max, aligned: false, multiline: false)
    return "tensor(" + printer.render(dim: 0, offset: 0, indent: 7) + ")"
  }

  /// `shape [50, 50]  mean 0.0012  std 0.9987  min -3.4  max 3.2` over the finite values, and how
  /// many are NaN or infinite when any are.
  public var statisticsLine: String { statistics.joined(separator: "  ") }

  /// The parts of ``statisticsLine``: `shape [50, 50]`, `mean 0.0012`, ….
  public var statistics: [String] {
    var lo = Float.infinity, hi = -Float.infinity, sum = 0.0, sumSquares = 0.0, nan = 0, inf = 0
    for x in UnsafeBufferPointer(start: storage.pointer, count: count) {
      if x.isFinite {
        lo = Swift.min(lo, x); hi = Swift.max(hi, x); sum += Double(x); sumSquares += Double(x) * Double(x)
      } else if x.isNaN { nan += 1 } else { inf += 1 }
    }
    var s = ["shape \(formatShape(shape))"]
    let n = Double(count - nan - inf)
    if n > 0 {
      let mean = sum / n, variance = Swift.max(sumSquares / n - mean * mean, 0)
      s += ["mean \(formatScalar(Float(mean)))", "std \(formatScalar(Float(variance.squareRoot())))",
            "min \(formatScalar(lo))", "max \(formatScalar(hi))"]
    }
    if nan > 0 { s.append("nan \(nan)") }
    if inf > 0 { s.append("inf \(inf)") }
    return s
  }

  /// The values that print (all, or the edges of each dimension), to choose one number style.
  fileprivate func shownValues(edge: Int?) -> [Float] {
    guard let edge else { return scalars }
    var out: [Float] = []
    func walk(_ dim: Int, _ offset: Int) {
      let n = shape[dim], stride = shape[(dim + 1)...].reduce(1, *)
      for i in shownIndices(n, edge: edge) {
        guard let i else { continue }
        if dim == rank - 1 { out.append(storage.pointer[offset + i]) } else { walk(dim + 1, offset + i * stride) }
      }
    }
    walk(0, 0)
    return out
  }
}

/// The indices of a dimension of size `n` that print: all, or the first and last `edge` with
/// `nil` for the `…` between.
private func shownIndices(_ n: Int, edge: Int?) -> [Int?] {
  guard let edge, n > 2 * edge else { return Array(0..<n) }
  return Array(0..<edge) + [nil] + Array((n - edge)..<n)
}

/// One number style for every value of a tensor, so columns line up: whole numbers as
/// integers, else a fixed number of decimals (at most 4, the fewest that show every value), or
/// scientific notation when the magnitudes span too much for that (as PyTorch chooses).
struct ScalarStyle {
  enum Kind { case integer, fixed(Int), scientific }
  let kind: Kind

  init(for values: [Float]) {
    let finite = values.filter(\.isFinite)
    let magnitudes = finite.map { Swift.abs($0) }.filter { $0 > 0 }
    let largest = magnitudes.max() ?? 0, smallest = magnitudes.min() ?? 0
    if finite.allSatisfy({ $0 == $0.rounded() }) && largest < 1e8 {
      kind = .integer
    } else if largest >= 1e8 || smallest < 1e-4 || (smallest > 0 && largest / smallest >= 1e5) {
      kind = .scientific
    } else {
      // The fewest decimals (1…4) that print every value as it prints with 4.
      var decimals = 1
      for x in finite {
        let scaled = (Double(Swift.abs(x)) * 1e4).rounded()
        var d = 4, unit = 1.0
        while d > decimals, scaled.truncatingRemainder(dividingBy: unit * 10) == 0 { d -= 1; unit *= 10 }
        decimals = Swift.max(decimals, d)
      }
      kind = .fixed(decimals)
    }
  }

  func format(_ x: Float) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    switch kind {
    case .integer: return String(Int(x))
    case .fixed(let d): return fixedDecimal(Double(x), decimals: d)
    case .scientific: return scientific(Double(x))
    }
  }
}

/// `x` with exactly `decimals` digits after the point, without Foundation (|x| < 1e8 here).
func fixedDecimal(_ x: Double, decimals: Int) -> String {
  var unit = 1.0
  for _ in 0..<decimals { unit *= 10 }
  let scaled = (Swift.abs(x) * unit).rounded()
  guard scaled < 9e15 else { return "\(x)" }
  let whole = Int64(scaled / unit), fraction = Int64(scaled) - whole * Int64(unit)
  var digits = String(fraction)
  digits = String(repeating: "0", count: Swift.max(0, decimals - digits.count)) + digits
  return (x < 0 && scaled > 0 ? "-" : "") + String(whole) + (decimals > 0 ? "." + digits : "")
}

/// `1.2346e-05`: four decimals in the mantissa and a signed two-digit exponent.
func scientific(_ x: Double) -> String {
  guard x != 0 else { return "0.0000e+00" }
  var e = Int(log10(Swift.abs(x)).rounded(.down))
  var m = x / pow(10, Double(e))
  if Swift.abs((m * 1e4).rounded()) >= 1e5 { m /= 10; e += 1 }
  let exponent = String(Swift.abs(e))
  return fixedDecimal(m, decimals: 4) + "e" + (e < 0 ? "-" : "+") + (exponent.count < 2 ? "0" : "") + exponent
}

/// Writes nested rows: `[` and `]` per dimension, values right-aligned to one width, rows of
/// the last dimension wrapped at the line width, blank lines between blocks of rank 3 and up.
private struct RowPrinter {
  let tensor: Tensor
  let style: ScalarStyle
  let edge: Int?
  let lineWidth: Int
  let multiline: Bool
  var width = 0

  init(tensor: Tensor, style: ScalarStyle, edge: Int?, lineWidth: Int, aligned: Bool, multiline: Bool) {
    self.tensor = tensor; self.style = style; self.edge = edge; self.lineWidth = lineWidth; self.multiline = multiline
    if aligned {
      width = tensor.shownValues(edge: edge).map { style.format($0).count }.max() ?? 0
    }
  }

  func pad(_ s: String) -> String { String(repeating: " ", count: Swift.max(0, width - s.count)) + s }

  /// The dimension `dim` starting at flat `offset`, its `[` at column `indent`.
  mutating func render(dim: Int, offset: Int, indent: Int) -> String {
    let n = tensor.shape[dim], stride = tensor.shape[(dim + 1)...].reduce(1, *)
    let indices = shownIndices(n, edge: edge)
    if dim == tensor.rank - 1 {
      let items = indices.map { i in i.map { pad(style.format(tensor.storage.pointer[offset + $0])) } ?? "…" }
      guard multiline else { return "[" + items.joined(separator: ", ") + "]" }
      // Wrap: as many items per line as fit after the `[`.
      var lines: [String] = [], line = ""
      for (k, item) in items.enumerated() {
        let piece = item + (k < items.count - 1 ? "," : "")
        if !line.isEmpty, indent + 1 + line.count + 1 + piece.count > lineWidth {
          lines.append(line); line = piece
        } else {
          line += (line.isEmpty ? "" : " ") + piece
        }
      }
      lines.append(line)
      return "[" + lines.joined(separator: "\n" + String(repeating: " ", count: indent + 1)) + "]"
    }
    let separator = multiline
      ? "," + String(repeating: "\n", count: tensor.rank - dim - 1) + String(repeating: " ", count: indent + 1)
      : ", "
    var parts: [String] = []
    for i in indices {
      if let i { parts.append(render(dim: dim + 1, offset: offset + i * stride, indent: indent + 1)) } else { parts.append("…") }
    }
    return "[" + parts.joined(separator: separator) + "]"
  }
}

/// Formats a scalar with up to 4 significant decimals and no trailing zeros.
public func formatScalar(_ x: Float) -> String {
  if x.isNaN { return "nan" }
  if x.isInfinite { return x > 0 ? "inf" : "-inf" }
  if x == x.rounded(), abs(x) < 1e9 { return String(Int(x)) }
  let a = abs(x)
  if a >= 1e5 || a < 1e-4 {
    return String(format4e: Double(x))
  }
  var s = String(Double((Double(x) * 1e4).rounded() / 1e4))
  if s.hasSuffix(".0") { s.removeLast(2) }
  return s
}

extension String {
  /// `1.2345e-05`-style formatting without Foundation.
  init(format4e x: Double) {
    guard x != 0 else { self = "0"; return }
    var e = Int((log10(abs(x))).rounded(.down))
    var m = x / pow(10, Double(e))
    m = (m * 1e4).rounded() / 1e4
    if abs(m) >= 10 { m /= 10; e += 1 }
    self = "\(m)e\(e)"
  }
}
