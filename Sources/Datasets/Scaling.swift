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

  /// Writes `src[i] / 127.5 − 1` to `dst[i]`: the hot loop of every image loader. It runs through a
  /// 256-entry table with a hand-unrolled `while`, so it stays fast even in a debug build.
  static func convert(_ src: UnsafeBufferPointer<UInt8>, into dst: UnsafeMutablePointer<Float>) {
    guard let s = src.baseAddress else { return }
    let table = UnsafeMutablePointer<Float>.allocate(capacity: 256)
    defer { table.deallocate() }
    var b = 0
    while b < 256 { table[b] = signed(UInt8(b)); b += 1 }
    let n = src.count
    var i = 0
    while i + 8 <= n {
      dst[i] = table[Int(s[i])]; dst[i + 1] = table[Int(s[i + 1])]
      dst[i + 2] = table[Int(s[i + 2])]; dst[i + 3] = table[Int(s[i + 3])]
      dst[i + 4] = table[Int(s[i + 4])]; dst[i + 5] = table[Int(s[i + 5])]
      dst[i + 6] = table[Int(s[i + 6])]; dst[i + 7] = table[Int(s[i + 7])]
      i += 8
    }
    while i < n { dst[i] = table[Int(s[i])]; i += 1 }
  }

  /// A tensor of `shape` holding `bytes` (at `offset`, `shape`'s product of them) scaled to [−1, 1].
  static func tensor(_ shape: [Int], bytes: [UInt8], offset: Int) throws -> Tensor {
    let n = shape.reduce(1, *)
    let values = bytes.withUnsafeBufferPointer { all in
      [Float](unsafeUninitializedCapacity: n) { dst, filled in
        if n > 0 { convert(UnsafeBufferPointer(rebasing: all[offset..<offset + n]), into: dst.baseAddress!) }
        filled = n
      }
    }
    return try Tensor(shape: shape, scalars: values)
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
      throw DatasetError.invalidArgument(op: "normalized", message: "\(name) has no spread of values to scale")
    }
    return try normalized(from: lo...hi, to: target)
  }
}
