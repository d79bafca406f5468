/// Shape operations: reshape, broadcast, permute, slice, concatenate, stack, gather.
extension Tensor {
  /// The same values with a new shape (one size may be −1, inferred). Shares memory.
  public func reshaped(_ newShape: [Int]) throws -> Tensor {
    var s = newShape
    let unknown = s.indices.filter { s[$0] == -1 }
    guard unknown.count <= 1, s.allSatisfy({ $0 >= -1 }) else {
      throw TensorError.invalidArgument(op: "reshape", message: "bad target shape \(formatShape(newShape))")
    }
    if let u = unknown.first {
      let known = s.filter { $0 != -1 }.reduce(1, *)
      guard known > 0, count % known == 0 else {
        throw TensorError.shapeMismatch(op: "reshape", shapes: [shape, newShape], detail: "\(count) values")
      }
      s[u] = count / known
    }
    guard s.reduce(1, *) == count else {
      throw TensorError.shapeMismatch(op: "reshape", shapes: [shape, newShape], detail: "\(count) values cannot take the new shape")
    }
    if s == shape { return self }
    let old = shape
    return reshapedStorage(s).recorded("reshape", [self]) { g, _ in [try g.reshaped(old)] }
  }

  /// Same storage, new shape; the caller guarantees the count matches. Records nothing.
  func reshapedStorage(_ s: [Int]) -> Tensor { Tensor(shape: s, storage: storage) }

  /// Flattens all axes from `start` on into one: `[N, C, H, W]` → `[N, C·H·W]` for start 1.
  public func flattened(from start: Int = 1) throws -> Tensor {
    guard start >= 0, start <= rank else {
      throw TensorError.invalidArgument(op: "flatten", message: "start axis \(start) is out of range for rank \(rank)")
    }
    return try reshaped(Array(shape[..<start]) + [shape[start...].reduce(1, *)])
  }

  /// Copies the values out to `target` (NumPy broadcasting); the gradient sums back.
  public func broadcast(to target: [Int]) throws -> Tensor {
    if target == shape { return self }
    guard broadcastShape(shape, target) == target else {
      throw TensorError.shapeMismatch(op: "broadcast", shapes: [shape, target], detail: "cannot broadcast")
    }
    let y = try Tensor(uninitialized: target)
    let xp = storage.pointer, yp = y.storage.pointer
    let sx = broadcastStrides(shape, to: target)
    forEachBroadcastRow(out: target, sx, sx) { o, ox, _, n, ix, _ in
      if ix == 0 { let v = xp[ox]; for j in 0..<n { yp[o + j] = v } } else { for j in 0..<n { yp[o + j] = xp[ox + j] } }
    }
    let src = shape
    return y.recorded("broadcast", [self]) { g, _ in [try g.sum(to: src)] }
  }

  /// The axes reordered: output axis `i` is input axis `order[i]`.
  public func permuted(_ order: [Int]) throws -> Tensor {
    guard order.sorted() == Array(0..<rank) else {
      throw TensorError.invalidArgument(op: "permute", message: "\(order) is not a permutation of the \(rank) axes")
    }
    if order == Array(0..<rank) { return self }
    let outShape = order.map { shape[$0] }
    var inStrides = [Int](repeating: 1, count: rank)
    for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
    let permStrides = order.map { inStrides[$0] }
    let y = try Tensor(uninitialized: outShape)
    let xp = storage.pointer, yp = y.storage.pointer
    forEachBroadcastRow(out: outShape, permStrides, permStrides) { o, ox, _, n, ix, _ in
      for j in 0..<n { yp[o + j] = xp[ox + j * ix] }
    }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, o) in order.enumerated() { inverse[o] = i }
    return y.recorded("permute", [self]) { g, _ in [try g.permuted(inverse)] }
  }

  /// Swaps two axes (the last two by default): the matrix transpose on rank 2.
  public func transposed(_ a: Int = -2, _ b: Int = -1) throws -> Tensor {
    guard rank >= 2 else {
      throw TensorError.invalidArgument(op: "transpose", message: "needs rank 2 or more, got rank \(rank)")
    }
    let ax = try normalizedAxes([a], op: "transpose")[0], bx = try normalizedAxes([b], op: "transpose")[0]
    var order = Array(0..<rank)
    order.swapAt(ax, bx)
    return try permuted(order)
  }

  /// The values at `start..<end` (by `step`) along `axis`; negative bounds count from the end.
  public func slice(axis: Int, start: Int, end: Int? = nil, step: Int = 1) throws -> Tensor {
    let a = try normalizedAxes([axis], op: "slice")[0]
    guard step > 0 else { throw TensorError.invalidArgument(op: "slice", message: "step must be positive, got \(step)") }
    let n = shape[a]
    func clampIndex(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + n : i, 0), n) }
    let lo = clampIndex(start), hi = Swift.max(lo, clampIndex(end ?? n))
    let m = (hi - lo + step - 1) / step
    var outShape = shape
    outShape[a] = m
    let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
    let y = try Tensor(uninitialized: outShape)
    let xp = storage.pointer, yp = y.storage.pointer
    for o in 0..<outer {
      for k in 0..<m {
        (yp + (o * m + k) * inner).update(from: xp + (o * n + lo + k * step) * inner, count: inner)
      }
    }
    let src = shape
    return y.recorded("slice", [self]) { g, _ in
      let dx = try Tensor.zeros(src)
      let dp = dx.storage.pointer, gp = g.storage.pointer
      for o in 0..<outer {
        for k in 0..<m { (dp + (o * n + lo + k * step) * inner).update(from: gp + (o * m + k) * inner, count: inner) }
      }
      return [dx]
    }
  }

  /// Joins tensors along an existing axis; the other sizes must agree.
  public static func concatenate(_ ts: [Tensor], axis: Int = 0) throws -> Tensor {
    guard let first = ts.first else {
      throw TensorError.invalidArgument(op: "concat", message: "needs at least one tensor")
    }
    guard first.rank >= 1 else {
      throw TensorError.invalidArgument(op: "concat", message: "joins tensors along an existing axis; scalars have none (stack joins them)")
    }
    let a = try first.normalizedAxes([axis], op: "concat")[0]
    for t in ts {
      guard t.rank == first.rank, t.shape.enumerated().allSatisfy({ $0.offset == a || $0.element == first.shape[$0.offset] }) else {
        throw TensorError.shapeMismatch(op: "concat", shapes: [first.shape, t.shape], detail: "sizes differ off axis \(a)")
      }
    }
    var outShape = first.shape
    outShape[a] = ts.reduce(0) { $0 + $1.shape[a] }
    let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
    let y = try Tensor(uninitialized: outShape)
    let yp = y.storage.pointer
    var offset = 0
    for t in ts {
      let w = t.shape[a] * inner
      for o in 0..<outer { (yp + o * outShape[a] * inner + offset).update(from: t.storage.pointer + o * w, count: w) }
      offset += w
    }
    let sizes = ts.map { $0.shape[a] }
    return y.recorded("concat", ts) { g, need in
      var start = 0
      var out: [Tensor?] = []
      for (i, s) in sizes.enumerated() {
        out.append(need[i] ? try g.slice(axis: a, start: start, end: start + s) : nil)
        start += s
      }
      return out
    }
  }

  /// Joins same-shaped tensors along a new axis.
  public static func stack(_ ts: [Tensor], axis: Int = 0) throws -> Tensor {
    guard let first = ts.first else { throw TensorError.invalidArgument(op: "stack", message: "needs at least one tensor") }
    guard axis >= 0, axis <= first.rank else {
      throw TensorError.invalidArgument(op: "stack", message: "axis \(axis) is out of range")
    }
    for t in ts where t.shape != first.shape {
      throw TensorError.shapeMismatch(op: "stack", shapes: [first.shape, t.shape], detail: "all tensors must have one shape")
    }
    var s = first.shape
    s.insert(1, at: axis)
    return try concatenate(ts.map { try $0.reshaped(s) }, axis: axis)
  }

  /// The slices at `indices` along axis 0 (rows of a matrix, images of a batch), in that order.
  public func gather(_ indices: [Int]) throws -> Tensor {
    guard rank >= 1 else { throw TensorError.invalidArgument(op: "gather", message: "needs rank 1 or more") }
    let n = shape[0], inner = count / Swift.max(n, 1)
    for i in indices where i < 0 || i >= n {
      throw TensorError.invalidArgument(op: "gather", message: "index \(i) is out of range for \(n) rows")
    }
    var outShape = shape
    outShape[0] = indices.count
    let y = try Tensor(uninitialized: outShape)
    let xp = storage.pointer, yp = y.storage.pointer
    for (k, i) in indices.enumerated() { (yp + k * inner).update(from: xp + i * inner, count: inner) }
    let src = shape
    return y.recorded("gather", [self]) { g, _ in
      let dx = try Tensor.zeros(src)
      let dp = dx.storage.pointer, gp = g.storage.pointer
      for (k, i) in indices.enumerated() { for j in 0..<inner { dp[i * inner + j] += gp[k * inner + j] } }
      return [dx]
    }
  }
}
