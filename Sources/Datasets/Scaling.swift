import Engine

/// Scaling between stored bytes and the [−1, 1] range every data set uses.
public enum Scaling {
  /// `b / 127.5 − 1` for each byte: 0 → −1, 255 → 1.
  @inline(__always) public static func signed(_ byte: UInt8) -> Float { Float(byte) / 127.5 - 1 }

  /// The bytes scaled to [−1, 1], as a new array.
  public static func signed(_ bytes: [UInt8]) -> [Float] {
    bytes.withUnsafeBufferPointer { src in
      [Float](unsafeUninitializedCapacity: src.count) { dst, n in
        convert(src, into: dst.baseAddress!)
        n = src.count
      }
    }
  }

  /// Writes `src[i] / 127.5 − 1` to `dst[i]`: the hot loop of every image loader. It reads 8 bytes at
  /// a time and looks each byte pair up in a 65,536-entry table of two floats, so it stays fast even in a
  /// debug build (where every call in a per-byte loop costs).
  static func convert(_ src: UnsafeBufferPointer<UInt8>, into dst: UnsafeMutablePointer<Float>) {
    guard let s = src.baseAddress else { return }
    let n = src.count
    var i = 0
    // Aligned 8-byte words when the addresses allow it (IDX pixels start 16 bytes into their buffer).
    if n >= 4096, Int(bitPattern: s) % 8 == 0, Int(bitPattern: dst) % 8 == 0 {
      let pairs = pairTable
      let m = n / 8
      s.withMemoryRebound(to: UInt64.self, capacity: m) { words in
        dst.withMemoryRebound(to: UInt64.self, capacity: 4 * m) { out in
          var k = 0
          while k < m {
            let w = words[k]
            out[4 * k] = pairs[Int(w & 0xffff)]
            out[4 * k + 1] = pairs[Int((w >> 16) & 0xffff)]
            out[4 * k + 2] = pairs[Int((w >> 32) & 0xffff)]
            out[4 * k + 3] = pairs[Int(w >> 48)]
            k += 1
          }
        }
      }
      i = 8 * m
    }
    while i < n { dst[i] = signed(s[i]); i += 1 }
  }

  /// For each little-endian byte pair `b0 | b1 << 8`, the bit patterns of `signed(b0)` (low half) and
  /// `signed(b1)` (high half): storing one entry writes two floats in memory order.
  nonisolated(unsafe) static let pairTable: UnsafeMutablePointer<UInt64> = {
    let t = UnsafeMutablePointer<UInt64>.allocate(capacity: 65536)
    for v in 0..<65536 {
      let lo = UInt64(signed(UInt8(v & 0xff)).bitPattern), hi = UInt64(signed(UInt8(v >> 8)).bitPattern)
      t[v] = lo | hi << 32
    }
    return t
  }()

  /// A tensor of `shape` holding `bytes` (at `offset`, `shape`'s product of them) scaled to [−1, 1].
  /// The values are written straight into the tensor's memory (no array in between), after the
  /// engine has checked the size.
  static func tensor(_ shape: [Int], bytes: [UInt8], offset: Int) throws -> Tensor {
    try Tensor.make(shape) { dst in
      let n = dst.count
      guard n > 0, offset + n <= bytes.count else { return }
      bytes.withUnsafeBufferPointer { all in
        convert(UnsafeBufferPointer(rebasing: all[offset..<offset + n]), into: dst.baseAddress!)
      }
    }
  }
}

extension Dataset {
  /// The values mapped linearly from `range` to `target` (default [−1, 1]): `lo → target.lo`,
  /// `hi → target.hi`. Values outside `range` land outside `target`; nothing is clipped.
  /// - Throws: if `range` is empty (lo == hi) or a bound is not finite.
  public func normalized(from range: ClosedRange<Float>, to target: ClosedRange<Float> = -1...1) throws
    -> Dataset {
    let lo = range.lowerBound, hi = range.upperBound
    guard lo < hi, lo.isFinite, hi.isFinite, target.lowerBound.isFinite, target.upperBound.isFinite else {
      throw DatasetError.invalidArgument(
        op: "normalized", message: "need a finite, non-empty range, got \(lo)...\(hi) → \(target)")
    }
    let scale = (target.upperBound - target.lowerBound) / (hi - lo)
    let shift = target.lowerBound - lo * scale
    var d = self
    d.x = try Tensor(shape: x.shape, scalars: x.scalars.map { $0 * scale + shift })
    return d
  }

  /// The values mapped from their own smallest..largest to `target` (default [−1, 1]).
  /// - Throws: if every value is the same, or a value is not finite.
  public func normalized(to target: ClosedRange<Float> = -1...1) throws -> Dataset {
    let v = x.scalars
    guard let lo = v.min(), let hi = v.max(), lo < hi else {
      throw DatasetError.invalidArgument(
        op: "normalized", message: "\(name) has no spread of values to scale")
    }
    return try normalized(from: lo...hi, to: target)
  }
}
