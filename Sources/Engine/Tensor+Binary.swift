import Glibc

/// Element-wise functions of two tensors, with NumPy broadcasting.
public enum BinaryOp: String, CaseIterable, Sendable {
  case add, sub, mul, div, pow, maximum, minimum

  public var doc: String {
    switch self {
    case .add: return "a + b"
    case .sub: return "a − b"
    case .mul: return "a · b (element-wise)"
    case .div: return "a / b"
    case .pow: return "aᵇ"
    case .maximum: return "max(a, b) element-wise"
    case .minimum: return "min(a, b) element-wise"
    }
  }

  @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float {
    switch self {
    case .add: return a + b
    case .sub: return a - b
    case .mul: return a * b
    case .div: return a / b
    case .pow: return powf(a, b)
    case .maximum: return Swift.max(a, b)
    case .minimum: return Swift.min(a, b)
    }
  }
}

/// The shape two shapes broadcast to (NumPy's rules), or nil.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
  let n = max(a.count, b.count)
  var out = [Int](repeating: 1, count: n)
  for i in 0..<n {
    let da = i < n - a.count ? 1 : a[i - (n - a.count)]
    let db = i < n - b.count ? 1 : b[i - (n - b.count)]
    if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
  }
  return out
}

/// Strides of `shape` (row-major) laid against `out`, with 0 on broadcast axes.
func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
  var strides = [Int](repeating: 0, count: out.count)
  var s = 1
  for i in stride(from: shape.count - 1, through: 0, by: -1) {
    let j = i + out.count - shape.count
    strides[j] = shape[i] == 1 ? 0 : s
    s *= shape[i]
  }
  return strides
}

/// Calls `body(outOffset, aOffset, bOffset, length, aStep, bStep)` for each innermost run of a
/// broadcast loop over `out`.
@inline(__always)
func forEachBroadcastRow(
  out: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int, Int, Int, Int) -> Void
) {
  let rank = out.count
  guard rank > 0 else { body(0, 0, 0, 1, 0, 0); return }
  let inner = out[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1]
  let rows = out.dropLast().reduce(1, *)
  var index = [Int](repeating: 0, count: rank - 1)
  var oa = 0, ob = 0
  for r in 0..<rows {
    body(r * inner, oa, ob, inner, ia, ib)
    var d = rank - 2
    while d >= 0 {
      index[d] += 1; oa += sa[d]; ob += sb[d]
      if index[d] < out[d] { break }
      oa -= sa[d] * out[d]; ob -= sb[d] * out[d]; index[d] = 0
      d -= 1
    }
  }
}

extension Tensor {
  /// `op(a, b)` element-wise with broadcasting.
  static func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    let out = try elementwise(op, a, b)
    return out.recorded(op.rawValue, [a, b]) { g, need in
      var ga: Tensor? = nil, gb: Tensor? = nil
      switch op {
      case .add:
        if need[0] { ga = try g.sum(to: a.shape) }
        if need[1] { gb = try g.sum(to: b.shape) }
      case .sub:
        if need[0] { ga = try g.sum(to: a.shape) }
        if need[1] { gb = try (-g).sum(to: b.shape) }
      case .mul:
        if need[0] { ga = try elementwise(.mul, g, b).sum(to: a.shape) }
        if need[1] { gb = try elementwise(.mul, g, a).sum(to: b.shape) }
      case .div:
        if need[0] { ga = try elementwise(.div, g, b).sum(to: a.shape) }
        if need[1] {
          let q = try elementwise(.div, out, b)  // a / b²
          gb = try (-elementwise(.mul, g, q)).sum(to: b.shape)
        }
      case .pow:
        if need[0] {
          let d = try elementwise(.mul, b, elementwise(.pow, a, b - 1))
          ga = try elementwise(.mul, g, d).sum(to: a.shape)
        }
        if need[1] {
          let la = a.detached().apply(.log)
          gb = try elementwise(.mul, g, elementwise(.mul, out, la)).sum(to: b.shape)
        }
      case .maximum, .minimum:
        let mask = try elementwise(op == .maximum ? .sub : .sub, a, b)
        let mp = mask.storage.pointer
        for i in 0..<mask.count {
          mp[i] = op == .maximum ? (mp[i] >= 0 ? 1 : 0) : (mp[i] <= 0 ? 1 : 0)
        }
        if need[0] { ga = try elementwise(.mul, g, mask).sum(to: a.shape) }
        if need[1] { gb = try elementwise(.mul, g, 1 - mask).sum(to: b.shape) }
      }
      return [ga, gb]
    }
  }

  /// The values of `op(a, b)` with broadcasting; records nothing.
  static func elementwise(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    let ap = a.storage.pointer, bp = b.storage.pointer
    if a.shape == b.shape {
      let y = Tensor(sameSizeAs: a.shape)
      let yp = y.storage.pointer
      switch op {
      case .add: parallelChunks(a.count) { r in for i in r { yp[i] = ap[i] + bp[i] } }
      case .sub: parallelChunks(a.count) { r in for i in r { yp[i] = ap[i] - bp[i] } }
      case .mul: parallelChunks(a.count) { r in for i in r { yp[i] = ap[i] * bp[i] } }
      default: parallelChunks(a.count) { r in for i in r { yp[i] = op(ap[i], bp[i]) } }
      }
      return y
    }
    guard let shape = broadcastShape(a.shape, b.shape) else {
      throw TensorError.shapeMismatch(op: op.rawValue, shapes: [a.shape, b.shape], detail: "cannot broadcast")
    }
    let y = try Tensor(uninitialized: shape, op: "broadcast")
    let yp = y.storage.pointer
    if b.count == 1 && shape == a.shape {
      let s = bp[0]
      switch op {
      case .add: parallelChunks(a.count) { r in for i in r { yp[i] = ap[i] + s } }
      case .mul: parallelChunks(a.count) { r in for i in r { yp[i] = ap[i] * s } }
      default: parallelChunks(a.count) { r in for i in r { yp[i] = op(ap[i], s) } }
      }
      return y
    }
    if a.count == 1 && shape == b.shape {
      let s = ap[0]
      parallelChunks(b.count) { r in for i in r { yp[i] = op(s, bp[i]) } }
      return y
    }
    let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
    forEachBroadcastRow(out: shape, sa, sb) { o, oa, ob, n, ia, ib in
      switch (ia, ib) {
      case (1, 1): for j in 0..<n { yp[o + j] = op(ap[oa + j], bp[ob + j]) }
      case (1, 0): let v = bp[ob]; for j in 0..<n { yp[o + j] = op(ap[oa + j], v) }
      case (0, 1): let v = ap[oa]; for j in 0..<n { yp[o + j] = op(v, bp[ob + j]) }
      default: let v = op(ap[oa], bp[ob]); for j in 0..<n { yp[o + j] = v }
      }
    }
    return y
  }

  /// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
  public func sum(to target: [Int]) throws -> Tensor {
    if shape == target { return self }
    guard target.count <= rank, broadcastShape(target, shape) == shape else {
      throw TensorError.shapeMismatch(op: "sum_to", shapes: [shape, target], detail: "not a broadcast of the target")
    }
    let lead = rank - target.count
    var axes = Array(0..<lead)
    for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
    return try sum(axes: axes, keepDims: true).reshaped(target)
  }

  public static func + (a: Tensor, b: Tensor) throws -> Tensor { try binary(.add, a, b) }
  public static func - (a: Tensor, b: Tensor) throws -> Tensor { try binary(.sub, a, b) }
  public static func * (a: Tensor, b: Tensor) throws -> Tensor { try binary(.mul, a, b) }
  public static func / (a: Tensor, b: Tensor) throws -> Tensor { try binary(.div, a, b) }
  public static func + (a: Tensor, b: Float) throws -> Tensor { try binary(.add, a, Tensor(scalar: b)) }
  public static func - (a: Tensor, b: Float) throws -> Tensor { try binary(.sub, a, Tensor(scalar: b)) }
  public static func * (a: Tensor, b: Float) throws -> Tensor { try binary(.mul, a, Tensor(scalar: b)) }
  public static func / (a: Tensor, b: Float) throws -> Tensor { try binary(.div, a, Tensor(scalar: b)) }
  public static func + (a: Float, b: Tensor) throws -> Tensor { try binary(.add, Tensor(scalar: a), b) }
  public static func - (a: Float, b: Tensor) throws -> Tensor { try binary(.sub, Tensor(scalar: a), b) }
  public static func * (a: Float, b: Tensor) throws -> Tensor { try binary(.mul, Tensor(scalar: a), b) }
  public static func / (a: Float, b: Tensor) throws -> Tensor { try binary(.div, Tensor(scalar: a), b) }

  /// `self` raised to `exponent` element-wise.
  public func pow(_ exponent: Tensor) throws -> Tensor { try Tensor.binary(.pow, self, exponent) }
  public func pow(_ exponent: Float) throws -> Tensor { try Tensor.binary(.pow, self, Tensor(scalar: exponent)) }
  /// Element-wise maximum with broadcasting.
  public func maximum(_ other: Tensor) throws -> Tensor { try Tensor.binary(.maximum, self, other) }
  /// Element-wise minimum with broadcasting.
  public func minimum(_ other: Tensor) throws -> Tensor { try Tensor.binary(.minimum, self, other) }
}

// MARK: - Comparisons and selection

/// Element-wise comparisons; each gives 1 where true and 0 where false, with no gradient.
public enum Comparison: String, CaseIterable, Sendable {
  case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="

  @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Bool {
    switch self {
    case .less: return a < b
    case .lessEqual: return a <= b
    case .greater: return a > b
    case .greaterEqual: return a >= b
    case .equal: return a == b
    case .notEqual: return a != b
    }
  }
}

extension Tensor {
  /// 1 where `self op other` holds, else 0, with broadcasting.
  public func compare(_ op: Comparison, _ other: Tensor) throws -> Tensor {
    guard let shape = broadcastShape(self.shape, other.shape) else {
      throw TensorError.shapeMismatch(op: op.rawValue, shapes: [self.shape, other.shape], detail: "cannot broadcast")
    }
    let y = try Tensor(uninitialized: shape, op: "broadcast")
    let yp = y.storage.pointer, ap = storage.pointer, bp = other.storage.pointer
    let sa = broadcastStrides(self.shape, to: shape), sb = broadcastStrides(other.shape, to: shape)
    forEachBroadcastRow(out: shape, sa, sb) { o, oa, ob, n, ia, ib in
      for j in 0..<n { yp[o + j] = op(ap[oa + j * ia], bp[ob + j * ib]) ? 1 : 0 }
    }
    return y
  }

  /// `a` where `condition` is non-zero, else `b`, with broadcasting of all three.
  /// The gradient flows to `a` and `b` through the chosen places.
  public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    let mask = try condition.compare(.notEqual, Tensor(scalar: 0))
    let ma = try mask * a.detached(), mb = try (1 - mask) * b.detached()
    let y = try elementwise(.add, ma, mb)
    guard y.shape == broadcastShape(y.shape, condition.shape) else {
      throw TensorError.shapeMismatch(op: "where", shapes: [condition.shape, a.shape, b.shape], detail: "cannot broadcast")
    }
    return y.recorded("where", [a, b]) { g, need in
      [need[0] ? try elementwise(.mul, g, mask).sum(to: a.shape) : nil,
       need[1] ? try elementwise(.mul, g, 1 - mask).sum(to: b.shape) : nil]
    }
  }
}
