import Glibc

/// Reverse-mode automatic differentiation over tensor operations (micrograd's design, on tensors).
///
/// A tensor marked with ``Tensor/requiringGrad()`` is a leaf of the graph. Every operation on a
/// tensor that has a node records a new node holding its inputs and a vector–Jacobian product.
/// ``gradients(of:wrt:)`` walks the graph backwards from a scalar and computes only what the
/// requested tensors need: moving a latent `z` through a network computes no weight gradients.
final class GradNode {
  /// The inputs of the operation that made this node (empty for a leaf).
  let inputs: [Tensor]
  /// The op's name, for error messages and graph inspection.
  let op: String
  /// Given the gradient of the output and which inputs need one, the gradients of the inputs
  /// (nil where not needed).
  let vjp: ((Tensor, [Bool]) throws -> [Tensor?])?

  init(op: String, inputs: [Tensor], vjp: ((Tensor, [Bool]) throws -> [Tensor?])?) {
    self.op = op
    self.inputs = inputs
    self.vjp = vjp
  }
}

/// Whether operations on this thread record the autodiff graph. Turned off by
/// ``withoutGradients(_:)`` and while gradients are being computed. Thread-local, so concurrent
/// work on other threads (tests, a notebook runner) is not affected.
var gradRecording: Bool {
  get { pthread_getspecific(gradRecordingKey) == nil }
  set { pthread_setspecific(gradRecordingKey, newValue ? nil : UnsafeRawPointer(bitPattern: 1)) }
}

private let gradRecordingKey: pthread_key_t = {
  var key = pthread_key_t()
  pthread_key_create(&key, nil)
  return key
}()

/// Runs `body` without recording the autodiff graph (PyTorch's `no_grad`).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
  let saved = gradRecording
  gradRecording = false
  defer { gradRecording = saved }
  return try body()
}

extension Tensor {
  /// This tensor as a leaf of the autodiff graph: gradients can be taken with respect to it.
  /// The memory is shared with `self`.
  public func requiringGrad() -> Tensor {
    Tensor(shape: shape, storage: storage, node: GradNode(op: "leaf", inputs: [], vjp: nil))
  }

  /// This tensor's values with no autodiff history (PyTorch's `detach`). Shares memory.
  public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

  /// Whether this tensor takes part in a gradient computation.
  public var requiresGrad: Bool { node != nil }

  /// The result of an operation: `self` with a node recording `inputs` and the op's
  /// vector–Jacobian product, if any input is tracked and recording is on.
  func recorded(_ op: String, _ inputs: [Tensor], _ vjp: @escaping (Tensor, [Bool]) throws -> [Tensor?]) -> Tensor {
    guard gradRecording, inputs.contains(where: { $0.node != nil }) else { return self }
    return Tensor(shape: shape, storage: storage, node: GradNode(op: op, inputs: inputs, vjp: vjp))
  }
}

/// The gradients of the scalar `y` with respect to each tensor of `xs` (each must have been made
/// with ``Tensor/requiringGrad()``, or computed from one). A tensor that `y` does not depend on gets
/// a gradient of zeros.
///
/// Concretely, for `y = f(x₁, …, xₙ)` it returns `∂y/∂x₁, …, ∂y/∂xₙ`, each shaped like its `xᵢ`.
/// Only the nodes on a path from `y` to some `xᵢ` are visited.
public func gradients(of y: Tensor, wrt xs: [Tensor]) throws -> [Tensor] {
  guard y.count == 1 else {
    throw TensorError.gradient(message: "the output must be a single value, got shape \(formatShape(y.shape))")
  }
  let ones = try Tensor.full(y.shape, 1)
  return try gradients(of: y, seed: ones, wrt: xs)
}

/// The vector–Jacobian product `seedᵀ · ∂y/∂xᵢ` for each `xᵢ`; `seed` has the shape of `y`.
public func gradients(of y: Tensor, seed: Tensor, wrt xs: [Tensor]) throws -> [Tensor] {
  guard seed.shape == y.shape else {
    throw TensorError.shapeMismatch(op: "grad", shapes: [y.shape, seed.shape], detail: "seed must match the output")
  }
  for x in xs where x.node == nil {
    throw TensorError.gradient(message: "a tensor of shape \(formatShape(x.shape)) is not tracked; use requiringGrad()")
  }
  let targets = Set(xs.map { ObjectIdentifier($0.node!) })
  guard let root = y.node else { return try xs.map { try Tensor.zeros($0.shape) } }

  // Topological order (inputs before outputs), iteratively to survive deep graphs.
  var order: [GradNode] = []
  var seen = Set<ObjectIdentifier>()
  var stack: [(GradNode, Bool)] = [(root, false)]
  while let (n, expanded) = stack.popLast() {
    if expanded { order.append(n); continue }
    if !seen.insert(ObjectIdentifier(n)).inserted { continue }
    stack.append((n, true))
    for i in n.inputs { if let m = i.node, !seen.contains(ObjectIdentifier(m)) { stack.append((m, false)) } }
  }
  // A node is needed when it is a target or leads to one.
  var needed = Set<ObjectIdentifier>()
  for n in order {
    let id = ObjectIdentifier(n)
    if targets.contains(id) || n.inputs.contains(where: { $0.node.map { needed.contains(ObjectIdentifier($0)) } ?? false }) {
      needed.insert(id)
    }
  }
  var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed.detached()]
  try withoutGradients {
    for n in order.reversed() {
      let id = ObjectIdentifier(n)
      guard needed.contains(id), let g = grads[id], let vjp = n.vjp else { continue }
      if !targets.contains(id) { grads[id] = nil }  // free interior gradients early
      let mask = n.inputs.map { $0.node.map { needed.contains(ObjectIdentifier($0)) } ?? false }
      let gs = try vjp(g, mask)
      for (i, gi) in gs.prefix(mask.count).enumerated() where mask[i] {
        guard let gi, let m = n.inputs[i].node else { continue }
        let mid = ObjectIdentifier(m)
        if let acc = grads[mid] { grads[mid] = try acc + gi } else { grads[mid] = gi }
      }
    }
  }
  return try xs.map { x in try grads[ObjectIdentifier(x.node!)] ?? Tensor.zeros(x.shape) }
}

/// The leaves `y` was computed from (tensors made with ``Tensor/requiringGrad()``: weights, or a
/// tracked input), each once, in the order a depth-first walk from `y` meets them, leaving out
/// those in `excluding`. A function's weights are found so: run it once on a tracked input and
/// ask which other leaves its result depends on.
public func leaves(of y: Tensor, excluding: [Tensor] = []) -> [Tensor] {
  let skip = Set(excluding.compactMap { $0.node.map(ObjectIdentifier.init) })
  var found: [Tensor] = [], seen = Set<ObjectIdentifier>()
  var stack: [Tensor] = [y]
  while let t = stack.popLast() {
    guard let n = t.node, seen.insert(ObjectIdentifier(n)).inserted else { continue }
    if n.vjp == nil && n.inputs.isEmpty {
      if !skip.contains(ObjectIdentifier(n)) { found.append(t) }
      continue
    }
    stack.append(contentsOf: n.inputs.reversed())
  }
  return found
}

extension Tensor {
  /// Whether this tensor is a leaf of the autodiff graph (a weight, or an input made with
  /// ``requiringGrad()``), rather than computed from one or untracked.
  public var isLeaf: Bool { node.map { $0.vjp == nil && $0.inputs.isEmpty } ?? false }

  /// Whether two tensors are the same memory (a weight and the record entry that holds it).
  public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}
