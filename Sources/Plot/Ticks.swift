// Ticks: "nice" axis ticks on 1-2-5 steps, powers of ten for log axes, and their labels.

/// Tick positions and labels for axes and colour bars.
public enum Ticks {
  /// The 1-2-5 step (… 0.1, 0.2, 0.5, 1, 2, 5, 10 …) that splits `span` into about `target` parts.
  public static func step(span: Double, target: Int = 5) -> Double {
    guard span.isFinite, span > 0 else { return 1 }
    let raw = span / Double(Swift.max(target, 1))
    let mag = pow10(floorLog10(raw))
    let f = raw / mag
    let m: Double = f < 1.5 ? 1 : (f < 3.5 ? 2 : (f < 7.5 ? 5 : 10))
    return m * mag
  }

  /// Multiples of a 1-2-5 step that lie in `[lo, hi]` (about `target` of them), and at least two:
  /// when the step chosen leaves one (a range of 7.4 split in two parts takes a step of 5, and
  /// only 0 may lie inside), the next smaller 1-2-5 steps are tried.
  public static func linear(_ lo: Double, _ hi: Double, target: Int = 5) -> [Double] {
    guard lo.isFinite, hi.isFinite, hi > lo else { return lo.isFinite ? [lo] : [] }
    var s = step(span: hi - lo, target: target)
    var ticks = multiples(of: s, in: lo, hi)
    for _ in 0..<3 where ticks.count < 2 {
      s = smallerStep(s)
      ticks = multiples(of: s, in: lo, hi)
    }
    return ticks
  }

  /// The multiples of `s` in `[lo, hi]` (none when there would be 1000 or more).
  static func multiples(of s: Double, in lo: Double, _ hi: Double) -> [Double] {
    let first = (lo / s - 1e-9).rounded(.up)
    let last = (hi / s + 1e-9).rounded(.down)
    guard last >= first, last - first < 1000 else { return [] }
    return stride(from: first, through: last, by: 1).map { $0 * s == 0 ? 0 : $0 * s }
  }

  /// The 1-2-5 step below `s`: 5 → 2 → 1 → 0.5.
  static func smallerStep(_ s: Double) -> Double {
    let mag = pow10(floorLog10(s * (1 + 1e-9)))
    let m = (s / mag).rounded()
    return m >= 5 ? 2 * mag : (m >= 2 ? mag : mag / 2)
  }

  /// Powers of ten in `[lo, hi]` (both positive); when there are fewer than two, 1-2-5 multiples of
  /// them; when there are still fewer than two (a range inside one decade, such as 1.2…2.9), the
  /// linear 1-2-5 ticks of the range.
  public static func log(_ lo: Double, _ hi: Double) -> [Double] {
    guard lo > 0, hi > lo, lo.isFinite, hi.isFinite else { return [] }
    let a = Int(floorLog10(lo))
    let b = Int(floorLog10(hi)) + 1
    let low = lo * (1 - 1e-9)
    let high = hi * (1 + 1e-9)
    var decades: [Double] = []
    for e in a...b {
      let v = pow10(Double(e))
      if v >= low && v <= high { decades.append(v) }
    }
    if decades.count < 2 {
      decades = []
      for e in a...b {
        for m: Double in [1, 2, 5] {
          let v = m * pow10(Double(e))
          if v >= low && v <= high { decades.append(v) }
        }
      }
    }
    if decades.count < 2 {
      let ticks = linear(lo, hi, target: 4).filter { $0 > 0 }
      if ticks.count >= 2 { return ticks }
    }
    if decades.count > 8 {
      let k = (decades.count + 5) / 6
      var kept: [Double] = []
      for (i, v) in decades.enumerated() where i % k == 0 { kept.append(v) }
      decades = kept
    }
    return decades
  }

  /// Labels for `ticks`, all with the same number of decimals (enough to tell neighbours apart);
  /// very large or small magnitudes use `1e5` style.
  public static func labels(_ ticks: [Double], log: Bool = false) -> [String] {
    guard !ticks.isEmpty else { return [] }
    let big = ticks.map { Swift.abs($0) }.max()!
    let nonzero = ticks.map { Swift.abs($0) }.filter { $0 > 0 }
    let small = nonzero.min() ?? 0
    if log || big >= 1e5 || (small > 0 && small < 1e-3 && big < 1e-2) {
      if log && big < 1e5 && small >= 1e-3 { return ticks.map { format($0, decimals: exactDecimals($0)) } }
      return ticks.map(exponent)
    }
    var gap = Double.infinity
    for i in ticks.indices.dropFirst() { gap = Swift.min(gap, Swift.abs(ticks[i] - ticks[i - 1])) }
    if !gap.isFinite || gap == 0 { gap = big == 0 ? 1 : big }
    let d = Swift.max(0, Swift.min(6, -Int(floorLog10(gap * (1 + 1e-9)))))
    // A step of 0.25 or 2.5 needs one more decimal than its magnitude says.
    let needsMore = ticks.contains { v in
      let scaled = v * pow10(Double(d))
      return Swift.abs(scaled - scaled.rounded()) > 1e-6 * Swift.max(1, Swift.abs(scaled))
    }
    return ticks.map { format($0, decimals: Swift.min(d + (needsMore ? 1 : 0), 7)) }
  }

  /// `value` with exactly `decimals` digits after the point and no `-0`.
  public static func format(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
    let scale = pow10(Double(decimals))
    let n = (Swift.abs(value) * scale).rounded()
    guard n < 9e15 else { return exponent(value) }
    var digits = String(Int64(n))
    if decimals > 0 {
      if digits.count <= decimals {
        digits = String(repeating: "0", count: decimals - digits.count + 1) + digits
      }
      digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
    }
    return (value < 0 && n != 0 ? "-" : "") + digits
  }

  /// `2.5e-4`, `1e6`: a short mantissa and exponent.
  public static func exponent(_ value: Double) -> String {
    guard value != 0, value.isFinite else { return format(value, decimals: 0) }
    var e = Int(floorLog10(Swift.abs(value)))
    var m = value / pow10(Double(e))
    if Swift.abs(m) >= 9.995 {
      e += 1
      m /= 10
    }
    var ms = format(m, decimals: 2)
    while ms.contains("."), ms.hasSuffix("0") { ms.removeLast() }
    if ms.hasSuffix(".") { ms.removeLast() }
    return "\(ms)e\(e)"
  }

  static func decimalsFor(_ v: Double) -> Int {
    v >= 1 || v == 0 ? 0 : Swift.min(6, -Int(floorLog10(v)))
  }

  /// The decimals that show `v` exactly (up to 7): a log axis inside one decade has linear ticks
  /// such as 1.5 and 2.5, which must not round to 2 and 3.
  static func exactDecimals(_ v: Double) -> Int {
    var d = decimalsFor(v)
    while d < 7 {
      let scaled = v * pow10(Double(d))
      if Swift.abs(scaled - scaled.rounded()) <= 1e-6 * Swift.max(1, Swift.abs(scaled)) { break }
      d += 1
    }
    return d
  }
}

/// ⌊log10(x)⌋ for x > 0, computed without Foundation and exact at powers of ten.
func floorLog10(_ x: Double) -> Double {
  guard x > 0, x.isFinite else { return 0 }
  var e = 0.0
  var v = x
  while v >= 10 {
    v /= 10
    e += 1
  }
  while v < 1 {
    v *= 10
    e -= 1
  }
  // Guard against rounding drift just below a power of ten.
  if pow10(e + 1) <= x * (1 + 1e-12) { e += 1 }
  return e
}

/// 10^e for an integral e.
func pow10(_ e: Double) -> Double {
  var r = 1.0
  let n = Int(Swift.abs(e))
  for _ in 0..<n { r *= 10 }
  return e < 0 ? 1 / r : r
}
