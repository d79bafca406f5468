// Layers and nets a script composes (Builtins+Layers.swift): gradients with respect to every weight
// and to the input against central differences, the same gradients through params and grad,
// plannable nets on InputGradientPlan against autodiff, and errors as values.
import Engine
import Testing

@testable import Lang

/// Runs `source` in a fresh interpreter; records a failure and returns nil when it fails.
private func layerScript(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) -> Interpreter? {
  let interp = Interpreter(output: { _ in })
  interp.interruptFlag = InterruptFlag()
  if case .failure(let e) = interp.run(source, file: "layers.lebm") {
    Issue.record("script failed: \(e.rendered(source: source))", sourceLocation: sourceLocation)
    return nil
  }
  return interp
}

private func variableTensor(_ interp: Interpreter, _ name: String) -> Tensor? {
  if case .tensor(let t)? = interp[variable: name] { return t }
  return nil
}

private func variableLayer(_ interp: Interpreter, _ name: String) -> LayerHandle? {
  if case .opaque(let o)? = interp[variable: name] { return o as? LayerHandle }
  return nil
}

/// Inputs away from 0 (|x| ≥ 0.1), so a step of 1e-2 never crosses a kink of relu or leaky_relu.
private let awayFromZero = "x = where(x > 0, x + 0.1, x - 0.1)"

/// Each kind of layer: the script makes the layer `L`, a batch `x` and a fixed random `w` of the
/// output's shape; the loss is Σ L(x)·w.
private let layerCases: [(String, String)] = [
  ("linear", "L = linear(3, 4); x = randn([5, 3]); w = randn([5, 4])"),
  ("linear, no bias", "L = linear(3, 2, bias: false); x = randn([2, 6, 3]); w = randn([2, 6, 2])"),
  ("conv2d", "L = conv2d(2, 3, 3, stride: 2, padding: 1); x = randn([2, 2, 5, 5]); w = randn([2, 3, 3, 3])"),
  ("conv2d, no bias", "L = conv2d(2, 2, [2, 2], bias: false); x = randn([2, 2, 4, 4]); w = randn([2, 2, 3, 3])"),
  ("conv_transpose2d", "L = conv_transpose2d(2, 3, 4, stride: 2, padding: 1); x = randn([2, 2, 3, 3]); w = randn([2, 3, 6, 6])"),
  ("conv_transpose2d, output_padding", "L = conv_transpose2d(2, 1, 3, stride: 2, output_padding: 1); x = randn([1, 2, 3, 3]); w = randn([1, 1, 8, 8])"),
  ("reshape_layer", "L = reshape_layer([2, 3]); x = randn([4, 6]); w = randn([4, 2, 3])"),
  ("reshape_layer -1", "L = reshape_layer([-1]); x = randn([4, 2, 3]); w = randn([4, 6])"),
  ("sequential", "L = sequential([linear(3, 5), tanh, linear(5, 4), gelu, linear(4, 2)]); x = randn([6, 3]); w = randn([6, 2])"),
  ("sequential of convs", """
    L = sequential([conv2d(1, 2, 3, padding: 1), softplus, reshape_layer([-1]), linear(2 * 4 * 4, 8), reshape_layer([2, 2, 2]),
                    conv_transpose2d(2, 1, 4, stride: 2, padding: 1)])
    x = randn([2, 1, 4, 4]); w = randn([2, 1, 4, 4])
    """),
  ("residual", "L = residual([linear(3, 5), silu, linear(5, 3)]); x = randn([6, 3]); w = randn([6, 3])"),
  ("residual in sequential", "L = sequential([linear(3, 4), residual([linear(4, 4), mish]), linear(4, 1)]); x = randn([6, 3]); w = randn([6, 1])"),
  ("sequential with a function", "L = sequential([linear(3, 5), fn(h) { sigmoid(h) * h + 1 }, linear(5, 2)]); x = randn([6, 3]); w = randn([6, 2])"),
  ("residual with a function", "fn sq(h) { h * h / 4 }\nL = residual([linear(3, 3), sq]); x = randn([6, 3]); w = randn([6, 3])"),
  ("sequential with relu as a value", "L = sequential([linear(3, 5), leaky_relu, linear(5, 2)]); x = randn([6, 3]); w = randn([6, 2])"),
  // Layers for sentences: ids have no gradient (x is left out of the differences), and neither is plannable.
  ("embedding", "L = embedding(7, 3); x = tensor([[0, 6, 3, 3, 1], [2, 5, 4, 0, 6], [1, 1, 2, 6, 3], [5, 0, 4, 2, 2]]); w = randn([4, 5, 3])"),
  ("lstm in sequential", "L = sequential([lstm(3, 4, layers: 2), linear(4, 2)]); x = randn([2, 5, 3]); w = randn([2, 5, 2])"),
  ("embedding, lstm", "L = sequential([embedding(6, 3), lstm(3, 2)]); x = tensor([[0, 5, 3, 1], [2, 4, 4, 0]]); w = randn([2, 4, 2])"),
] + Activation.names.map { name in
  ("activation \(name)", "L = activation(\"\(name)\", slope: 0.3); x = randn([4, 5]); \(awayFromZero); w = randn([4, 5])")
}

/// The cases whose input is token ids (no gradient, and a step of h would make them fractional).
private func takesIds(_ kind: String) -> Bool { kind.hasPrefix("embedding") }

extension LangSuite {
  @Test(arguments: layerCases.map { $0.0 })
  func layerGradientsMatchFiniteDifferences(_ kind: String) throws {
    let setup = layerCases.first { $0.0 == kind }!.1
    guard let interp = layerScript("""
            seed(5)
            \(setup)
            G = if len(keys(params(L))) > 0 { grad(fn() { sum(L(x) * w) }, params(L)) } else { {} }
            Gx = grad(fn(v) { sum(L(v) * w) }, x)
            """),
          let handle = variableLayer(interp, "L"), let x0 = variableTensor(interp, "x"), let w = variableTensor(interp, "w")
    else { Issue.record("\(kind): no L, x or w"); return }
    let weights = handle.layer.namedParameters
    if !kind.hasPrefix("activation") && !kind.hasPrefix("reshape") { #expect(!weights.isEmpty, "\(kind) has weights") }
    if kind.hasPrefix("sequential with a function") || kind.hasPrefix("residual with a function") || kind.contains("lstm")
      || takesIds(kind) { #expect(!handle.isPlannable) }
    else { #expect(handle.isPlannable, "\(kind) is plannable") }

    // Autodiff through L(x), as the handle applies it.
    let x = x0.copy().requiringGrad()
    func output(_ input: Tensor) throws -> Tensor {
      guard case .tensor(let y)? = try handle.call([.tensor(input)], keywords: []) else { throw BuiltinError("no tensor") }
      return y
    }
    let y = try output(x)
    #expect(y.shape == w.shape, "\(kind): output \(y.shape)")
    let grads = try gradients(of: try (y * w).sum(), wrt: weights.map(\.1) + [x])

    // The same gradients through the language's params and grad.
    guard case .record(let g)? = interp[variable: "G"], let gx = variableTensor(interp, "Gx") else { Issue.record("no G"); return }
    #expect(g.keys == weights.map(\.0), "\(kind): grad names the weights as params does")
    for ((name, _), analytic) in zip(weights, grads) {
      guard case .tensor(let s)? = g[name] else { Issue.record("\(kind): no gradient for \(name)"); continue }
      #expect(zip(s.scalars, analytic.scalars).allSatisfy { abs($0 - $1) <= 1e-5 * (1 + abs($1)) }, "\(kind) \(name): grad(…, params(L))")
    }
    #expect(zip(gx.scalars, grads.last!.scalars).allSatisfy { abs($0 - $1) <= 1e-5 * (1 + abs($1)) }, "\(kind): grad(…, x)")

    // Central differences of the loss summed in Float64, a few entries of each tensor.
    func loss() throws -> Double {
      let out = try withoutGradients { try output(x) }
      return zip(out.scalars, w.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    var rng = RandomGenerator(seed: 7)
    let h: Float = 1e-2
    for ((name, p), analytic) in zip(weights + (takesIds(kind) ? [] : [("x", x)]), grads) {
      try expectCentralDifferences("\(kind) \(name)", p, analytic, samples: 5, h: h, absolute: 1e-3, relative: 1e-2, rng: &rng, loss: loss)
    }
  }

  /// An LSTM called with its initial states, as a script does: grad(…) with respect to every
  /// weight (params), x, h0 and c0 against central differences of Σ out·w₁ + Σ h·w₂ + Σ c·w₃, at
  /// 1 and 20 steps with 2 layers.
  @Test(arguments: [1, 20])
  func lstmStateGradientsMatchFiniteDifferences(_ steps: Int) throws {
    guard let interp = layerScript("""
            seed(4)
            L = lstm(3, 2, layers: 2); x = randn([2, \(steps), 3]); h0 = randn([2, 2, 2]); c0 = randn([2, 2, 2])
            w1 = randn([2, \(steps), 2]); w2 = randn([2, 2, 2]); w3 = randn([2, 2, 2])
            fn f(x, h0, c0) { r = L(x, h0: h0, c0: c0); sum(r.out * w1) + sum(r.h * w2) + sum(r.c * w3) }
            G = grad(fn() { f(x, h0, c0) }, params(L))
            Gx = grad(fn(v) { f(v, h0, c0) }, x); Gh = grad(fn(v) { f(x, v, c0) }, h0); Gc = grad(fn(v) { f(x, h0, v) }, c0)
            """),
          let lstm = variableLayer(interp, "L")?.layer as? LSTM, case .record(let g)? = interp[variable: "G"]
    else { Issue.record("no L or G"); return }
    let t = { (name: String) in variableTensor(interp, name)! }
    let (x, h0, c0, w1, w2, w3) = (t("x"), t("h0"), t("c0"), t("w1"), t("w2"), t("w3"))
    func loss() throws -> Double {
      let r = try withoutGradients { try lstm.run(x, h0: h0, c0: c0) }
      return [(r.output, w1), (r.h, w2), (r.c, w3)].reduce(0) { acc, pair in
        zip(pair.0.scalars, pair.1.scalars).reduce(acc) { $0 + Double($1.0) * Double($1.1) }
      }
    }
    var checked: [(String, Tensor, Tensor)] = [("x", x, t("Gx")), ("h0", h0, t("Gh")), ("c0", c0, t("Gc"))]
    for (name, p) in lstm.namedParameters {
      guard case .tensor(let a)? = g[name] else { Issue.record("no gradient for \(name)"); continue }
      checked.append((name, p, a))
    }
    #expect(checked.count == 11)
    var rng = RandomGenerator(seed: 8)
    for (name, p, analytic) in checked {
      try expectCentralDifferences("lstm T=\(steps) \(name)", p, analytic, samples: 6, h: 1e-2, absolute: 1e-3, relative: 1e-2,
                                   rng: &rng, loss: loss)
    }
  }

  /// A net of engine layers runs on InputGradientPlan (what Langevin chains use) with the
  /// outputs and input gradients autodiff gives; a net with a function item is not plannable.
  @Test func plannableNetsRunOnInputGradientPlan() throws {
    guard let interp = layerScript("""
      seed(2)
      A = sequential([linear(2, 16), relu, linear(16, 16), leaky_relu, residual([linear(16, 16), tanh]), linear(16, 1)])
      B = sequential([conv2d(1, 4, 3, stride: 2, padding: 1), activation("leaky_relu"), reshape_layer([-1]), linear(4 * 4 * 4, 3)])
      C = sequential([linear(3, 8), reshape_layer([2, 2, 2]), conv_transpose2d(2, 1, 4, stride: 2, padding: 1), gelu])
      D = sequential([linear(2, 4), fn(h) { h * 2 }])
      xa = randn([7, 2]); xb = randn([3, 1, 8, 8]); xc = randn([5, 3])
      """) else { return }
    #expect(variableLayer(interp, "D")?.isPlannable == false)
    for (net, input) in [("A", "xa"), ("B", "xb"), ("C", "xc")] {
      guard let handle = variableLayer(interp, net), let x0 = variableTensor(interp, input) else { Issue.record("no \(net)"); continue }
      #expect(handle.isPlannable, "\(net)")
      let x = x0.copy().requiringGrad()
      let y = try applyLayer(handle.layer, x, at: [])
      let dy = try Tensor.randn(y.shape)
      let dx = try gradients(of: try (y * dy).sum(), wrt: [x])[0]
      let plan = try InputGradientPlan([handle.layer], inputShape: x.shape)
      #expect(plan.outputShape == y.shape, "\(net)")
      let out = x0.withUnsafeMutableBufferPointer { xp in
        Array(UnsafeBufferPointer(start: plan.forward(UnsafePointer(xp.baseAddress!)), count: plan.outputCount))
      }
      #expect(zip(out, y.scalars).allSatisfy { abs($0 - $1) <= 1e-4 * (1 + abs($1)) }, "\(net): plan forward")
      var planned = [Float](repeating: 0, count: x.count)
      dy.withUnsafeMutableBufferPointer { dp in planned.withUnsafeMutableBufferPointer { plan.backward(UnsafePointer(dp.baseAddress!), into: $0.baseAddress!) } }
      #expect(zip(planned, dx.scalars).allSatisfy { abs($0 - $1) <= 1e-4 * (1 + abs($1)) }, "\(net): plan input gradient")
    }
  }

  /// Wrong shapes, bad items and bad sizes are script errors naming the layer; nothing traps.
  @Test func layerErrorsAreValues() {
    let cases: [(String, String)] = [
      // a wrong-shaped input to each kind
      ("linear(2, 3)(randn([4, 5]))", "Linear(2 → 3) got an input of shape [4, 5]: linear: shapes [4, 5] and [3, 2] do not match (input has 5 features, the layer takes 2)"),
      ("linear(2, 3)(2)", "Linear(2 → 3) got an input of shape []"),
      ("conv2d(1, 2, 3)(randn([2, 8, 8]))", "Conv2d(1 → 2, k3 s1 p0) got an input of shape [2, 8, 8]: conv2d: shapes [2, 8, 8] do not match (input must be [N, C, H, W])"),
      ("conv2d(1, 2, 3)(randn([2, 3, 8, 8]))", "input has 3 channels, weight expects 1"),
      ("conv2d(1, 2, 5)(randn([2, 1, 3, 3]))", "kernel larger than the padded input"),
      ("conv_transpose2d(2, 1, 3)(randn([2, 1, 4, 4]))", "ConvTranspose2d(2 → 1, k3 s1 p0) got an input of shape [2, 1, 4, 4]"),
      ("conv_transpose2d(2, 1, 3)(randn([2, 4]))", "input must be [N, C, H, W]"),
      ("reshape_layer([3, 3])(randn([2, 8]))", "Reshape([3, 3]) got an input of shape [2, 8]"),
      ("reshape_layer([3])(2)", "Reshape([3]) got an input of shape []: Reshape: input needs a batch axis"),
      ("sequential([linear(2, 8), tanh, linear(4, 1)])(randn([3, 2]))", "layer 2 (Linear(4 → 1)) got an input of shape [3, 8]"),
      ("sequential([linear(4, 4), residual([linear(4, 4), linear(3, 4)])])(randn([2, 4]))", "layer 1.block.1 (Linear(3 → 4)) got an input of shape [2, 4]"),
      ("residual([linear(4, 3)])(randn([2, 4]))", "Residual(Linear(4 → 3)): its block turns an input of shape [2, 4] into [2, 3]; y = x + f(x) needs f to keep its input's shape"),
      ("sequential([linear(2, 2), residual([reshape_layer([1, 2])])])(randn([5, 2]))", "layer 1 (Residual(Reshape([1, 2]))): its block turns an input of shape [5, 2] into [5, 1, 2]"),
      ("sequential([fn(h) { 1 }])(randn([2, 2]))", "layer 0 (the function fn(h) {…}) must return a tensor, got 1 (from an input of shape [2, 2])"),
      ("fn f(h) { h @ h }\nsequential([f])(randn([2, 3]))", "matmul: shapes [2, 3] and [2, 3] do not match"),
      ("linear(2, 3)(randn([1, 2]), randn([1, 2]))", "layer Linear(2 → 3): call it on one tensor, L(x), got 2 arguments"),
      ("activation(\"relu\")(\"a\")", "layer ReLU: call it on one tensor, L(x), got string \"a\""),
      ("conv_transpose2d(1, 16000, 1, stride: 1024)(randn([1, 1, 1000, 1000]))", "conv_transpose2d: would need"),
      ("conv2d(1, 2, 3, padding: 1024)(randn([1000, 1, 8, 8]))", "conv2d: would need"),
      // items that are not layers
      ("sequential([linear(2, 2), 3])", "sequential: item 1 is 3, not a layer, an activation (relu, tanh, …) or a function of one tensor"),
      ("residual([{a: 1}])", "residual: item 0 is record, not a layer"),
      ("sequential([\"tanh\"])", "item 0 is string \"tanh\", not a layer; for the activation, give activation(\"tanh\")"),
      ("sequential([linear])", "sequential: item 0 is the builtin linear, which makes a layer: call it, as in linear(…)"),
      ("sequential([fn(a, b) { a }])", "item 0 is a function of 2 parameters; a layer's function takes one tensor"),
      ("sequential([fn() { 1 }])", "item 0 is a function of 0 parameters"),
      ("sequential([generator(2, out: 3)])", "item 0 is generator, not a layer; to use a net inside another, wrap it in a function"),
      ("sequential([])", "sequential: 'layers' is empty"),
      ("sequential(linear(2, 2))", "sequential: 'layers' must be a list"),
      // bad sizes
      ("linear(2, 0)", "linear: 'out_features' must be a positive integer, got 0"),
      ("linear(100000, 100000)", "linear: would need 10000000000 elements"),
      ("conv2d(1, 2, [3, 5])", "conv2d: 'kernel_size' must be square: the engine's convolutions have k×k kernels, got [3, 5]"),
      ("conv2d(1, 2, 0)", "conv2d: 'kernel_size' must be a positive integer (or [k, k]), got 0"),
      ("conv2d(1, 2, 2.5)", "conv2d: 'kernel_size' must be a positive integer (or [k, k]), got 2.5"),
      ("conv2d(1, 2, 3, stride: 0)", "conv2d: 'stride' must be a positive integer"),
      ("conv2d(1, 2, 3, stride: 2000)", "conv2d: 'stride' must be at most 1024, got 2000"),
      ("conv_transpose2d(1, 2, 3, padding: 5000)", "conv_transpose2d: 'padding' must be at most 1024, got 5000"),
      ("conv_transpose2d(1, 2, 3, stride: 2, output_padding: 2)", "conv_transpose2d: 'output_padding' must be less than the stride (2), got 2"),
      ("conv2d(1000, 1000, 1000)", "conv2d: would need 1000000000000 elements"),
      ("activation(\"rleu\")", "activation: unknown activation \"rleu\" (did you mean 'relu'?); the activations are relu, leaky_relu"),
      ("activation(\"leaky_relu\", slope: 0 / 0)", "activation: 'slope' must be a finite number"),
      ("reshape_layer([2, -1, -1])", "reshape_layer: 'shape' must hold positive sizes and at most one −1, got [2, -1, -1]"),
      ("reshape_layer([0, 2])", "reshape_layer: 'shape' must hold positive sizes"),
      ("reshape_layer([2 ** 40, 2 ** 40])", "reshape_layer: would need more elements than can be counted"),
      // layers for sentences: ids, widths and states
      ("embedding(10, 4)(tensor([[1, 2], [3, 0.5]]))", "Embedding(10, 4) got an input of shape [2, 2]: embedding: id 0.5 at [1, 1] is not a whole number in [0, 10)"),
      ("embedding(10, 4)(tensor([1, 10]))", "embedding: id 10 at [1] is not a whole number in [0, 10)"),
      ("embedding(10, 4)(tensor([-1]))", "embedding: id -1 at [0] is not a whole number in [0, 10)"),
      ("embedding(10, 4)(tensor([0 / 0]))", "embedding: id nan at [0] is not a whole number"),
      ("embedding(2 ** 24 + 1, 1)", "embedding: 'vocab' is 16777217, more than 2^24 = 16777216: ids are Float32 values, exact only below 2^24"),
      ("embedding(2 ** 20, 2 ** 20)", "embedding: would need"),
      ("lstm(3, 4)(randn([2, 5, 6]))", "LSTM(3 → 4) got an input of shape [2, 5, 6]: lstm: shapes [2, 5, 6] do not match (the input must be [batch, steps, 3]: it has 6 features, the LSTM takes 3)"),
      ("lstm(3, 4)(randn([5, 3]))", "LSTM(3 → 4) got an input of shape [5, 3]: lstm: shapes [5, 3] do not match (the input must be [batch, steps, 3])"),
      ("lstm(3, 4)(randn([2, 0, 3]))", "lstm: the input has no steps (shape [2, 0, 3])"),
      ("lstm(3, 4)(randn([2, 5, 3]), randn([1, 3, 4]))", "lstm: shapes [1, 3, 4] and [1, 2, 4] do not match (h0 must be [layers, batch, hidden] = [1, 2, 4])"),
      ("lstm(3, 4, layers: 2)(randn([2, 5, 3]), c0: randn([1, 2, 4]))", "c0 must be [layers, batch, hidden] = [2, 2, 4]"),
      ("lstm(3, 4)(randn([2, 5, 3]), h1: randn([1, 2, 4]))", "layer LSTM(3 → 4): no keyword 'h1'; call it as L(x), L(x, h0, c0) or L(x, h0: h0, c0: c0)"),
      ("lstm(3, 4)(randn([2, 5, 3]), zeros([1, 2, 4]), h0: zeros([1, 2, 4]))", "layer LSTM(3 → 4): 'h0' is given twice"),
      ("lstm(3, 4)(\"a\")", "layer LSTM(3 → 4): 'x' must be a tensor, got string \"a\""),
      ("lstm(3, 4)()", "layer LSTM(3 → 4): call it as L(x), L(x, h0, c0) or L(x, h0: h0, c0: c0), got 0 positional arguments"),
      ("lstm(3, 4, layers: 0)", "lstm: 'layers' must be a positive integer"),
      ("lstm(100000, 100000)", "lstm: would need"),
      ("sequential([lstm(3, 4)])(randn([2, 5]))", "layer 0 (LSTM(3 → 4)) got an input of shape [2, 5]"),
      ("cross_entropy(randn([2, 3]), tensor([0, 3]))", "cross_entropy: id 3 at [1] is not a whole number in [0, 3)"),
      ("cross_entropy(randn([2, 3]), tensor([0, 1, 2]))", "cross_entropy: shapes [2, 3] and [3] do not match (the targets must have the logits' shape without its last axis (the classes))"),
      ("cross_entropy(randn([2, 3]), tensor([0, 1]), mask: tensor([1, 2]))", "cross_entropy: the mask holds 2 at [1]; it must hold 0 (padding) or 1 (counts)"),
      ("cross_entropy(randn([2, 3]), tensor([0, 1]), reduction: \"meen\")", "cross_entropy: unknown reduction \"meen\" (did you mean 'mean'?); the reductions are \"none\", \"rows\", \"sum\", \"mean\""),
    ]
    for (source, message) in cases {
      let interp = Interpreter(output: { _ in })
      interp.interruptFlag = InterruptFlag()
      guard case .failure(let e) = interp.run(source, file: "bad.lebm") else { Issue.record("\(source): no error"); continue }
      #expect(e.message.contains(message), "\(source): \(e.message)")
    }
  }

  /// A net with a function item holds its interpreter weakly: once the session is gone, calling
  /// it is an error, not a crash, and the net does not keep the session alive.
  @Test func functionLayersOutliveNoSession() throws {
    weak var weakInterp: Interpreter?
    var handle: LayerHandle?
    do {
      guard let interp = layerScript("L = sequential([linear(2, 2), fn(h) { h * 2 }])") else { return }
      weakInterp = interp
      handle = variableLayer(interp, "L")
      interp.reset()
    }
    #expect(weakInterp == nil, "the net keeps no session alive")
    guard let handle else { Issue.record("no L"); return }
    #expect(throws: BuiltinError.self) { try handle.layer(try Tensor.randn([1, 2])) }
  }
}
