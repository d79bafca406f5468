// The engine's one allocation cap: every tensor buffer and every planned buffer is checked against
// it before the memory is asked for, so a shape typed by mistake (or read from a corrupt file)
// becomes an error naming the operation instead of a failed allocation that ends the process.
import Glibc
import Synchronization

/// The most Float32 values one allocation may hold: 2²⁸ (1 GiB) unless raised.
///
/// Set it from Swift with `MemoryLimit.maxElements = 1 << 30`, or for a whole process with the
/// environment variable `LEBM_MAX_ELEMENTS` (a count such as `1073741824`, or a power of two such as
/// `2^30`), read once at start-up. An allocation over the limit throws ``TensorError/tooLarge(op:elements:limit:)``.
public enum MemoryLimit {
  /// The limit when nothing sets one: 2²⁸ values (1 GiB of Float32).
  public static let defaultElements = 1 << 28

  private static let current = Atomic<Int>(initialElements())

  /// The most values one allocation may hold. Values below 1 are taken as 1.
  public static var maxElements: Int {
    get { current.load(ordering: .relaxed) }
    set { current.store(Swift.max(1, newValue), ordering: .relaxed) }
  }

  /// `LEBM_MAX_ELEMENTS` when it holds a count (`1073741824`) or a power of two (`2^30`), else the
  /// default; a value that is neither (`lots`, `0`, `2^70`) is reported once on stderr, naming the
  /// default used instead.
  static func initialElements() -> Int {
    guard let p = getenv("LEBM_MAX_ELEMENTS") else { return defaultElements }
    let text = String(cString: p)
    if let n = parse(text) { return n }
    fputs(ignoredSettingMessage(text) + "\n", stderr)
    return defaultElements
  }

  /// The line that says an unusable `LEBM_MAX_ELEMENTS` is ignored.
  static func ignoredSettingMessage(_ text: String) -> String {
    "lebm: ignoring LEBM_MAX_ELEMENTS='\(text)': it must be a count ≥ 1 (such as 1073741824) or a power of two "
      + "up to 2^62 (such as 2^30); using the default, \(describe(defaultElements)) values"
  }

  /// `"1073741824"` or `"2^30"` as a count ≥ 1; nil for anything else.
  public static func parse(_ text: String) -> Int? {
    let s = text.filter { $0 != " " && $0 != "_" }
    if s.hasPrefix("2^"), let e = Int(s.dropFirst(2)), (0...62).contains(e) { return 1 << e }
    if let n = Int(s), n >= 1 { return n }
    return nil
  }

  /// Throws unless `count` values fit under the limit.
  public static func check(_ count: Int, op: String) throws(TensorError) {
    let limit = maxElements
    guard count <= limit else { throw TensorError.tooLarge(op: op, elements: count, limit: limit) }
  }

  /// The number of values in `shape`, checked: no negative size, no overflow, within the limit.
  public static func count(of shape: [Int], op: String) throws(TensorError) -> Int {
    var n = 1
    for d in shape {
      guard d >= 0 else {
        throw TensorError.invalidArgument(op: op, message: "negative size in shape \(formatShape(shape))")
      }
      let (p, o) = n.multipliedReportingOverflow(by: d)
      guard !o else { throw TensorError.tooLarge(op: op, elements: Int.max, limit: maxElements) }
      n = p
    }
    try check(n, op: op)
    return n
  }

  /// `n` written for people: `2^28` for powers of two, else the digits.
  static func describe(_ n: Int) -> String {
    n > 1 && n & (n - 1) == 0 ? "2^\(n.trailingZeroBitCount)" : String(n)
  }
}
