import Glibc

/// Reductions over axes: sum, mean, max, min, logsumexp, and the L2 norm.
public enum ReduceOp: String, CaseIterable, Sendable {
  case sum, mean, max, min, logsumexp

  public var doc: String {
    switch self {
    case .sum: return "Σᵢ xᵢ over the axes"
    case .mean: return "(1/n) Σᵢ xᵢ over the axes"
    case .max: return "maxᵢ xᵢ over the axes"
    case .min: return "minᵢ xᵢ over the axes"
    case .logsumexp: return "log Σᵢ exp(xᵢ) over the axes, computed stably"
    }
  }
}

extension Tensor {
  /// Normalises possibly negative axes; throws for an axis out of range or repeated.
  func normalizedAxes(_ axes: [Int], op: String) throws -> [Int] {
    var out: [Int] = []
    for a in axes {
      let b = a < 0 ? a + rank : a
      guard b >= 0, b < Swift.max(rank, 1) || (rank == 0 && b == 0) else {
        throw TensorError.invalidArgument(op: op, message: "axis \(a) is out of range for a tensor of rank \(rank)")
      }
      guard !out.contains(b) else {
        throw TensorError.invalidArgument(op: op, message: "axis \(a) is repeated")
      }
      out.append(b)
    }
    return out.sorted()
  }

  /// Reduces over `axes` (all axes when nil). With `keepDims` the reduced axes stay with size 1.
  public func reduce(_ op: ReduceOp, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    let ax = try axes.map { try normalizedAxes($0, op: op.rawValue) } ?? Array(0..<rank)
    if rank == 0 { return op == .logsumexp ? self : self.recorded(op.rawValue, [self]) { g, _ in [g] } }
    let kept = shape.enumerated().map { ax.contains($0.offset) ? 1 : $0.element }
    let final = keepDims ? kept : shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
    if ax.contains(where: { shape[$0] == 0 }) && op != .sum && op != .mean {
      throw TensorError.invalidArgument(op: op.rawValue, message: "cannot reduce an empty axis")
    }
    let y = try reducedValues(op, axes: ax, kept: kept).reshapedStorage(final)
    let x = self
    let n = Float(ax.reduce(1) { $0 * shape[$1] })
    return y.recorded(op.rawValue, [self]) { g, _ in
      let gk = try g.reshaped(kept)
      switch op {
      case .sum: return [try gk.broadcast(to: x.shape)]
      case .mean: return [try (gk / n).broadcast(to: x.shape)]
      case .max, .min:
        // The gradient is shared equally among the places that attain the extreme.
        let yk = try y.reshaped(kept)
        let mask = try x.detached().compare(.equal, yk)
        let counts = try mask.reduce(.sum, axes: ax, keepDims: true)
        return [try Tensor.elementwise(.mul, mask, Tensor.elementwise(.div, gk, counts))]
      case .logsumexp:
        let yk = try y.reshaped(kept)
        let soft = try Tensor.elementwise(.sub, x.detached(), yk).apply(.exp)
        return [try Tensor.elementwise(.mul, soft, gk)]
      }
    }
  }

  /// The reduction's values, shaped `kept` (reduced axes of size 1); records nothing.
  private func reducedValues(_ op: ReduceOp, axes: [Int], kept: [Int]) throws -> Tensor {
    if op == .logsumexp {
      let m = try reducedValues(.max, axes: axes, kept: kept)
      let mp = m.storage.pointer
      for i in 0..<m.count where !mp[i].isFinite { mp[i] = 0 }
      let e = try Tensor.elementwise(.sub, self, m).apply(.exp)
      let s = try e.reducedValues(.sum, axes: axes, kept: kept)
      let sp = s.storage.pointer
      for i in 0..<s.count { sp[i] = logf(sp[i]) + mp[i] }
      return s
    }
    // Reduce one axis at a time, the last first, as outer × n × inner blocks.
    var cur = self
    var curShape = shape
    for a in axes.reversed() {
      let outer = curShape[..<a].reduce(1, *), n = curShape[a], inner = curShape[(a + 1)...].reduce(1, *)
      curShape[a] = 1
      let y = try Tensor(uninitialized: curShape)
      let xp = cur.storage.pointer, yp = y.storage.pointer
      switch op {
      case .sum, .mean:
        let scale = op == .mean ? (n > 0 ? 1 / Double(n) : .nan) : 1
        Tensor.sumBlocks(xp, into: yp, outer: outer, n: n, inner: inner, scale: scale)
      case .max, .min:
        for o in 0..<outer {
          let base = o * n * inner
          for j in 0..<inner {
            var acc: Float = op == .max ? -.infinity : .infinity
            for k in 0..<n {
              let v = xp[base + k * inner + j]
              if (op == .max ? v > acc : v < acc) || v.isNaN { acc = v }
            }
            yp[o * inner + j] = acc
          }
        }
      case .logsumexp: break  // handled above, through max and sum
      }
      cur = y
    }
    return cur
  }

  /// `y[o, j] = scale · Σₖ x[o, k, j]` for an `outer × n × inner` block of values, accumulated in
  /// Float64 so that the sum stays exact to Float32's precision at any length: a Float32
  /// accumulator stops growing at 2²⁴ (adding 1 to 16 777 216 gives 16 777 216), and its error
  /// grows with n long before that. Contiguous sums (`inner == 1`) use eight accumulators, which
  /// the compiler keeps in vector registers; strided ones add whole rows of `inner` values at once.
  static func sumBlocks(_ xp: UnsafeMutablePointer<Float>, into yp: UnsafeMutablePointer<Float>,
                        outer: Int, n: Int, inner: Int, scale: Double) {
    if inner == 1 {
      for o in 0..<outer { yp[o] = Float(sumContiguous(xp + o * n, n) * scale) }
      return
    }
    let acc = UnsafeMutablePointer<Double>.allocate(capacity: inner)
    defer { acc.deallocate() }
    for o in 0..<outer {
      acc.initialize(repeating: 0, count: inner)
      for k in 0..<n {
        let row = xp + (o * n + k) * inner
        for j in 0..<inner { acc[j] += Double(row[j]) }
      }
      for j in 0..<inner { yp[o * inner + j] = Float(acc[j] * scale) }
    }
  }

  /// Σᵢ x[i] for `n` contiguous values, in Float64.
  static func sumContiguous(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    var s = SIMD8<Double>()
    var i = 0
    while i + 8 <= n {
      s += SIMD8<Double>(SIMD8<Float>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)))
      i += 8
    }
    var total = s.sum()
    while i < n { total += Double(x[i]); i += 1 }
    return total
  }

  /// Σ of all values, or over `axes`.
  public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    try reduce(.sum, axes: axes, keepDims: keepDims)
  }
  /// The mean of all values, or over `axes`.
  public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    try reduce(.mean, axes: axes, keepDims: keepDims)
  }
  /// The maximum of all values, or over `axes`.
  public func max(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    try reduce(.max, axes: axes, keepDims: keepDims)
  }
  /// The minimum of all values, or over `axes`.
  public func min(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    try reduce(.min, axes: axes, keepDims: keepDims)
  }
  /// `log Σ exp(x)` over `axes`, computed stably.
  public func logsumexp(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    try reduce(.logsumexp, axes: axes, keepDims: keepDims)
  }
  /// The L2 norm `√(Σ x²)` over `axes` (all when nil).
  public func norm(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    try square().sum(axes: axes, keepDims: keepDims).sqrt()
  }
  /// The sample variance (divisor n) over `axes`.
  public func variance(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    let m = try mean(axes: axes, keepDims: true)
    return try (self - m).square().mean(axes: axes, keepDims: keepDims)
  }

  /// The index of the largest value along `axis`, as floats.
  public func argmax(axis: Int) throws -> Tensor {
    let a = try normalizedAxes([axis], op: "argmax")[0]
    guard shape[a] > 0 else { throw TensorError.invalidArgument(op: "argmax", message: "axis \(axis) is empty") }
    let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
    var outShape = shape
    outShape.remove(at: a)
    let y = try Tensor(uninitialized: outShape)
    let xp = storage.pointer, yp = y.storage.pointer
    for o in 0..<outer {
      for j in 0..<inner {
        var best = 0
        for k in 1..<n where xp[(o * n + k) * inner + j] > xp[(o * n + best) * inner + j] { best = k }
        yp[o * inner + j] = Float(best)
      }
    }
    return y
  }
}
