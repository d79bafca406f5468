import Testing
@testable import Engine

/// One kind of layer the plan supports, shown by a small network around it: a row of
/// ``InputGradientPlanTests/layerKinds``. A new plannable layer adds one row.
struct PlannedLayerKind: Sendable, CustomTestStringConvertible {
  let name: String
  let inputShape: [Int]
  /// Whether the network has products whose weights ``InputGradientPlan/packWeights()`` packs.
  var packs = false
  /// ``ConvChunks/withFloats(_:_:)``'s size that cuts the batch into several chunks (for the
  /// convolutions; other layers ignore it): two images a chunk, and one left over, here.
  var chunkFloats = 1
  let make: @Sendable (inout RandomGenerator) throws -> [Layer]
  var testDescription: String { name }
}

/// The planned forward and input-gradient passes agree with the autodiff graph.
@Suite struct InputGradientPlanTests {
  /// Every plannable layer kind (one row each; ConvTranspose2d has one per way it is computed).
  static let layerKinds: [PlannedLayerKind] = [
    // Out > 1 (a product) and out = 1 (dot products forward, a rank-one update backward), bias or none.
    PlannedLayerKind(name: "Linear", inputShape: [7, 9], packs: true) { rng in
      [try Linear(9, 17, using: &rng), try Linear(17, 6, bias: false, using: &rng), try Linear(6, 1, using: &rng)]
    },
  ] + ([.relu, .gelu, .silu, .mish, .tanh, .sigmoid, .softplus, .identity, .leakyRelu(0.2), .leakyRelu(0), .leakyRelu(-0.5)] as [Activation]).map { a in
    PlannedLayerKind(name: "\(a)", inputShape: [6, 11]) { _ in [ActivationLayer(a)] }
  } + [
    // A −1 takes what the other sizes leave (`Reshape([-1])` is Flatten).
    PlannedLayerKind(name: "Reshape", inputShape: [5, 12]) { _ in [Reshape([3, 4]), Reshape([2, 6]), Reshape([-1, 3]), Reshape([-1])] },
    PlannedLayerKind(name: "Conv2d", inputShape: [5, 3, 9, 9], chunkFloats: 1400) { rng in
      [try Conv2d(3, 4, kernelSize: 3, stride: 2, padding: 1, using: &rng), try Conv2d(4, 2, kernelSize: 4, bias: false, using: &rng)]
    },
    // From 1×1 (one product), to many channels (GEMM and col2im by chunks), to few (image by image).
    PlannedLayerKind(name: "ConvTranspose2d", inputShape: [5, 6], packs: true, chunkFloats: 11000) { rng in
      [Reshape([6, 1, 1]), try ConvTranspose2d(6, 8, kernelSize: 4, using: &rng),
       try ConvTranspose2d(8, 20, kernelSize: 4, stride: 2, padding: 1, bias: false, using: &rng),
       try ConvTranspose2d(20, 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, using: &rng)]
    },
    // A LeakyReLU in place after a transposed convolution, applied by the convolution (both ways).
    PlannedLayerKind(name: "ConvTranspose2d absorbing LeakyReLU", inputShape: [5, 4, 4, 4], chunkFloats: 11000) { rng in
      [try ConvTranspose2d(4, 20, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.leakyRelu(0.2)),
       try ConvTranspose2d(20, 3, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.leakyRelu(0.1))]
    },
    // Around an MLP block and a convolution block.
    PlannedLayerKind(name: "Residual", inputShape: [5, 36], packs: true, chunkFloats: 800) { rng in
      [Residual([ActivationLayer(.leakyRelu(0.2)), try Linear(36, 36, using: &rng), ActivationLayer(.gelu), try Linear(36, 36, using: &rng)]),
       Reshape([4, 3, 3]), Residual([try Conv2d(4, 4, kernelSize: 3, padding: 1, using: &rng), ActivationLayer(.tanh)])]
    },
    // Nested, of every kind: the plan sees through it.
    PlannedLayerKind(name: "Sequential", inputShape: [5, 3], packs: true, chunkFloats: 400) { rng in
      [try Linear(3, 16, using: &rng), Sequential([ActivationLayer(.leakyRelu(0.2)), try Linear(16, 24, using: &rng)]), Reshape([6, 2, 2]),
       Sequential([try ConvTranspose2d(6, 3, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.tanh)]),
       try Conv2d(3, 2, kernelSize: 3, stride: 2, padding: 1, using: &rng), Reshape([8]),
       Residual([ActivationLayer(.silu), try Linear(8, 8, using: &rng)]), try Linear(8, 1, using: &rng)]
    },
  ]

  /// Each layer kind's plan against ``gradients(of:wrt:)``: the weights unpacked and packed where
  /// it has products, the batch in one chunk and in several, at 1 and 2 threads.
  @Test(arguments: layerKinds) func planMatchesAutodiff(_ kind: PlannedLayerKind) throws {
    var rng = RandomGenerator(seed: 11)
    let net = Sequential(try kind.make(&rng))
    let x = try Tensor.randn(kind.inputShape, using: &rng)
    for threads in [1, 2] {
      for packed in kind.packs ? [false, true] : [false] {
        let how = "\(kind.name), \(threads) thread(s), packed \(packed)"
        try Threads.with(threads) { try compare(net, input: x, how + ", one chunk", packed: packed) }
        try ConvChunks.withFloats(kind.chunkFloats) {
          try Threads.with(threads) { try compare(net, input: x, how + ", chunks", packed: packed) }
        }
      }
    }
  }

  /// The 64×64 generator's stack (the paper's CelebA net, `conv_generator(6, size: 64, channels:
  /// 3, ngf: 2)`'s layers): 1 → 4 → 8 → 16 → 32 → 64, LeakyReLU(0.2) between, tanh at the end.
  static let generator64 = PlannedLayerKind(name: "64×64 generator", inputShape: [5, 6], packs: true, chunkFloats: 11000) { rng in
    var layers: [Layer] = [Reshape([6, 1, 1]), try ConvTranspose2d(6, 16, kernelSize: 4, using: &rng)]
    for (cin, cout) in [(16, 8), (8, 4), (4, 2), (2, 3)] {
      layers += [ActivationLayer(.leakyRelu(0.2)), try ConvTranspose2d(cin, cout, kernelSize: 4, stride: 2, padding: 1, using: &rng)]
    }
    return layers + [ActivationLayer(.tanh)]
  }

  /// The whole 64×64 generator as a layer kind's network is checked: packed and not, in one chunk
  /// and several, at 1 and 2 threads.
  @Test func generator64PlanMatchesAutodiff() throws { try planMatchesAutodiff(Self.generator64) }

  /// Runs the plan of `net` on `input` and checks its output and input gradient against the
  /// autodiff graph's (see ``expectClose(_:_:_:sourceLocation:)``).
  func compare(_ net: Layer, input: Tensor, _ name: String, packed: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let plan = try InputGradientPlan([net], inputShape: input.shape)
    if packed { plan.packWeights() }
    defer { plan.unpackWeights() }
    let x = input.copy().requiringGrad()
    let y = try net(x)
    var rng = RandomGenerator(seed: 3)
    let dy = try Tensor.randn(y.shape, using: &rng)
    let want = try gradients(of: try (y * dy).sum(), wrt: [x])[0]
    let out = input.withUnsafeBufferPointer { plan.forward($0.baseAddress!) }
    #expect(plan.outputShape == y.shape, "\(name): shape", sourceLocation: sourceLocation)
    let yPlan = try Tensor.make(y.shape) { $0.baseAddress!.update(from: out, count: y.count) }
    let got = try Tensor.make(input.shape) { dx in dy.withUnsafeBufferPointer { plan.backward($0.baseAddress!, into: dx.baseAddress!) } }
    expectClose(yPlan, y, "\(name): forward", sourceLocation: sourceLocation)
    expectClose(got, want, "\(name): input gradient", sourceLocation: sourceLocation)
  }

  /// `got` within rounding of `want`: every value within 1e-5 of the tensor's magnitude (its
  /// largest value, at least 1). The plan and the graph sum the same products in orders that
  /// OpenBLAS picks by CPU and shape; the sums here are short (≤ 1100 terms of order 1), so they
  /// differ by about 1e-6 of the magnitude, and a wrong rule by far more.
  func expectClose(_ got: Tensor, _ want: Tensor, _ name: String, rtol: Float = 1e-5, sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.shape == want.shape else {
      Issue.record("\(name): shape \(got.shape), want \(want.shape)", sourceLocation: sourceLocation)
      return
    }
    let g = got.scalars, w = want.scalars
    let scale = Swift.max(1, w.map(abs).max() ?? 0)
    var worst = 0, error: Float = 0
    for i in g.indices where !(abs(g[i] - w[i]) <= error) {
      (worst, error) = (i, abs(g[i] - w[i]))
      if error.isNaN { break }
    }
    if !(error <= rtol * scale) {
      Issue.record("\(name): [\(worst)] \(g[worst]) vs \(w[worst]) (scale \(scale))", sourceLocation: sourceLocation)
    }
  }

  /// A residual block must keep its input's shape.
  @Test func residualBlocksKeepTheirShape() throws {
    var rng = RandomGenerator(seed: 5)
    #expect(throws: TensorError.self) { try InputGradientPlan([Residual([try Linear(3, 4, using: &rng)])], inputShape: [2, 3]) }
  }

  /// With the weights packed (AVX2/FMA kernels; the plain products where the CPU lacks them):
  /// rows in blocks of six and the rest, columns in panels of 16 and the rest, bias or none.
  @Test func packedWeights() throws {
    var rng = RandomGenerator(seed: 4)
    // (1100 inputs: a product deeper than 1024, summed in blocks of 256 and a last one of 76.)
    for (rows, inp, out) in [(1, 3, 1), (5, 16, 15), (6, 7, 16), (7, 33, 17), (13, 20, 40), (50, 16, 200), (12, 200, 1), (7, 1100, 19)] {
      for bias in [true, false] {
        let net = Sequential([try Linear(inp, out, bias: bias, using: &rng), ActivationLayer(.leakyRelu(0.2)), try Linear(out, 9, using: &rng)])
        try compare(net, input: try Tensor.randn([rows, inp], using: &rng), "packed \(rows)×\(inp)→\(out) bias \(bias)", packed: true)
      }
    }
    // A 1×1 input to 70 channels of 4×4: its input gradient is one packed product 1120 deep
    // (blocked: 4 blocks of 256 and one of 96), for 7 rows (a block of six and one).
    let deep = Sequential([Reshape([9, 1, 1]), try ConvTranspose2d(9, 70, kernelSize: 4, using: &rng), ActivationLayer(.tanh)])
    try compare(deep, input: try Tensor.randn([7, 9], using: &rng), "1×1 → 70×4×4, weights packed", packed: true)
    // Packing follows the weights when packed again, and unpacking goes back to the weights.
    let lin = try Linear(4, 5, using: &rng)
    let plan = try InputGradientPlan([lin], inputShape: [3, 4])
    let x = try Tensor.randn([3, 4], using: &rng)
    plan.packWeights()
    try assign(lin.weight, from: try Tensor.randn([5, 4], using: &rng))
    plan.packWeights()
    let y = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: plan.forward($0.baseAddress!), count: 15)) }
    #expect(try Tensor(shape: [3, 5], scalars: y).isClose(to: try lin(x), tolerance: 1e-5))
    plan.unpackWeights()
  }

  /// The plan's output and input gradient, one after the other, at `threads` threads.
  func run(_ net: Layer, _ x: Tensor, threads: Int) throws -> Tensor {
    try Threads.with(threads) {
      let plan = try InputGradientPlan([net], inputShape: x.shape)
      let y = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: plan.forward($0.baseAddress!), count: plan.outputCount)) }
      let dx = try Tensor.make(x.shape) { d in y.withUnsafeBufferPointer { plan.backward($0.baseAddress!, into: d.baseAddress!) } }
      return try Tensor(shape: [y.count + x.count], scalars: y + dx.scalars)
    }
  }

  /// Layers that run in place (LeakyReLU with a slope ≥ 0 over its input, Reshape and the identity
  /// sharing it) and the LeakyReLU done inside the transposed convolution before it, next to
  /// layers whose derivatives still need their buffers: an activation reading y before a Reshape
  /// and a LeakyReLU, two LeakyReLUs in a row, a negative slope (never in place), slope 0.
  @Test func layersInPlace() throws {
    var rng = RandomGenerator(seed: 8)
    let gen = Sequential([
      Reshape([6, 1, 1]),
      try ConvTranspose2d(6, 8, kernelSize: 4, stride: 1, padding: 0, using: &rng), ActivationLayer(.leakyRelu(0.2)),
      try ConvTranspose2d(8, 5, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.leakyRelu(0.1)),
      ActivationLayer(.leakyRelu(0.3)), ActivationLayer(.identity),
      try ConvTranspose2d(5, 3, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.tanh),
      Reshape([3 * 16 * 16]), ActivationLayer(.leakyRelu(0.2)), ActivationLayer(.leakyRelu(-0.5)),
      try Linear(3 * 16 * 16, 7, using: &rng), ActivationLayer(.sigmoid), ActivationLayer(.leakyRelu(0)), ActivationLayer(.softplus),
    ])
    let x = try Tensor.randn([5, 6], using: &rng)
    try compare(gen, input: x, "in place")
    try compare(gen, input: x, "in place, weights packed", packed: true)
    try ConvChunks.withFloats(700) { try compare(gen, input: x, "in place, in chunks") }
    expectClose(try run(gen, x, threads: 2), try run(gen, x, threads: 1), "in place: 1 and 2 threads")
  }

  /// Transposed convolutions to few output channels (cout·k·k ≤ 256) run image by image on the
  /// packed kernels: odd channel counts, planes that are not a whole number of 16-column panels
  /// (35, 36, 16·16 + 0), output padding, and one or two threads (each image on one thread, so
  /// the two agree bit for bit: the packed kernels, not OpenBLAS, compute them).
  @Test func fewOutputChannelsImageByImage() throws {
    var rng = RandomGenerator(seed: 6)
    let cases: [(cin: Int, cout: Int, k: Int, s: Int, p: Int, op: Int, h: Int, w: Int, batch: Int)] = [
      (13, 1, 4, 2, 1, 0, 7, 5, 3), (9, 3, 3, 2, 1, 1, 6, 6, 5), (20, 3, 4, 2, 1, 0, 16, 16, 2), (7, 16, 4, 1, 0, 0, 4, 4, 9),
    ]
    for c in cases {
      let layer = try ConvTranspose2d(c.cin, c.cout, kernelSize: c.k, stride: c.s, padding: c.p, outputPadding: c.op, using: &rng)
      let net = Sequential([layer, ActivationLayer(.tanh)])
      let x = try Tensor.randn([c.batch, c.cin, c.h, c.w], using: &rng)
      try compare(net, input: x, "convT \(c.cin)→\(c.cout) k\(c.k) from \(c.h)×\(c.w)")
      #expect(try run(net, x, threads: 1).scalars == run(net, x, threads: 2).scalars, "convT \(c.cin)→\(c.cout): 1 and 2 threads")
    }
  }

  @Test func unsupportedLayersAreErrors() throws {
    final class Custom: Layer {
      func callAsFunction(_ x: Tensor) throws -> Tensor { x }
      var namedParameters: [(String, Tensor)] { [] }
      var description: String { "Custom" }
    }
    #expect(throws: TensorError.self) { try InputGradientPlan([Custom()], inputShape: [2, 3]) }
    // Inside a Sequential or a Residual too.
    #expect(throws: TensorError.self) { try InputGradientPlan([Sequential([ActivationLayer(.tanh), Custom()])], inputShape: [2, 3]) }
    #expect(throws: TensorError.self) { try InputGradientPlan([Residual([Custom()])], inputShape: [2, 3]) }
    var rng = RandomGenerator(seed: 3)
    #expect(throws: TensorError.self) { try InputGradientPlan([try Linear(4, 2, using: &rng)], inputShape: [2, 3]) }
    #expect(throws: TensorError.self) { try InputGradientPlan([Reshape([4])], inputShape: [2, 3]) }
  }
}
