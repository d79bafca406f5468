// Format specs in string interpolation: "{loss:.4f}", "{lr:.2e}", "{step:5d}", C printf style.
import Glibc

enum FormatSpec {
  /// `[width][.precision][type]` with type one of f, e, g, d (default g).
  static func parse(_ spec: String) -> (width: Int, precision: Int?, type: Character)? {
    var chars = Substring(spec)
    var type: Character = "g"
    if let last = chars.last, "fegd".contains(last) { type = last; chars.removeLast() }
    let pieces = chars.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    guard pieces.count <= 2, pieces.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
    let width = pieces.first.flatMap { Int($0) } ?? 0
    var precision: Int? = nil
    if pieces.count == 2 {
      guard let p = Int(pieces[1]) else { return nil }
      precision = p
    }
    guard width <= 100, (precision ?? 0) <= 30, !(type == "d" && precision != nil) else { return nil }
    return (width, precision, type)
  }

  static func isValid(_ spec: String) -> Bool { parse(spec) != nil }

  /// Formats a number (or a one-element tensor) by the spec; a string by a width alone.
  static func format(_ v: Value, _ spec: String) throws -> String {
    guard let (width, precision, type) = parse(spec) else { throw BuiltinError("bad format spec '\(spec)'") }
    // A width alone pads a string on the right (left-aligned, as Python's str.format does), so
    // that names line up in tables: "{name:14}".
    if case .string(let text) = v, precision == nil, !spec.contains(where: { "fegd".contains($0) }) {
      return text + String(repeating: " ", count: Swift.max(0, width - text.count))
    }
    var x: Double
    switch v {
    case .number(let n): x = n
    case .tensor(let t) where t.count == 1: x = Double(try t.item())
    case .bool(let b): x = b ? 1 : 0
    default: throw BuiltinError("format spec '\(spec)' needs a number, got \(shown(v))")
    }
    let c: String
    if type == "d" {
      x = x.rounded()
      c = "%\(width).0f"
    } else {
      c = "%\(width)" + (precision.map { ".\($0)" } ?? "") + String(type)
    }
    var buf = [CChar](repeating: 0, count: 512)
    _ = withVaList([x]) { vsnprintf(&buf, buf.count, c, $0) }
    return String(cString: buf)
  }
}
