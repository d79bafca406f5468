// The LSTM layer (LSTM.swift, LSTM+Backward.swift): gradients with respect to the input, h0, c0
// and every weight against central differences (1 and 20 steps, 1 and 2 layers), the fused op
// against the gate equations written with the engine's ordinary ops, and errors as values.
import Testing
@testable import Engine

@Suite struct LSTMTests {
  /// An LSTM of `layers` layers with random weights, as the flat list run() takes back.
  private func weights(_ input: Int, _ hidden: Int, layers: Int, seed: UInt64) throws -> [Tensor] {
    var rng = RandomGenerator(seed: seed)
    return try LSTM(input, hidden, layers: layers, using: &rng).parameters.map { $0.detached() }
  }

  private func lstm(_ flat: ArraySlice<Tensor>) -> LSTM {
    let ws = Array(flat)
    return LSTM(layers: stride(from: 0, to: ws.count, by: 4).map {
      LSTM.LayerWeights(weightIH: ws[$0], weightHH: ws[$0 + 1], biasIH: ws[$0 + 2], biasHH: ws[$0 + 3])
    })
  }

  /// output, h_n and c_n flattened into one tensor, so one check covers all three.
  private func joined(_ r: (output: Tensor, h: Tensor, c: Tensor)) throws -> Tensor {
    try Tensor.concatenate([r.output.reshaped([-1]), r.h.reshaped([-1]), r.c.reshaped([-1])])
  }

  @Test(arguments: [(1, 1), (20, 1), (3, 2), (20, 2)])
  func gradientsMatchFiniteDifferences(_ steps: Int, _ layers: Int) throws {
    let (b, input, hidden) = (2, 3, 2)
    let x = sample([b, steps, input], seed: 11)
    let h0 = sample([layers, b, hidden], seed: 12), c0 = sample([layers, b, hidden], seed: 13)
    // Inputs, then every weight: x, h0, c0, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, …
    let ws = try weights(input, hidden, layers: layers, seed: 14)
    try checkGradients("LSTM T=\(steps) layers=\(layers)", [x, h0, c0] + ws) { t in
      try joined(lstm(t[3...]).run(t[0], h0: t[1], c0: t[2]))
    }
    // Zero initial states (the default) with only the input tracked.
    try checkGradients("LSTM T=\(steps) layers=\(layers), zero state", [x]) { t in try lstm(ws[...]).run(t[0]).output }
  }

  /// The fused op equals the equations on LSTM's doc written with matmul, sigmoid and tanh, in
  /// value and in every gradient.
  @Test func fusedOpMatchesTheGateEquations() throws {
    let (b, steps, input, hidden) = (3, 5, 4, 3)
    let x = sample([b, steps, input], seed: 21).requiringGrad()
    let h0 = sample([1, b, hidden], seed: 22).requiringGrad(), c0 = sample([1, b, hidden], seed: 23).requiringGrad()
    var rng = RandomGenerator(seed: 24)
    let net = try LSTM(input, hidden, using: &rng)
    let w = net.layers[0]

    func reference() throws -> (Tensor, Tensor, Tensor) {
      var h = try h0.reshaped([b, hidden]), c = try c0.reshaped([b, hidden])
      var outs: [Tensor] = []
      for t in 0..<steps {
        let xt = try x.slice(axis: 1, start: t, end: t + 1).reshaped([b, input])
        let a = try Tensor.matmul(xt, w.weightIH, transposeB: true) + w.biasIH + Tensor.matmul(h, w.weightHH, transposeB: true) + w.biasHH
        func gate(_ k: Int) throws -> Tensor { try a.slice(axis: 1, start: k * hidden, end: (k + 1) * hidden) }
        let (i, f, g, o) = (try gate(0).sigmoid(), try gate(1).sigmoid(), try gate(2).tanh(), try gate(3).sigmoid())
        c = try f * c + i * g
        h = try o * c.tanh()
        outs.append(h)
      }
      return (try Tensor.stack(outs, axis: 1), try h.reshaped([1, b, hidden]), try c.reshaped([1, b, hidden]))
    }
    let (ro, rh, rc) = try reference()
    let fused = try net.run(x, h0: h0, c0: c0)
    #expect(fused.output.isClose(to: ro, tolerance: 1e-6) && fused.h.isClose(to: rh, tolerance: 1e-6) && fused.c.isClose(to: rc, tolerance: 1e-6))

    var r = RandomGenerator(seed: 25)
    let (wo, wh, wc) = (try Tensor.randn(ro.shape, using: &r), try Tensor.randn(rh.shape, using: &r), try Tensor.randn(rc.shape, using: &r))
    let wrt = [x, h0, c0] + net.parameters
    let want = try gradients(of: try (ro * wo).sum() + (rh * wh).sum() + (rc * wc).sum(), wrt: wrt)
    let got = try gradients(of: try (fused.output * wo).sum() + (fused.h * wh).sum() + (fused.c * wc).sum(), wrt: wrt)
    for (k, (a, e)) in zip(got, want).enumerated() {
      #expect(a.isClose(to: e, tolerance: 1e-5), "gradient \(k): \(a.scalars.prefix(4)) vs \(e.scalars.prefix(4))")
    }
  }

  /// With enough batch rows the cells of a step are split across threads: one thread and two agree,
  /// forward and backward, to float rounding (the products' kernels, OpenBLAS's choice, may differ
  /// with the split; the cells' rows are independent).
  @Test func cellsSplitAcrossThreadsGiveTheSameBits() throws {
    var rng = RandomGenerator(seed: 31)
    let net = try LSTM(8, 256, using: &rng)
    #expect(64 >= 2 * lstmCellRows(256), "the batch is large enough to split")
    let x = sample([64, 3, 8], seed: 32).requiringGrad()
    let w = sample([64, 3, 256], seed: 33)
    func run(_ threads: Int) throws -> [Tensor] {
      try Threads.with(threads) {
        let r = try net.run(x)
        return [r.output, r.c] + (try gradients(of: try (r.output * w).sum(), wrt: [x] + net.parameters))
      }
    }
    let (one, two) = (try run(1), try run(2))
    for (k, (a, b)) in zip(one, two).enumerated() {
      let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
      #expect(worst <= 1e-5, "result \(k): 1 and 2 threads differ by \(worst)")
    }
  }

  @Test func parametersHavePyTorchsNamesShapesAndInit() throws {
    var rng = RandomGenerator(seed: 3)
    let net = try LSTM(5, 4, layers: 2, using: &rng)
    #expect(net.namedParameters.map(\.0) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                              "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"])
    #expect(net.namedParameters.map(\.1.shape) == [[16, 5], [16, 4], [16], [16], [16, 4], [16, 4], [16], [16]])
    #expect(net.parameters.allSatisfy { $0.scalars.allSatisfy { abs($0) <= 0.5 } })  // U(−1/√4, 1/√4)
    #expect(net.parameters.allSatisfy { $0.isLeaf })
    let r = try net.run(sample([3, 7, 5], seed: 4))
    #expect(r.output.shape == [3, 7, 4] && r.h.shape == [2, 3, 4] && r.c.shape == [2, 3, 4])
    // h_n of the last layer is the last output step.
    #expect(try r.h.slice(axis: 0, start: 1).reshaped([3, 4]).isClose(to: r.output.slice(axis: 1, start: 6).reshaped([3, 4]), tolerance: 0))
    #expect(net.description == "LSTM(5 → 4, 2 layers)")
  }

  @Test func badShapesThrow() throws {
    var rng = RandomGenerator(seed: 5)
    let net = try LSTM(3, 2, layers: 2, using: &rng)
    let cases: [(() throws -> Any, String)] = [
      ({ try net.run(sample([2, 4, 5])) }, "lstm: shapes [2, 4, 5] do not match (the input must be [batch, steps, 3]: it has 5 features, the LSTM takes 3)"),
      ({ try net.run(sample([4, 3])) }, "the input must be [batch, steps, 3])"),
      ({ try net.run(sample([2, 0, 3])) }, "lstm: the input has no steps (shape [2, 0, 3])"),
      ({ try net.run(sample([2, 4, 3]), h0: sample([1, 2, 2])) }, "lstm: shapes [1, 2, 2] and [2, 2, 2] do not match (h0 must be [layers, batch, hidden] = [2, 2, 2])"),
      ({ try net.run(sample([2, 4, 3]), c0: sample([2, 3, 2])) }, "c0 must be [layers, batch, hidden] = [2, 2, 2]"),
      ({ try LSTM(0, 2, using: &rng) }, "LSTM: sizes and layers must be positive"),
      ({ try LSTM(2, 2, layers: 0, using: &rng) }, "layers 0"),
    ]
    for (f, message) in cases {
      do { _ = try f(); Issue.record("no error for \(message)") } catch {
        #expect("\(error)".contains(message), "\(error)")
      }
    }
  }
}
