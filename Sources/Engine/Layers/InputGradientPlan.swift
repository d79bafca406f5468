import CKernels
/// Forward passes and input gradients of a network on buffers allocated once: what a Langevin
/// chain needs at every step, with no autodiff graph, no allocation and no weight gradients.
///
/// A plan is made for one batch size. `forward` keeps every layer's output; `backward` turns the
/// gradient with respect to the output into the gradient with respect to the input, layer by
/// layer (`dx = dy · W` for a linear layer, `im2col` and one GEMM for a transposed convolution,
/// `dy ⊙ f′(x)` for an activation). The results agree with ``gradients(of:wrt:)`` (tested).
public final class InputGradientPlan {
  public let batch: Int
  /// Shape of the input and the output, batch first.
  public let inputShape: [Int], outputShape: [Int]
  private let kernels: [LayerKernel]
  /// activations[i] is the input of layer i; activations.last is the output. A layer that runs
  /// in place (``LayerKernel/inPlace``) has its output in its input's buffer, so entries repeat;
  /// `buffers` holds each buffer once.
  private var activations: [UnsafeMutablePointer<Float>]
  private let buffers: [UnsafeMutablePointer<Float>]
  /// The two gradient buffers the backward pass alternates between (each as large as the
  /// largest gradient it holds), and where layer i writes its input gradient: 0 the caller's dx,
  /// 1 gradA, 2 gradB.
  private let gradA: UnsafeMutablePointer<Float>, gradB: UnsafeMutablePointer<Float>
  private let gradientTarget: [UInt8]
  /// Layers whose forward pass the layer before has done (a LeakyReLU in place after a
  /// transposed convolution, applied as the convolution writes its output).
  private let fusedForward: [Bool]
  /// The convolutions' scratch (the batch channel-major, one chunk's columns), shared: the layers
  /// run one at a time and none keeps its scratch from one call to the next.
  private let scratchCN: UnsafeMutablePointer<Float>, scratchCols: UnsafeMutablePointer<Float>
  private let counts: [Int]

  /// Plans `layers` (Linear, Conv2d, ConvTranspose2d, activations, Reshape, Residual, Sequential) for
  /// inputs of `inputShape` (batch first).
  /// - Throws: for a layer kind the plan does not support, or shapes that do not fit.
  public init(_ layers: [Layer], inputShape: [Int]) throws {
    guard inputShape.count >= 2, inputShape.allSatisfy({ $0 > 0 }) else {
      throw TensorError.invalidArgument(op: "plan", message: "input shape \(formatShape(inputShape)) needs a batch and features")
    }
    var flat: [Layer] = []
    func add(_ l: Layer) { if let s = l as? Sequential { s.layers.forEach(add) } else { flat.append(l) } }
    layers.forEach(add)
    var shape = inputShape
    var ks: [LayerKernel] = []
    for l in flat {
      let k = try makeKernel(l, input: shape)
      ks.append(k)
      shape = k.outputShape
    }
    kernels = ks
    batch = inputShape[0]
    self.inputShape = inputShape
    outputShape = shape
    // Every buffer is checked against the engine's limit before any is allocated.
    var cs = [try MemoryLimit.count(of: inputShape, op: "plan")]
    for k in ks { cs.append(try MemoryLimit.count(of: k.outputShape, op: "plan")) }
    counts = cs
    let convs = ks.compactMap { $0 as? ConvKernel }
    // Which buffer each activation lives in: a layer that may overwrite its input does so unless
    // an earlier layer's backward pass reads that buffer; one that only renames it always shares it.
    var bufferOf = [0], bufferSizes = [cs[0]]
    for (i, k) in ks.enumerated() {
      let b = bufferOf[i]
      let shares: Bool
      switch k.inPlace {
      case .never: shares = false
      case .alias: shares = true
      case .overwrite:
        shares = !(0..<i).contains { j in ks[j].backwardReadsActivations && (bufferOf[j] == b || bufferOf[j + 1] == b) }
      }
      if shares { bufferOf.append(b) } else { bufferOf.append(bufferSizes.count); bufferSizes.append(cs[i + 1]) }
    }
    let bufs = bufferSizes.map { UnsafeMutablePointer<Float>.allocate(capacity: $0) }
    buffers = bufs
    activations = bufferOf.map { bufs[$0] }
    // The backward pass: layer i reads the gradient of its output (the caller's dy for the last
    // layer) and writes its input's, into the other gradient buffer, or over the one it reads
    // when it may (an activation), or into the caller's dx for the first layer.
    var targets = [UInt8](repeating: 0, count: ks.count), sizeA = 1, sizeB = 1
    var current: UInt8 = 0  // the buffer holding the gradient read next: 0 the caller's
    for i in stride(from: ks.count - 1, through: 1, by: -1) {
      let t: UInt8 = current != 0 && ks[i].backwardInPlace ? current : (current == 1 ? 2 : 1)
      if t == 1 { sizeA = Swift.max(sizeA, cs[i]) } else { sizeB = Swift.max(sizeB, cs[i]) }
      targets[i] = t
      current = t
    }
    gradientTarget = targets
    var fused = [Bool](repeating: false, count: ks.count)
    for i in ks.indices.dropLast() {
      guard let c = ks[i] as? ConvKernel, c.transposed, !c.direct, let a = ks[i + 1] as? ActivationKernel,
            case let .leakyRelu(slope) = a.activation, bufferOf[i + 2] == bufferOf[i + 1] else { continue }
      c.fusedSlope = slope
      fused[i + 1] = true
    }
    fusedForward = fused
    gradA = .allocate(capacity: sizeA)
    gradB = .allocate(capacity: sizeB)
    scratchCN = .allocate(capacity: convs.map(\.cnCount).max() ?? 1)
    // 64-byte aligned: the per-image convolutions keep packed matrices there.
    let colFloats = convs.map(\.colCount).max() ?? 1
    scratchCols = UnsafeMutableRawPointer.allocate(byteCount: colFloats * 4, alignment: 64).bindMemory(to: Float.self, capacity: colFloats)
    for c in convs { c.cn = scratchCN; c.cols = scratchCols }
  }

  deinit {
    buffers.forEach { $0.deallocate() }
    gradA.deallocate(); gradB.deallocate()
    scratchCN.deallocate(); scratchCols.deallocate()
  }

  /// The number of values in one output (all rows).
  public var outputCount: Int { counts.last! }

  /// Runs the network on `x` (count = product of `inputShape`); returns the output buffer, valid
  /// until the next call.
  @discardableResult
  public func forward(_ x: UnsafePointer<Float>) -> UnsafePointer<Float> {
    activations[0].update(from: x, count: counts[0])
    for (i, k) in kernels.enumerated() where !fusedForward[i] { k.forward(activations[i], activations[i + 1]) }
    return UnsafePointer(activations[kernels.count])
  }

  /// Packs the weights of the linear layers (and of a transposed convolution from a 1×1 input)
  /// for the products that follow, until
  /// ``unpackWeights()``: for runs of many passes with fixed weights (a Langevin chain), on CPUs
  /// with AVX2 and FMA. The weights must not change while packed.
  public func packWeights() { kernels.forEach { $0.pack() } }

  /// Back to products on the weights themselves.
  public func unpackWeights() { kernels.forEach { $0.unpack() } }

  /// The output of the last ``forward(_:)``.
  public var output: UnsafePointer<Float> { UnsafePointer(activations[kernels.count]) }

  /// Given `dy` = ∂L/∂output for the last ``forward(_:)``, writes ∂L/∂input to `dx`.
  public func backward(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
    guard !kernels.isEmpty else { dx.update(from: dy, count: counts[0]); return }
    var src = dy
    for i in stride(from: kernels.count - 1, through: 0, by: -1) {
      let t = gradientTarget[i], dst = t == 0 ? dx : (t == 1 ? gradA : gradB)
      kernels[i].backward(activations[i], activations[i + 1], src, dst)
      src = UnsafePointer(dst)
    }
  }
}

/// One layer's forward and input-gradient kernels on fixed shapes.
protocol LayerKernel: AnyObject {
  var outputShape: [Int] { get }
  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>)
  /// dx = ∂L/∂x from x, y = f(x) and dy = ∂L/∂y.
  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>)
  /// Packs the weights for the products that follow (kernels without products ignore it).
  func pack()
  func unpack()
  /// Whether the output may share the input's buffer (`y == x` in ``forward(_:_:)``).
  var inPlace: InPlace { get }
  /// Whether ``backward(_:_:_:_:)`` reads x or y (an activation's derivative does; a product's
  /// input gradient does not).
  var backwardReadsActivations: Bool { get }
  /// Whether ``backward(_:_:_:_:)`` may write dx over dy (`dx == dy`).
  var backwardInPlace: Bool { get }
}

/// How a layer may use its input's buffer for its output.
enum InPlace {
  /// Never: it reads its input after writing output values.
  case never
  /// Always: the output is the input, renamed (Reshape, identity); nothing is written.
  case alias
  /// When no earlier layer's backward pass still needs the input (an element-wise function whose
  /// derivative can be had from its output alone).
  case overwrite
}

extension LayerKernel {
  func pack() {}
  func unpack() {}
  var inPlace: InPlace { .never }
  var backwardReadsActivations: Bool { false }
  var backwardInPlace: Bool { false }
}

func makeKernel(_ l: Layer, input: [Int]) throws -> LayerKernel {
  switch l {
  case let lin as Linear: return try LinearKernel(lin, input: input)
  case let a as ActivationLayer: return ActivationKernel(a.activation, shape: input)
  case let r as Reshape:
    let out = [input[0]] + r.shape
    guard out.reduce(1, *) == input.reduce(1, *) else {
      throw TensorError.shapeMismatch(op: "plan", shapes: [input, out], detail: "Reshape does not fit")
    }
    return ReshapeKernel(shape: out)
  case let c as ConvTranspose2d: return try ConvKernel(transposed: true, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding, outputPadding: c.outputPadding, input: input)
  case let r as Residual: return try ResidualKernel(r, input: input)
  case let c as Conv2d: return try ConvKernel(transposed: false, weight: c.weight, bias: c.bias, stride: c.stride, padding: c.padding, outputPadding: 0, input: input)
  default:
    throw TensorError.invalidArgument(op: "plan", message: "no kernel for layer \(l)")
  }
}

final class LinearKernel: LayerKernel {
  let w: Tensor, b: Tensor?, rows: Int, inp: Int, out: Int
  let outputShape: [Int]
  /// Wᵀ (forward) and W (backward) packed for ``lebm_packed_gemm``, while ``packed`` is on.
  private var packedT: UnsafeMutablePointer<Float>? = nil, packedN: UnsafeMutablePointer<Float>? = nil
  private(set) var packed = false

  init(_ l: Linear, input: [Int]) throws {
    guard input.last == l.inputSize else {
      throw TensorError.shapeMismatch(op: "plan", shapes: [input, l.weight.shape], detail: "Linear takes \(l.inputSize) features")
    }
    w = l.weight; b = l.bias; inp = l.inputSize; out = l.outputSize
    rows = input.reduce(1, *) / inp
    outputShape = Array(input.dropLast()) + [out]
  }
  deinit { packedT?.deallocate(); packedN?.deallocate() }

  /// Packs the current weight for the products that follow (on CPUs with AVX2 and FMA).
  func pack() {
    guard PackedGEMM.available else { return }
    if out > 1 {  // (a layer with one output takes dot products with the weight itself)
      if packedT == nil {
        packedT = PackedGEMM.allocate(k: inp, n: out)
        packedN = PackedGEMM.allocate(k: out, n: inp)
      }
      lebm_pack_transposed(w.storage.pointer, Int32(out), Int32(inp), packedT)
      lebm_pack(w.storage.pointer, Int32(out), Int32(inp), packedN)
    }
    packed = true
  }
  func unpack() { packed = false }

  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    if let b { let bp = b.storage.pointer; for r in 0..<rows { (y + r * out).update(from: bp, count: out) } }
    if packed && out == 1 {
      lebm_dot_rows(Int32(rows), Int32(inp), x, Int32(inp), w.storage.pointer, y, b == nil ? 0 : 1)
    } else {
      multiply(x, m: rows, n: out, k: inp, byTransposed: true, w.storage.pointer, packed: packed ? packedT : nil, y, accumulate: b != nil)
    }
  }
  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    if out == 1 {
      // A rank-one update (the energy's last layer): dx[r, :] = dy[r] · w.
      let wp = w.storage.pointer
      for r in 0..<rows { let g = dy[r], row = dx + r * inp; for j in 0..<inp { row[j] = g * wp[j] } }
    } else {
      multiply(dy, m: rows, n: inp, k: out, byTransposed: false, w.storage.pointer, packed: packed ? packedN : nil, dx, accumulate: false)
    }
  }
}

/// `c[m × n] (+)= a[m × k] · B`, B being the weight `w` (`[k, n]`) or its transpose (`w` is
/// `[n, k]`): by the packed kernel when `packed` holds B packed, else by `cblas_sgemm`.
@inline(__always) func multiply(
  _ a: UnsafePointer<Float>, m: Int, n: Int, k: Int, byTransposed: Bool, _ w: UnsafePointer<Float>,
  packed: UnsafeMutablePointer<Float>?, _ c: UnsafeMutablePointer<Float>, accumulate: Bool
) {
  if let packed {
    lebm_packed_gemm(Int32(m), Int32(n), Int32(k), a, Int32(k), packed, c, Int32(n), accumulate ? 1 : 0)
  } else {
    sgemm(false, byTransposed, m: m, n: n, k: k, a, lda: k, w, ldb: byTransposed ? k : n, beta: accumulate ? 1 : 0, c, ldc: n)
  }
}

/// The packed-weight products of `CKernels`.
enum PackedGEMM {
  /// Whether this CPU has AVX2 and FMA.
  static let available = lebm_packed_available() != 0
  /// A 64-byte aligned buffer for a packed k × n matrix.
  static func allocate(k: Int, n: Int) -> UnsafeMutablePointer<Float> {
    let count = lebm_packed_size(Int32(k), Int32(n))
    return UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
  }
}

final class ActivationKernel: LayerKernel {
  let activation: Activation, count: Int
  let outputShape: [Int]
  init(_ a: Activation, shape: [Int]) { activation = a; outputShape = shape; count = shape.reduce(1, *) }

  var op: UnaryOp? {
    switch activation {
    case .relu: return .relu
    case .gelu: return .gelu
    case .silu: return .silu
    case .mish: return .mish
    case .tanh: return .tanh
    case .sigmoid: return .sigmoid
    case .softplus: return .softplus
    case .identity, .leakyRelu: return nil
    }
  }
  /// LeakyReLU with a slope ≥ 0 runs in place: y > 0 exactly when x > 0, so its derivative
  /// reads y. The identity only renames its input.
  var inPlace: InPlace {
    switch activation {
    case let .leakyRelu(s): return s >= 0 ? .overwrite : .never
    case .identity: return .alias
    default: return .never
    }
  }
  var backwardReadsActivations: Bool { true }
  var backwardInPlace: Bool { true }  // every derivative here is dx[i] from dy[i], x[i] and y[i] alone

  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let n = count
    switch activation {
    case let .leakyRelu(s): parallelChunks(n) { r in leakyForward(x, y, s, r.lowerBound, r.upperBound) }
    case .identity: if UnsafePointer(y) != x { y.update(from: x, count: n) }
    default: let op = op!; parallelChunks(n) { op.forward(x, y, $0) }
    }
  }
  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    let n = count
    switch activation {
    case let .leakyRelu(s):
      let v = s >= 0 ? y : x  // the same signs when s ≥ 0 (and y is x's buffer when run in place)
      parallelChunks(n) { r in leakyBackward(v, dy, dx, s, r.lowerBound, r.upperBound) }
    case .identity: if UnsafePointer(dx) != dy { dx.update(from: dy, count: n) }
    default: let op = op!; parallelChunks(n) { op.backward(x, y, dy, dx, $0) }
    }
  }
}

/// `y = x + f(x)`: the block planned on its own buffers; `dx = dy + J_fᵀ dy`.
final class ResidualKernel: LayerKernel {
  let block: InputGradientPlan, count: Int
  var outputShape: [Int] { block.inputShape }
  init(_ r: Residual, input: [Int]) throws {
    block = try InputGradientPlan([r.block], inputShape: input)
    guard block.outputShape == input else {
      throw TensorError.shapeMismatch(op: "plan", shapes: [input, block.outputShape], detail: "a residual block must keep its input's shape")
    }
    count = input.reduce(1, *)
  }
  func pack() { block.packWeights() }
  func unpack() { block.unpackWeights() }
  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let fx = block.forward(x)
    for i in 0..<count { y[i] = x[i] + fx[i] }
  }
  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    block.backward(dy, into: dx)
    for i in 0..<count { dx[i] += dy[i] }
  }
}

final class ReshapeKernel: LayerKernel {
  let outputShape: [Int], count: Int
  init(shape: [Int]) { outputShape = shape; count = shape.reduce(1, *) }
  var inPlace: InPlace { .alias }
  var backwardInPlace: Bool { true }
  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) { if UnsafePointer(y) != x { y.update(from: x, count: count) } }
  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    if UnsafePointer(dx) != dy { dx.update(from: dy, count: count) }
  }
}

/// Conv2d or ConvTranspose2d as GEMMs over chunks of the batch, on scratch its plan keeps (shared by the plan's convolutions).
///
/// The column buffer of a whole batch is large (52 MB for the SVHN generator's third layer), so the
/// batch is cut into chunks whose columns fit in cache (about 8 MB): im2col writes and col2im reads
/// hit cache instead of memory, and the GEMMs stay wide (N = chunk·H·W ≥ 512).
final class ConvKernel: LayerKernel {
  let transposed: Bool, w: Tensor, b: Tensor?
  let n: Int, cin: Int, cout: Int, k: Int
  let geometry: ConvGeometry
  let outputShape: [Int]
  let plane: Int, ck: Int, chunk: Int
  let inCount: Int, outCount: Int
  /// Scratch of `cnCount` and `colCount` floats, which the plan hands out (shared among its layers).
  let cnCount: Int, colCount: Int
  var cn: UnsafeMutablePointer<Float>! = nil, cols: UnsafeMutablePointer<Float>! = nil
  /// A transposed convolution of a 1×1 input without padding (a generator's first layer) is one
  /// product: `y[n, (co, i, j)] = Σ_ci x[n, ci] W[ci, (co, i, j)]`, and `dx = dy Wᵀ`.
  let direct: Bool
  /// W (forward) and Wᵀ (backward) packed, for the direct case, while ``packed`` is on.
  private var packedF: UnsafeMutablePointer<Float>? = nil, packedB: UnsafeMutablePointer<Float>? = nil
  private var packed = false
  /// LeakyReLU's slope when the plan runs the next layer, a LeakyReLU in place, here: applied
  /// to the output with the bias, as col2im writes it.
  var fusedSlope: Float? = nil
  /// A transposed convolution to few output channels (`cout·k·k ≤ 256`, a generator's last layer:
  /// 128 → 3 or 1) runs image by image on the packed kernels, where a general GEMM is slow on
  /// products this thin. Forward: `cols = Wᵀ · x[n]` (x[n] as `[cin, H·W]`, packed), then col2im;
  /// input gradient: `dx[n] = W · im2col(dy[n])` (the columns packed), written in NCHW directly.
  /// Images are shared among up to `parts` threads, each on its own slice of the scratch.
  let perImage: Bool, parts: Int, partFloats: Int

  init(transposed: Bool, weight: Tensor, bias: Tensor?, stride s: Int, padding p: Int, outputPadding op: Int, input: [Int]) throws {
    guard input.count == 4 else {
      throw TensorError.shapeMismatch(op: "plan", shapes: [input], detail: "convolution input must be [N, C, H, W]")
    }
    self.transposed = transposed; w = weight; b = bias
    let cnShape: [Int]
    n = input[0]
    let (h, wd) = (input[2], input[3])
    k = weight.shape[2]
    if transposed {
      (cin, cout) = (weight.shape[0], weight.shape[1])
      guard input[1] == cin else { throw TensorError.shapeMismatch(op: "plan", shapes: [input, weight.shape], detail: "channels differ") }
      let oh = (h - 1) * s - 2 * p + k + op, ow = (wd - 1) * s - 2 * p + k + op
      geometry = ConvGeometry(channels: cout, h: oh, w: ow, k: k, stride: s, padding: p, oh: h, ow: wd)
      outputShape = [n, cout, oh, ow]
      plane = h * wd; ck = cout * k * k
      direct = h == 1 && wd == 1 && p == 0 && op == 0
      cnShape = direct ? [1] : [cin, n, plane]
    } else {
      (cout, cin) = (weight.shape[0], weight.shape[1])
      guard input[1] == cin else { throw TensorError.shapeMismatch(op: "plan", shapes: [input, weight.shape], detail: "channels differ") }
      let oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1
      geometry = ConvGeometry(channels: cin, h: h, w: wd, k: k, stride: s, padding: p, oh: oh, ow: ow)
      outputShape = [n, cout, oh, ow]
      plane = oh * ow; ck = cin * k * k
      direct = false
      cnShape = [cout, n, plane]
    }
    inCount = input[1] * h * wd
    outCount = outputShape[1] * outputShape[2] * outputShape[3]
    chunk = ConvChunks(batch: n, columnsPerImage: ck * plane).size
    perImage = transposed && !direct && ck <= 256 && plane >= 16 && PackedGEMM.available
    parts = Swift.max(1, Swift.min(Threads.count, n))
    // Per part: a packed matrix (x[n] or the columns, panels of 16) and the columns, each rounded
    // up to 16 floats so that every part's packed matrix starts 64-byte aligned.
    let packedFloats = lebm_packed_size(Int32(Swift.max(cin, ck)), Int32(plane))
    partFloats = (packedFloats + 15) / 16 * 16 + (ck * plane + 15) / 16 * 16
    // Both scratch sizes are checked against the engine's limit before the plan allocates any.
    cnCount = try MemoryLimit.count(of: perImage ? [ck, cin] : cnShape, op: "plan")
    colCount = try MemoryLimit.count(of: direct ? [1] : perImage ? [parts, partFloats] : [ck, chunk, plane], op: "plan")
  }
  deinit { packedF?.deallocate(); packedB?.deallocate() }

  /// Packs the weight for the direct products that follow (see ``LinearKernel/pack()``).
  func pack() {
    guard direct, PackedGEMM.available else { return }
    if packedF == nil {
      packedF = PackedGEMM.allocate(k: cin, n: ck)
      packedB = PackedGEMM.allocate(k: ck, n: cin)
    }
    lebm_pack(w.storage.pointer, Int32(cin), Int32(ck), packedF)
    lebm_pack_transposed(w.storage.pointer, Int32(cin), Int32(ck), packedB)
    packed = true
  }
  func unpack() { packed = false }

  /// Calls `body(first, count)` for each chunk of the batch.
  @inline(__always) private func chunks(_ body: (Int, Int) -> Void) {
    var n0 = 0
    while n0 < n { let c = Swift.min(chunk, n - n0); body(n0, c); n0 += c }
  }

  /// Calls `body(image, scratch)` for every image, on up to ``parts`` threads (serially inside
  /// parallel work), each thread with its own slice of the column scratch. What an image's result
  /// is does not depend on which thread computes it.
  private func eachImage(_ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
    let p = insideParallelWork ? 1 : Swift.min(parts, Threads.count)
    if p <= 1 { for i in 0..<n { body(i, cols) }; return }
    let scratch: UnsafeMutablePointer<Float> = cols, size = partFloats, count = n
    concurrently(p) { part in
      var i = part
      while i < count { body(i, scratch + part * size); i += p }
    }
  }

  func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let wp = w.storage.pointer, ld = n * plane
    // The transposed products through col2im add the bias (and the fused LeakyReLU) there.
    let bp = b.map { UnsafePointer($0.storage.pointer) }, slope = fusedSlope
    if perImage {
      // A = Wᵀ, [ck, cin] row-major (W is [cin, ck]).
      let wt: UnsafeMutablePointer<Float> = cn
      for ci in 0..<cin { for r in 0..<ck { wt[r * cin + ci] = wp[ci * ck + r] } }
      let packedCount = partFloats - (ck * plane + 15) / 16 * 16
      eachImage { i, scratch in
        let packedX = scratch, colsOut = scratch + packedCount
        lebm_pack(x + i * inCount, Int32(cin), Int32(plane), packedX)
        lebm_packed_gemm(Int32(ck), Int32(plane), Int32(cin), wt, Int32(cin), packedX, colsOut, Int32(plane), 0)
        col2im(colsOut, batch: 1, geometry, y + i * outCount, bias: bp, leaky: slope)
      }
    } else if direct {
      multiply(x, m: n, n: ck, k: cin, byTransposed: false, wp, packed: packed ? packedF : nil, y, accumulate: false)
    } else if transposed {
      swapBatchChannels(x, n: n, c: cin, plane: plane, cn)
      chunks { n0, c in
        sgemm(true, false, m: ck, n: c * plane, k: cin, wp, lda: ck, cn + n0 * plane, ldb: ld, cols, ldc: c * plane)
        col2im(cols, batch: c, geometry, y + n0 * outCount, bias: bp, leaky: slope)
      }
    } else {
      chunks { n0, c in
        im2col(x + n0 * inCount, batch: c, geometry, cols)
        sgemm(false, false, m: cout, n: c * plane, k: ck, wp, lda: ck, cols, ldb: c * plane, cn + n0 * plane, ldc: ld)
      }
      swapBatchChannels(cn, n: cout, c: n, plane: plane, y)
    }
    if perImage || (transposed && !direct) { return }
    let op = outputShape[2] * outputShape[3]
    if let bp {
      for i in 0..<n { for j in 0..<cout { let v = bp[j], row = y + (i * cout + j) * op; for q in 0..<op { row[q] += v } } }
    }
    if let slope { leakyForward(y, y, slope, 0, n * cout * op) }
  }

  func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
    let wp = w.storage.pointer, ld = n * plane
    if perImage {
      let packedCount = partFloats - (ck * plane + 15) / 16 * 16
      eachImage { i, scratch in
        let packedCols = scratch, colsIn = scratch + packedCount
        im2col(dy + i * outCount, batch: 1, geometry, colsIn)
        lebm_pack(colsIn, Int32(ck), Int32(plane), packedCols)
        lebm_packed_gemm(Int32(cin), Int32(plane), Int32(ck), wp, Int32(ck), packedCols, dx + i * inCount, Int32(plane), 0)
      }
    } else if direct {
      multiply(dy, m: n, n: cin, k: ck, byTransposed: true, wp, packed: packed ? packedB : nil, dx, accumulate: false)
    } else if transposed {
      chunks { n0, c in
        im2col(dy + n0 * outCount, batch: c, geometry, cols)
        sgemm(false, false, m: cin, n: c * plane, k: ck, wp, lda: ck, cols, ldb: c * plane, cn + n0 * plane, ldc: ld)
      }
      swapBatchChannels(cn, n: cin, c: n, plane: plane, dx)
    } else {
      swapBatchChannels(dy, n: n, c: cout, plane: plane, cn)
      chunks { n0, c in
        sgemm(true, false, m: ck, n: c * plane, k: cout, wp, lda: ck, cn + n0 * plane, ldb: ld, cols, ldc: c * plane)
        col2im(cols, batch: c, geometry, dx + n0 * inCount)
      }
    }
  }
}

/// y[i] = x[i] > 0 ? x[i] : s·x[i] for i in lo..<hi (y may be x), vectorised in CKernels.
@inline(__always) func leakyForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ s: Float, _ lo: Int, _ hi: Int) {
  lebm_leaky_forward(x + lo, y + lo, s, hi - lo)
}

/// dx[i] = v[i] > 0 ? dy[i] : s·dy[i] for i in lo..<hi (dx may be dy).
@inline(__always) func leakyBackward(_ v: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ s: Float, _ lo: Int, _ hi: Int) {
  lebm_leaky_backward(v + lo, dy + lo, dx + lo, s, hi - lo)
}
