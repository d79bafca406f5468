import Testing
@testable import Engine

@Suite struct LayerTests {
  @Test func linearMatchesFormula() throws {
    var rng = RandomGenerator(seed: 1)
    let l = try Linear(3, 2, using: &rng)
    let x = sample([4, 3], seed: 40)
    let want = try Tensor.matmul(x, l.weight, transposeB: true) + l.bias!
    #expect(try l(x).isClose(to: want))
    #expect(l.parameterCount == 8)
    // PyTorch's default init: U(−1/√3, 1/√3).
    #expect(l.weight.scalars.allSatisfy { abs($0) <= Float(1 / 3.0.squareRoot()) })
  }

  @Test func layerGradients() throws {
    var rng = RandomGenerator(seed: 2)
    let lin = try Linear(3, 4, using: &rng)
    let conv = try Conv2d(2, 3, kernelSize: 3, stride: 2, padding: 1, using: &rng)
    let convT = try ConvTranspose2d(3, 2, kernelSize: 4, stride: 2, padding: 1, init: .xavierNormal(gain: 1), using: &rng)
    for (name, layer, x) in [("Linear", lin as Layer, sample([5, 3], seed: 41)),
                              ("Conv2d s2 p1", conv, sample([2, 2, 5, 6], seed: 42)),
                              ("ConvTranspose2d s2 p1", convT, sample([2, 3, 3, 3], seed: 43))] {
      let params = layer.parameters
      // Input gradient.
      try checkGradients("\(name) input", [x]) { try layer($0[0]) }
      // Each parameter's gradient, perturbing the parameter in place.
      for (k, p) in params.enumerated() {
        let saved = p.copy()
        var rng2 = RandomGenerator(seed: 7)
        let r = try Tensor.randn(try layer(x).shape, using: &rng2)
        let analytic = try gradients(of: try (layer(x) * r).sum(), wrt: [p])[0].scalars
        for i in 0..<p.count {
          let h: Float = 1e-2
          p.storage.pointer[i] = saved.storage.pointer[i] + h
          let up = try withoutGradients { try (layer(x) * r).sum().item() }
          p.storage.pointer[i] = saved.storage.pointer[i] - h
          let down = try withoutGradients { try (layer(x) * r).sum().item() }
          p.storage.pointer[i] = saved.storage.pointer[i]
          let numeric = (up - down) / (2 * h)
          #expect(abs(analytic[i] - numeric) <= 5e-3 + 2e-2 * abs(numeric), "\(name) param \(k)[\(i)]: \(analytic[i]) vs \(numeric)")
        }
      }
    }
  }

  @Test(arguments: [Activation.relu, .gelu, .silu, .mish, .tanh, .sigmoid, .softplus, .leakyRelu(0.2), .identity])
  func activations(_ a: Activation) throws {
    // Inputs away from 0 so the kinked ones (ReLU, LeakyReLU) are differentiable under h.
    let x = try Tensor(shape: [2, 3], scalars: [-1.5, -0.4, 0.3, 0.9, -2, 1.7])
    try checkGradients(a.description, [x]) { a($0[0]) }
  }

  @Test func activationNames() {
    #expect(Activation(name: "leaky_relu") == .leakyRelu(0.2))
    #expect(Activation(name: "swish") == .silu)
    #expect(Activation(name: "GELU") == .gelu)
    #expect(Activation(name: "gelly") == nil)
    #expect(Activation.names.allSatisfy { Activation(name: $0) != nil })
  }

  @Test func sequentialAndNames() throws {
    var rng = RandomGenerator(seed: 4)
    let net = Sequential([try Linear(2, 3, using: &rng), ActivationLayer(.gelu), try Linear(3, 1, using: &rng)])
    #expect(net.namedParameters.map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
    try checkGradients("MLP", [sample([4, 2], seed: 44)]) { try net($0[0]) }
  }

  @Test func xavierNormalStatistics() throws {
    var rng = RandomGenerator(seed: 5)
    let l = try ConvTranspose2d(64, 32, kernelSize: 4, init: .xavierNormal(gain: 1), using: &rng)
    let w = l.weight
    let std = try w.variance().item().squareRoot()
    let want = (2.0 / Float(32 * 16 + 64 * 16)).squareRoot()
    #expect(abs(std - want) / want < 0.05, "std \(std) vs \(want)")
  }
}

