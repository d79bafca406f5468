import Testing
@testable import Engine

/// The planned forward and input-gradient passes agree with the autodiff graph.
@Suite struct InputGradientPlanTests {
  func compare(_ net: Sequential, input: Tensor, _ name: String, packed: Bool = false) throws {
    let plan = try InputGradientPlan([net], inputShape: input.shape)
    if packed { plan.packWeights() }
    defer { plan.unpackWeights() }
    let x = input.copy().requiringGrad()
    let y = try net(x)
    var rng = RandomGenerator(seed: 3)
    let dy = try Tensor.randn(y.shape, using: &rng)
    let want = try gradients(of: try (y * dy).sum(), wrt: [x])[0]
    let out = input.withUnsafeBufferPointer { plan.forward($0.baseAddress!) }
    #expect(plan.outputShape == y.shape, "\(name) shape")
    let got = try Tensor.make(input.shape) { dx in dy.withUnsafeBufferPointer { plan.backward($0.baseAddress!, into: dx.baseAddress!) } }
    let yPlan = try Tensor.make(y.shape) { $0.baseAddress!.update(from: out, count: y.count) }
    #expect(yPlan.isClose(to: y, tolerance: 1e-5), "\(name) forward")
    #expect(got.isClose(to: want, tolerance: 1e-5), "\(name) input gradient")
  }

  @Test func mlps() throws {
    var rng = RandomGenerator(seed: 1)
    for act in [Activation.leakyRelu(0.2), .gelu, .tanh, .silu, .mish, .softplus, .relu, .sigmoid, .identity] {
      let net = Sequential([try Linear(3, 8, using: &rng), ActivationLayer(act), try Linear(8, 1, using: &rng), ActivationLayer(.tanh)])
      try compare(net, input: try Tensor.randn([5, 3], using: &rng), "MLP \(act)")
    }
    let wide = Sequential([try Linear(4, 6, using: &rng), ActivationLayer(.gelu), try Linear(6, 7, using: &rng)])
    try compare(wide, input: try Tensor.randn([3, 4], using: &rng), "MLP 4→6→7")
  }

  /// A residual block `y = x + f(x)` inside an MLP, plain and packed.
  @Test func residualBlocks() throws {
    var rng = RandomGenerator(seed: 5)
    for packed in [false, true] {
      let net = Sequential([
        try Linear(3, 16, using: &rng),
        Residual([ActivationLayer(.leakyRelu(0.2)), try Linear(16, 16, using: &rng), ActivationLayer(.gelu), try Linear(16, 16, using: &rng)]),
        Residual([ActivationLayer(.tanh), try Linear(16, 16, using: &rng)]),
        ActivationLayer(.silu), try Linear(16, 1, using: &rng),
      ])
      try compare(net, input: try Tensor.randn([9, 3], using: &rng), "residual MLP packed \(packed)", packed: packed)
    }
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

  @Test func convolutionNets() throws {
    var rng = RandomGenerator(seed: 2)
    let gen = Sequential([
      Reshape([6, 1, 1]),
      try ConvTranspose2d(6, 5, kernelSize: 4, stride: 1, padding: 0, using: &rng), ActivationLayer(.leakyRelu(0.2)),
      try ConvTranspose2d(5, 3, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.tanh),
      try Conv2d(3, 2, kernelSize: 3, stride: 2, padding: 1, using: &rng),
    ])
    try compare(gen, input: try Tensor.randn([4, 6], using: &rng), "conv net")
    try compare(gen, input: try Tensor.randn([7, 6], using: &rng), "conv net, weights packed", packed: true)
    // A 1×1 input to 70 channels of 4×4: its input gradient is one packed product 1120 deep
    // (blocked: 4 blocks of 256 and one of 96), for 7 rows (a block of six and one).
    let deep = Sequential([Reshape([9, 1, 1]), try ConvTranspose2d(9, 70, kernelSize: 4, using: &rng), ActivationLayer(.tanh)])
    try compare(deep, input: try Tensor.randn([7, 9], using: &rng), "1×1 → 70×4×4, weights packed", packed: true)
    // The same with the batch cut into chunks of one to three images.
    let x5 = try Tensor.randn([5, 6], using: &rng)
    try ConvChunks.withFloats(300) { try compare(gen, input: x5, "conv net in chunks") }
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
    func run(_ threads: Int) throws -> [Float] {
      try Threads.with(threads) {
        let plan = try InputGradientPlan([gen], inputShape: x.shape)
        let y = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: plan.forward($0.baseAddress!), count: plan.outputCount)) }
        let dx = try Tensor.make(x.shape) { d in y.withUnsafeBufferPointer { plan.backward($0.baseAddress!, into: d.baseAddress!) } }
        return y + dx.scalars
      }
    }
    #expect(try run(1) == run(2), "in place: 1 and 2 threads")
  }

  /// Transposed convolutions to few channels (cout·k·k ≤ 256) run image by image on the packed
  /// kernels: odd channel counts, planes that are not a whole number of 16-column panels (35, 36,
  /// 16·16 + 0), output padding, and one or two threads (each image on one thread, so the two agree
  /// bit for bit). Against the autodiff graph (OpenBLAS) at 1e-5: each sum here has at most
  /// 20·16 = 320 products of a normal draw and a weight below 0.3 in size, results of order 1,
  /// so the two orders of summation differ by about 1e-6.
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
      func run(_ threads: Int) throws -> [Float] {
        try Threads.with(threads) {
          let plan = try InputGradientPlan([net], inputShape: x.shape)
          let y = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: plan.forward($0.baseAddress!), count: plan.outputCount)) }
          let dx = try Tensor.make(x.shape) { d in y.withUnsafeBufferPointer { plan.backward($0.baseAddress!, into: d.baseAddress!) } }
          return y + dx.scalars
        }
      }
      #expect(try run(1) == run(2), "convT \(c.cin)→\(c.cout): 1 and 2 threads")
    }
  }

  @Test func unsupportedLayersAreErrors() throws {
    final class Custom: Layer {
      func callAsFunction(_ x: Tensor) throws -> Tensor { x }
      var namedParameters: [(String, Tensor)] { [] }
      var description: String { "Custom" }
    }
    #expect(throws: TensorError.self) { try InputGradientPlan([Custom()], inputShape: [2, 3]) }
    var rng = RandomGenerator(seed: 3)
    #expect(throws: TensorError.self) { try InputGradientPlan([try Linear(4, 2, using: &rng)], inputShape: [2, 3]) }
  }
}
