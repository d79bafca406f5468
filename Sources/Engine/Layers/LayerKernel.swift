import CKernels

/// A layer that ``InputGradientPlan`` can plan: it says which kernels compute it on fixed shapes.
///
/// A new layer conforms next to its definition (`Linear+Plan.swift`, `Convolution+Plan.swift`, …)
/// and gets a row in `InputGradientPlanTests.layerKinds`; the plan needs no change.
protocol PlannableLayer: Layer {
  /// The kernels that compute this layer on inputs of shape `input` (batch first), in order: one
  /// for most layers; a container's (Sequential) are its layers', so the plan sees through it.
  /// - Throws: when the shapes do not fit, or a layer inside cannot be planned.
  func plannedKernels(input: [Int]) throws -> [LayerKernel]
}

/// The kernels of `layers` one after another on inputs of shape `input`.
/// - Throws: for a layer that is not a ``PlannableLayer``, or shapes that do not fit.
func planKernels(of layers: [Layer], input: [Int]) throws -> [LayerKernel] {
  var kernels: [LayerKernel] = [], shape = input
  for l in layers {
    guard let p = l as? PlannableLayer else {
      throw TensorError.invalidArgument(op: "plan", message: "no kernel for layer \(l)")
    }
    for k in try p.plannedKernels(input: shape) {
      kernels.append(k)
      shape = k.outputShape
    }
  }
  return kernels
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
  /// The slope when this kernel is a LeakyReLU (which a kernel before it may absorb); else nil.
  var leakySlope: Float? { get }
  /// Offers this kernel the forward pass of `next`, which runs in place on this kernel's output:
  /// returns whether this kernel takes it over (applying it as it writes its output), in which
  /// case the plan skips `next`'s forward pass. `next`'s backward pass is unchanged.
  func absorbForward(of next: LayerKernel) -> Bool
  /// Floats of the scratch the plan shares among its kernels that this one needs: the batch
  /// channel-major (`cn`) and one chunk's columns (`cols`, 64-byte aligned); 0 for none.
  var scratchCounts: (cn: Int, cols: Int) { get }
  /// Hands the kernel the plan's shared scratch (at least ``scratchCounts`` floats each). The
  /// plan runs one layer at a time, and no kernel keeps its scratch from one call to the next.
  func useScratch(cn: UnsafeMutablePointer<Float>, cols: UnsafeMutablePointer<Float>)
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
  var leakySlope: Float? { nil }
  func absorbForward(of next: LayerKernel) -> Bool { false }
  var scratchCounts: (cn: Int, cols: Int) { (0, 0) }
  func useScratch(cn: UnsafeMutablePointer<Float>, cols: UnsafeMutablePointer<Float>) {}
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
