/// An error from the engine: a shape or argument mistake, or a non-finite value, named with the
/// operation that found it. Nothing a caller passes makes the engine trap; it throws one of these.
public enum TensorError: Error, CustomStringConvertible, Equatable {
  /// Two or more shapes that an operation cannot combine.
  case shapeMismatch(op: String, shapes: [[Int]], detail: String)
  /// A bad argument: a negative size, an axis out of range, a stride of zero, …
  case invalidArgument(op: String, message: String)
  /// NaN or infinity where a finite value is required.
  case nonFinite(op: String, message: String)
  /// A gradient was asked for that the graph cannot provide.
  case gradient(message: String)
  /// An allocation of `elements` values over ``MemoryLimit/maxElements`` (`Int.max`: beyond counting).
  case tooLarge(op: String, elements: Int, limit: Int)

  public var description: String {
    switch self {
    case let .shapeMismatch(op, shapes, detail):
      let s = shapes.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }
        .joined(separator: " and ")
      return "\(op): shapes \(s) do not match" + (detail.isEmpty ? "" : " (\(detail))")
    case let .invalidArgument(op, message): return "\(op): \(message)"
    case let .nonFinite(op, message): return "\(op): \(message)"
    case let .gradient(message): return "grad: \(message)"
    case let .tooLarge(op, elements, limit):
      let need = elements == Int.max
        ? "more elements than can be counted"
        : "\(elements) elements (\(formatBytes(Double(elements) * 4)))"
      return "\(op): would need \(need), more than the limit of \(MemoryLimit.describe(limit)) elements; "
        + "raise it with the environment variable LEBM_MAX_ELEMENTS (e.g. LEBM_MAX_ELEMENTS=2^30)"
    }
  }
}

/// Formats a shape the way error messages and summaries show it: `[100, 3, 32, 32]`.
public func formatShape(_ shape: [Int]) -> String {
  "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

/// A byte count in words: `4.3 GB`, `512 MB`, `12 KB`.
func formatBytes(_ bytes: Double) -> String {
  for (unit, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)] where bytes >= size {
    return "\(Double((bytes / size * 10).rounded()) / 10) \(unit)"
  }
  return "\(Int(bytes)) bytes"
}
