import Glibc

/// A Float32 tensor of any rank, stored contiguously in row-major order.
///
/// Tensors are values: every operation returns a new tensor and leaves its inputs alone (the one
/// exception is an optimizer updating its parameters in place). A tensor that takes part in a
/// gradient computation carries a node of the autodiff graph; see ``gradients(of:wrt:)``.
///
/// Every operation that user input can get wrong throws a ``TensorError`` naming the operation and
/// the shapes, so one `try` covers a whole expression: `let e = try (z * w + b).sum()`.
public struct Tensor: @unchecked Sendable {
  /// The size of each axis; `[]` for a scalar.
  public let shape: [Int]
  let storage: Storage
  /// The autodiff node, present when this tensor was computed from one that requires a gradient.
  var node: GradNode?

  init(shape: [Int], storage: Storage, node: GradNode? = nil) {
    self.shape = shape
    self.storage = storage
    self.node = node
  }

  /// A tensor of `shape` whose memory the caller fills before anyone reads it.
  /// - Throws: when `shape` has a negative size or more values than ``MemoryLimit/maxElements``;
  ///   `op` names the operation in the message.
  init(uninitialized shape: [Int], op: String = "tensor") throws(TensorError) {
    let n = try MemoryLimit.count(of: shape, op: op)
    self.init(shape: shape, storage: Storage(uninitialized: n))
  }

  /// A tensor of `shape` with as many values as a tensor or array that already exists (its memory
  /// already fit), so the size needs no check: unary results, gradients of an input, copies.
  init(sameSizeAs shape: [Int]) {
    self.init(shape: shape, storage: Storage(uninitialized: shape.reduce(1, *)))
  }

  // MARK: - Creation

  /// A tensor with the given scalars in row-major order.
  /// - Throws: if `scalars.count` is not the product of `shape`, or a size is negative.
  public init(shape: [Int], scalars: [Float]) throws {
    try Tensor.checkShape(shape, op: "tensor")
    let n = shape.reduce(1, *)
    guard scalars.count == n else {
      throw TensorError.invalidArgument(
        op: "tensor", message: "\(scalars.count) values cannot fill shape \(formatShape(shape)) (\(n) values)")
    }
    try self.init(uninitialized: shape)
    scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: n) }
  }

  /// A rank-1 tensor holding `scalars`.
  public init(_ scalars: [Float]) {
    self.init(sameSizeAs: [scalars.count])
    scalars.withUnsafeBufferPointer {
      if let b = $0.baseAddress { storage.pointer.update(from: b, count: scalars.count) }
    }
  }

  /// A rank-0 tensor holding `value`.
  public init(scalar value: Float) {
    self.init(sameSizeAs: [])
    storage.pointer[0] = value
  }

  /// A tensor from nested rows: `Tensor(rows: [[1, 2], [3, 4]])` has shape `[2, 2]`.
  public init(rows: [[Float]]) throws {
    let cols = rows.first?.count ?? 0
    guard rows.allSatisfy({ $0.count == cols }) else {
      throw TensorError.invalidArgument(op: "tensor", message: "rows have different lengths")
    }
    try self.init(shape: [rows.count, cols], scalars: rows.flatMap { $0 })
  }

  /// A tensor of `shape` filled with `value`.
  public static func full(_ shape: [Int], _ value: Float) throws -> Tensor { try filled(shape, value, op: "full") }

  /// A tensor of zeros.
  public static func zeros(_ shape: [Int]) throws -> Tensor { try filled(shape, 0, op: "zeros") }

  /// A tensor of ones.
  public static func ones(_ shape: [Int]) throws -> Tensor { try filled(shape, 1, op: "ones") }

  /// A tensor of `shape` filled with `value`; `op` names the operation in errors.
  static func filled(_ shape: [Int], _ value: Float, op: String) throws -> Tensor {
    let t = try Tensor(uninitialized: shape, op: op)
    t.storage.pointer.update(repeating: value, count: t.count)
    return t
  }

  /// `start, start + step, …` up to but not including `end`, as in `numpy.arange`.
  public static func arange(_ start: Float, _ end: Float, step: Float = 1) throws -> Tensor {
    guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
      throw TensorError.invalidArgument(op: "arange", message: "step must be finite and non-zero, got \(step)")
    }
    let span = ((end - start) / step).rounded(.up)
    guard span <= Float(MemoryLimit.maxElements) else {
      throw TensorError.tooLarge(op: "arange", elements: span < 9e18 ? Int(span) : Int.max, limit: MemoryLimit.maxElements)
    }
    let n = span > 0 ? Int(span) : 0  // an empty range, however far below zero
    let t = try Tensor(uninitialized: [n], op: "arange")
    for i in 0..<n { t.storage.pointer[i] = start + Float(i) * step }
    return t
  }

  /// `count` evenly spaced values from `start` to `end`, both included.
  public static func linspace(_ start: Float, _ end: Float, count: Int) throws -> Tensor {
    guard count >= 1 else {
      throw TensorError.invalidArgument(op: "linspace", message: "count must be at least 1, got \(count)")
    }
    let t = try Tensor(uninitialized: [count], op: "linspace")
    let d = count > 1 ? (end - start) / Float(count - 1) : 0
    for i in 0..<count { t.storage.pointer[i] = start + Float(i) * d }
    return t
  }

  /// Throws unless `shape` has no negative size and fits under ``MemoryLimit/maxElements``.
  static func checkShape(_ shape: [Int], op: String) throws {
    _ = try MemoryLimit.count(of: shape, op: op)
  }

  // MARK: - Reading

  /// The number of axes.
  public var rank: Int { shape.count }
  /// The number of scalars.
  public var count: Int { storage.count }
  /// The scalars in row-major order.
  public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

  /// The only value of a one-element tensor.
  public func item() throws -> Float {
    guard count == 1 else {
      throw TensorError.invalidArgument(op: "item", message: "tensor of shape \(formatShape(shape)) has \(count) values, not 1")
    }
    return storage.pointer[0]
  }

  /// The value at a full index, e.g. `t[1, 2]` on a matrix; throws when out of range.
  public func value(at index: [Int]) throws -> Float {
    guard index.count == rank else {
      throw TensorError.invalidArgument(op: "index", message: "\(index.count) indices for a tensor of rank \(rank)")
    }
    var off = 0
    for (i, (ix, d)) in zip(index, shape).enumerated() {
      guard ix >= 0, ix < d else {
        throw TensorError.invalidArgument(op: "index", message: "index \(ix) out of range for axis \(i) of size \(d)")
      }
      off = off * d + ix
    }
    return storage.pointer[off]
  }

  /// Read access to the scalars without copying.
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try body(UnsafeBufferPointer(start: storage.pointer, count: count))
  }

  /// Write access to the scalars, for kernels that fill a tensor they just made. Writing into a
  /// tensor that others share changes it for them too (optimizers rely on this for parameters).
  public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
    try body(storage.buffer)
  }

  /// A new tensor of `shape` whose values `body` writes (its memory starts unspecified).
  public static func make(_ shape: [Int], _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) throws -> Tensor {
    let t = try Tensor(uninitialized: shape)
    try body(t.storage.buffer)
    return t
  }

  /// A copy with its own memory and no autodiff history.
  public func copy() -> Tensor {
    let t = Tensor(sameSizeAs: shape)
    t.storage.pointer.update(from: storage.pointer, count: count)
    return t
  }

  /// Whether every value is finite.
  public var isFinite: Bool {
    let p = storage.pointer
    for i in 0..<count where !p[i].isFinite { return false }
    return true
  }

  /// Whether the two tensors have the same shape and values within `tolerance` (absolute).
  public func isClose(to other: Tensor, tolerance: Float = 1e-5) -> Bool {
    guard shape == other.shape else { return false }
    for i in 0..<count where !(Swift.abs(storage.pointer[i] - other.storage.pointer[i]) <= tolerance) { return false }
    return true
  }
}

