import Testing
@testable import Engine

@Suite struct OpGradientTests {
  @Test(arguments: UnaryOp.allCases)
  func unary(_ op: UnaryOp) throws {
    try checkGradients(op.rawValue, [sample([3, 4], op.smoothDomain)]) { $0[0].apply(op) }
  }

  @Test func leakyReluAndClamp() throws {
    // Values kept away from the kinks, where finite differences would straddle them.
    let x = try Tensor(shape: [2, 3], scalars: [-1.5, -0.4, 0.3, 0.9, -2, 1.7])
    try checkGradients("leaky_relu", [x]) { $0[0].leakyRelu(0.2) }
    try checkGradients("clamp", [x]) { try $0[0].clamped(-1, 1) }
  }

  @Test(arguments: BinaryOp.allCases)
  func binaryWithBroadcasting(_ op: BinaryOp) throws {
    // Positive bases for pow; distinct values for max/min so no ties fall within h.
    let a = sample([3, 4], op == .pow ? 0.5...2 : -2...2, seed: 2)
    let b = sample([4], op == .pow ? 0.5...2 : -2...2, seed: 3)
    let c = sample([3, 1], 0.5...2, seed: 4)
    try checkGradients("\(op) [3,4]∘[4]", [a, b]) { try Tensor.binary(op, $0[0], $0[1]) }
    try checkGradients("\(op) [3,1]∘[4]", [c, b]) { try Tensor.binary(op, $0[0], $0[1]) }
    try checkGradients("\(op) [3,4]∘[3,4]", [a, sample([3, 4], 0.5...2, seed: 5)]) { try Tensor.binary(op, $0[0], $0[1]) }
  }

  @Test(arguments: ReduceOp.allCases)
  func reductions(_ op: ReduceOp) throws {
    // Distinct values 0.1 apart in shuffled order, so no max or min changes within h = 0.01.
    var rng = RandomGenerator(seed: 6)
    let x = try Tensor(shape: [2, 3, 4], scalars: rng.permutation(24).map { Float($0) * 0.1 - 1.2 })
    try checkGradients("\(op) all", [x]) { try $0[0].reduce(op) }
    try checkGradients("\(op) axis 1", [x]) { try $0[0].reduce(op, axes: [1]) }
    try checkGradients("\(op) axes 0,2 keep", [x]) { try $0[0].reduce(op, axes: [0, 2], keepDims: true) }
  }

  @Test func normAndVariance() throws {
    let x = sample([3, 5], seed: 7)
    try checkGradients("norm", [x]) { try $0[0].norm(axes: [1]) }
    try checkGradients("variance", [x]) { try $0[0].variance(axes: [0]) }
  }

  @Test func shapeOps() throws {
    let x = sample([2, 3, 4], seed: 8)
    try checkGradients("reshape", [x]) { try $0[0].reshaped([6, -1]) }
    try checkGradients("permute", [x]) { try $0[0].permuted([2, 0, 1]) }
    try checkGradients("transpose", [x]) { try $0[0].transposed() }
    try checkGradients("slice", [x]) { try $0[0].slice(axis: 2, start: 1, end: 4, step: 2) }
    try checkGradients("slice negative", [x]) { try $0[0].slice(axis: 1, start: -2) }
    try checkGradients("broadcast", [sample([3, 1], seed: 9)]) { try $0[0].broadcast(to: [2, 3, 4]) }
    try checkGradients("gather", [x]) { try $0[0].gather([1, 0, 1]) }
    try checkGradients("concat", [x, sample([2, 1, 4], seed: 10)]) { try Tensor.concatenate($0, axis: 1) }
    try checkGradients("stack", [x, sample([2, 3, 4], seed: 11)]) { try Tensor.stack($0, axis: 1) }
    try checkGradients("flatten", [x]) { try $0[0].flattened() }
  }

  @Test func select() throws {
    let cond = try Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 0, 1])
    try checkGradients("where", [sample([2, 3], seed: 12), sample([3], seed: 13)]) { try Tensor.select(cond, $0[0], $0[1]) }
  }

  @Test func matmul() throws {
    let a = sample([3, 4], seed: 14), b = sample([4, 5], seed: 15)
    try checkGradients("matmul", [a, b]) { try Tensor.matmul($0[0], $0[1]) }
    try checkGradients("matmul Aᵀ", [sample([4, 3], seed: 16), b]) { try Tensor.matmul($0[0], $0[1], transposeA: true) }
    try checkGradients("matmul Bᵀ", [a, sample([5, 4], seed: 17)]) { try Tensor.matmul($0[0], $0[1], transposeB: true) }
    try checkGradients("matmul AᵀBᵀ", [sample([4, 3], seed: 18), sample([5, 4], seed: 19)]) {
      try Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true)
    }
    try checkGradients("batched matmul", [sample([2, 3, 4], seed: 20), b]) { try Tensor.matmul($0[0], $0[1]) }
    try checkGradients("batched pairs", [sample([2, 3, 4], seed: 21), sample([2, 4, 2], seed: 22)]) { try Tensor.matmul($0[0], $0[1]) }
  }

  @Test func linearOp() throws {
    try checkGradients("linear", [sample([5, 3], seed: 23), sample([4, 3], seed: 24), sample([4], seed: 25)]) {
      try Tensor.linear($0[0], weight: $0[1], bias: $0[2])
    }
  }

  @Test func conv2dStride2Padding1() throws {
    try checkGradients("conv2d s2 p1", [sample([2, 3, 6, 5], seed: 26), sample([4, 3, 3, 3], seed: 27), sample([4], seed: 28)]) {
      try Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1)
    }
    try checkGradients("conv2d s1 p0", [sample([1, 2, 5, 5], seed: 29), sample([3, 2, 2, 2], seed: 30)]) {
      try Tensor.conv2d($0[0], weight: $0[1], stride: 1, padding: 0)
    }
  }

  @Test func convTranspose2dStride2Padding1() throws {
    try checkGradients("convT k4 s2 p1", [sample([2, 3, 3, 4], seed: 31), sample([3, 2, 4, 4], seed: 32), sample([2], seed: 33)]) {
      try Tensor.convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1)
    }
    try checkGradients("convT k4 s1 p0 from 1×1", [sample([2, 5, 1, 1], seed: 34), sample([5, 3, 4, 4], seed: 35)]) {
      try Tensor.convTranspose2d($0[0], weight: $0[1], stride: 1, padding: 0)
    }
    try checkGradients("convT k3 s2 p1 op1", [sample([1, 2, 3, 3], seed: 36), sample([2, 2, 3, 3], seed: 37)]) {
      try Tensor.convTranspose2d($0[0], weight: $0[1], stride: 2, padding: 1, outputPadding: 1)
    }
  }

  /// The column matrix made one chunk of images at a time (here one or two images a chunk, batch
  /// 5, odd sizes): outputs and all three gradients agree with one chunk for the whole batch. Only
  /// the weight gradient's sum over images is grouped differently (chunk partial sums added in
  /// order), so the two agree to float rounding: a weight-gradient entry sums at most 5 images × 15
  /// positions = 75 products of values ≤ 1 in size (|r| ≤ 1 too), so it is below 75 and
  /// regrouping moves it by at most about 75 · 75 · 6e-8 ≈ 3e-4 in the worst case, ~1e-6 typically;
  /// 1e-3 still catches a wrong chunk offset (errors of order 1).
  @Test func convolutionsInChunksMatchOneChunk() throws {
    let x = sample([5, 3, 7, 5], seed: 40), w = sample([4, 3, 3, 3], seed: 41), b = sample([4], seed: 42)
    let xt = sample([5, 4, 5, 3], seed: 43), wt = sample([4, 3, 4, 4], seed: 44)
    func run() throws -> [Tensor] {
      var out: [Tensor] = []
      for (input, weight, transposed) in [(x, w, false), (xt, wt, true)] {
        let xi = input.copy().requiringGrad(), wi = weight.copy().requiringGrad(), bi = (transposed ? sample([3], seed: 45) : b).copy().requiringGrad()
        let y = transposed
          ? try Tensor.convTranspose2d(xi, weight: wi, bias: bi, stride: 2, padding: 1)
          : try Tensor.conv2d(xi, weight: wi, bias: bi, stride: 2, padding: 1)
        let r = sample(y.shape, seed: 46)
        out += [y] + (try gradients(of: try (y * r).sum(), wrt: [xi, wi, bi]))
      }
      return out
    }
    let whole = try run()
    // conv2d: 2 images a chunk (27 × 4·3 columns each); convT ((48 + 4) × 5·3): 1.
    let chunked = try ConvChunks.withFloats(2 * 27 * 12) { try run() }
    #expect(whole.count == chunked.count)
    for (i, (a, c)) in zip(whole, chunked).enumerated() {
      #expect(a.shape == c.shape && a.isClose(to: c, tolerance: 1e-3), "tensor \(i)")
    }
  }

  @Test func secondUseOfATensorAccumulates() throws {
    try checkGradients("x*x + x", [sample([4], seed: 38)]) { x in try x[0] * x[0] + x[0] }
  }
}
