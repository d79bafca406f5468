import Testing
@testable import Engine

/// Golden numbers printed by Tools/reference/adam_reference.py (torch.optim semantics).
@Suite struct OptimizerTests {
  let p0: [Float] = [0.5, -1.0, 2.0]
  let grads: [[Float]] = [[0.1, -0.2, 0.3], [0.4, 0.0, -0.5], [-0.3, 0.25, 0.05]]

  func run(_ make: ([Tensor]) throws -> Optimizer) throws -> [[Float]] {
    let p = Tensor(p0).requiringGrad()
    let opt = try make([p])
    var out: [[Float]] = []
    for g in grads { try opt.step([Tensor(g)]); out.append(p.scalars) }
    return out
  }

  func expectClose(_ got: [[Float]], _ want: [[Float]], _ name: String) {
    for (r, (a, b)) in zip(got, want).enumerated() {
      for (x, y) in zip(a, b) { #expect(abs(x - y) < 2e-6, "\(name) step \(r + 1): \(a) vs \(b)") }
    }
  }

  @Test func adamMatchesTorch() throws {
    expectClose(try run { try Adam($0, learningRate: 0.1, beta1: 0.5, beta2: 0.999) }, [
      [0.400000010, -0.900000005, 1.900000003],
      [0.297123565, -0.852847761, 1.956584988],
      [0.311679172, -0.914669739, 1.977727561],
    ], "adam")
  }

  @Test func adamWeightDecayMatchesTorch() throws {
    expectClose(try run { try Adam($0, learningRate: 0.01, weightDecay: 0.1) }, [
      [0.490000001, -0.990000000, 1.990000000],
      [0.480819518, -0.981304239, 1.988099467],
      [0.477557851, -0.978017062, 1.984241108],
    ], "adam wd")
  }

  @Test func sgdNesterovMatchesTorch() throws {
    expectClose(try run { try SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true) }, [
      [0.481000000, -0.962000000, 1.943000000],
      [0.396900000, -0.945800000, 2.013700000],
      [0.414210000, -0.978720000, 2.022830000],
    ], "sgd")
  }

  @Test func exponentialDecayAndClipping() throws {
    let p = Tensor([1]).requiringGrad()
    let opt = try Adam([p], learningRate: 0.1)
    let sched = try ExponentialDecay(gamma: 0.5)
    opt.learningRate = sched.rate(0.1, afterEpochs: 2)
    #expect(abs(opt.learningRate - 0.025) < 1e-7)
    let g = [Tensor([3, 4])]
    let norm = try clipGradientNorm(g, maxNorm: 1)
    #expect(abs(norm - 5) < 1e-6)
    #expect(abs(gradientNorm(g) - 1) < 1e-5)
    #expect(throws: TensorError.self) { try clipGradientNorm(g, maxNorm: -1) }
    #expect(throws: TensorError.self) { try ExponentialDecay(gamma: 1.5) }
    #expect(throws: TensorError.self) { try Adam([p], beta1: 1.5) }
    #expect(throws: TensorError.self) { try opt.step([Tensor([1, 2])]) }
  }

  /// The proposed step computes what the step leaves, exactly, without changing anything.
  @Test func proposedStepPredictsTheStep() throws {
    var rng = RandomGenerator(seed: 11)
    let ps = [try Tensor.randn([13], using: &rng).requiringGrad(), try Tensor.randn([4, 5], using: &rng).requiringGrad()]
    let opt = try Adam(ps, learningRate: 0.3, beta1: 0.5, weightDecay: 0.01)
    for _ in 0..<3 {
      let g = try ps.map { try Tensor.randn($0.shape, using: &rng) }
      let before = ps.map(\.scalars)
      let proposed = try opt.proposedStep(g)
      #expect(ps.map(\.scalars) == before && proposed.finite)
      try opt.step(g)
      #expect(proposed.largestWeight == ps.flatMap(\.scalars).map(abs).max()!)
    }
    let huge = try ps.map { try Tensor.full($0.shape, 1e30) }
    #expect(try opt.proposedStep(huge).finite == false)  // g² overflows the second moment
  }

  /// A tiny MLP learns XOR with Adam (swift-apis's convergence test).
  @Test func mlpLearnsXor() throws {
    var rng = RandomGenerator(seed: 3)
    let net = Sequential([try Linear(2, 16, using: &rng), ActivationLayer(.tanh), try Linear(16, 1, using: &rng)])
    let opt = try Adam(net.parameters, learningRate: 0.05)
    let x = try Tensor(rows: [[0, 0], [0, 1], [1, 0], [1, 1]])
    let y = try Tensor(shape: [4, 1], scalars: [0, 1, 1, 0])
    var loss: Float = 1
    for _ in 0..<300 {
      let l = try (net(x) - y).square().mean()
      try opt.step(gradients(of: l, wrt: net.parameters))
      loss = try l.item()
    }
    #expect(loss < 0.01, "XOR loss \(loss)")
  }
}
