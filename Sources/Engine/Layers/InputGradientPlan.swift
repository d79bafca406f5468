/// Forward passes and input gradients of a network on buffers allocated once: what a Langevin
/// chain needs at every step, with no autodiff graph, no allocation and no weight gradients.
///
/// A plan is made for one batch size. `forward` keeps every layer's output; `backward` turns the
/// gradient with respect to the output into the gradient with respect to the input, layer by
/// layer (`dx = dy · W` for a linear layer, `im2col` and one GEMM for a transposed convolution,
/// `dy ⊙ f′(x)` for an activation). The results agree with ``gradients(of:wrt:)`` (tested).
///
/// Each layer brings its own kernels (``PlannableLayer``, next to the layer); the plan owns what
/// they share: the activation buffers (an output over its input where a kernel allows), the two
/// gradient buffers, the convolutions' scratch, and which layer's forward pass another absorbs.
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

  /// Plans `layers` (any ``PlannableLayer``: Linear, Conv2d, ConvTranspose2d, activations, Reshape,
  /// Residual, Sequential) for inputs of `inputShape` (batch first).
  /// - Throws: for a layer kind the plan does not support, or shapes that do not fit.
  public init(_ layers: [Layer], inputShape: [Int]) throws {
    guard inputShape.count >= 2, inputShape.allSatisfy({ $0 > 0 }) else {
      throw TensorError.invalidArgument(op: "plan", message: "input shape \(formatShape(inputShape)) needs a batch and features")
    }
    let ks = try planKernels(of: layers, input: inputShape)
    kernels = ks
    batch = inputShape[0]
    self.inputShape = inputShape
    outputShape = ks.last?.outputShape ?? inputShape
    // Every buffer is checked against the engine's limit before any is allocated.
    let cs = try ([inputShape] + ks.map(\.outputShape)).map { try MemoryLimit.count(of: $0, op: "plan") }
    counts = cs
    let (bufferOf, bufferSizes) = InputGradientPlan.activationBuffers(ks, counts: cs)
    let bufs = bufferSizes.map { UnsafeMutablePointer<Float>.allocate(capacity: $0) }
    buffers = bufs
    activations = bufferOf.map { bufs[$0] }
    let (targets, sizeA, sizeB) = InputGradientPlan.gradientTargets(ks, counts: cs)
    gradientTarget = targets
    fusedForward = InputGradientPlan.fuseForwardPasses(ks, bufferOf: bufferOf)
    gradA = .allocate(capacity: sizeA)
    gradB = .allocate(capacity: sizeB)
    let scratch = InputGradientPlan.sharedScratch(ks)
    scratchCN = scratch.cn
    scratchCols = scratch.cols
  }

  /// Which buffer each activation lives in (`bufferOf[i]` for the input of layer i, the last
  /// for the output) and each buffer's size: a layer that may overwrite its input does so unless
  /// an earlier layer's backward pass reads that buffer; one that only renames it always shares it.
  private static func activationBuffers(_ ks: [LayerKernel], counts cs: [Int]) -> (bufferOf: [Int], sizes: [Int]) {
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
    return (bufferOf, bufferSizes)
  }

  /// The backward pass: layer i reads the gradient of its output (the caller's dy for the last
  /// layer) and writes its input's, into the other gradient buffer, or over the one it reads
  /// when it may (an activation), or into the caller's dx for the first layer. Returns each
  /// layer's target (0 dx, 1 gradA, 2 gradB) and the sizes gradA and gradB need.
  private static func gradientTargets(_ ks: [LayerKernel], counts cs: [Int]) -> (targets: [UInt8], sizeA: Int, sizeB: Int) {
    var targets = [UInt8](repeating: 0, count: ks.count), sizeA = 1, sizeB = 1
    var current: UInt8 = 0  // the buffer holding the gradient read next: 0 the caller's
    for i in stride(from: ks.count - 1, through: 1, by: -1) {
      let t: UInt8 = current != 0 && ks[i].backwardInPlace ? current : (current == 1 ? 2 : 1)
      if t == 1 { sizeA = Swift.max(sizeA, cs[i]) } else { sizeB = Swift.max(sizeB, cs[i]) }
      targets[i] = t
      current = t
    }
    return (targets, sizeA, sizeB)
  }

  /// Offers each layer the forward pass of the next when that one runs in place on its output
  /// (a LeakyReLU after a transposed convolution); returns which layers' forward passes are done.
  private static func fuseForwardPasses(_ ks: [LayerKernel], bufferOf: [Int]) -> [Bool] {
    var fused = [Bool](repeating: false, count: ks.count)
    for i in ks.indices.dropLast() where bufferOf[i + 2] == bufferOf[i + 1] && ks[i].absorbForward(of: ks[i + 1]) {
      fused[i + 1] = true
    }
    return fused
  }

  /// The scratch the kernels share (the largest each needs), handed to every kernel.
  private static func sharedScratch(_ ks: [LayerKernel]) -> (cn: UnsafeMutablePointer<Float>, cols: UnsafeMutablePointer<Float>) {
    let cn = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, ks.map(\.scratchCounts.cn).max() ?? 0))
    // 64-byte aligned: the per-image convolutions keep packed matrices there.
    let colFloats = Swift.max(1, ks.map(\.scratchCounts.cols).max() ?? 0)
    let cols = UnsafeMutableRawPointer.allocate(byteCount: colFloats * 4, alignment: 64).bindMemory(to: Float.self, capacity: colFloats)
    ks.forEach { $0.useScratch(cn: cn, cols: cols) }
    return (cn, cols)
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
