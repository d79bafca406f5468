// Layers and nets as script values: the engine's layers (Linear, Conv2d, ConvTranspose2d,
// activations, Reshape, Embedding, LSTM) made by name, composed with sequential and residual. The handles are in
// Handles+Layers.swift; a net of engine layers only stays plannable (Langevin chains can run it on
// InputGradientPlan's fixed buffers).
import Engine
import LatentEBM
import Support

extension BuiltinGroup {
  /// Layers and the nets composed of them.
  public static var layers: BuiltinGroup {
    BuiltinGroup(name: "layers", summary: "layers and nets a script composes: linear, conv2d, activations, embedding, lstm, sequential, residual",
                 builtins: LayerRows.layers + LayerRows.composition)
  }
}

enum LayerRows {
  /// The largest stride or padding a convolution takes (the engine multiplies sizes by them).
  static let maximumConvStep = 1024

  static let layers: [Builtin] = [
    Builtin("linear", params: [Param("in_features", .positiveInt), Param("out_features", .positiveInt), Param("bias", .bool, default: .bool(true))],
            doc: """
              A fully connected layer, as PyTorch's nn.Linear: y = x·Wᵀ + b, W of shape [out, in], b of shape [out].
              x is [..., in] (leading axes are the batch). W and b are drawn from U(−1/√in, 1/√in), PyTorch's default.
              Weights: weight, bias (bias: false leaves b out).
              """, impl: linear),
    Builtin("conv2d", params: convParams,
            doc: """
              A 2-D convolution layer on [N, C, H, W] batches, as PyTorch's nn.Conv2d. A cross-correlation:
                y[n, o, i, j] = b[o] + Σ_{c,u,v} W[o, c, u, v] · x[n, c, i·s − p + u, j·s − p + v],
              giving [N, out, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1]. W is [out, in, k, k], b is [out], both from
              U(−1/√(in·k²), 1/√(in·k²)) (PyTorch's default). What the engine's Conv2d supports: square kernels
              (kernel_size k, or [k, k]), one stride s and one zero padding p for both axes (at most 1024), no dilation
              or groups. Weights: weight, bias.
              """, impl: conv2d),
    Builtin("conv_transpose2d", params: convParams + [Param("output_padding", .nonNegativeInt, default: .number(0))],
            doc: """
              A 2-D transposed convolution layer, as PyTorch's nn.ConvTranspose2d (the adjoint of conv2d). Each
              x[n, c, i, j] adds x[n, c, i, j] · W[c, o, u, v] to y[n, o, i·s − p + u, j·s − p + v], then b[o] is added,
              giving [N, out, (H − 1)·s − 2p + k + output_padding, …]. W is [in, out, k, k] (PyTorch's layout), b is [out], from
              PyTorch's default. As for conv2d: square kernels, one stride and padding for both axes (at most 1024), no
              dilation or groups; output_padding in 0..<stride. Weights: weight, bias.
              """, impl: convTranspose2d),
    Builtin("activation", params: [Param("name", .string), Param("slope", .number, default: .number(0.2))],
            doc: """
              An activation function as a layer, applied element-wise. By name:
                relu max(x, 0); leaky_relu x for x > 0, else slope·x; gelu x·Φ(x); silu (swish) x·σ(x);
                mish x·tanh(softplus(x)); tanh; sigmoid σ(x) = 1/(1 + e⁻ˣ); softplus log(1 + eˣ); identity x.
              slope is leaky_relu's (0.2, as the reference nets). No weights. In sequential([...]) the element-wise
              builtins given as values (relu, tanh, leaky_relu, …) are the same layers (leaky_relu with its own slope 0.01).
              """, impl: activation),
    Builtin("reshape_layer", params: [Param("shape", .intList)],
            doc: """
              A layer that reshapes each example, keeping the batch axis: [N, …] → [N] + shape, as nn.Unflatten(1, shape).
              One size may be −1, taking what the others leave: reshape_layer([-1]) is nn.Flatten(). No weights.
              """, impl: reshapeLayer),
    Builtin("embedding", params: [Param("vocab", .positiveInt), Param("dim", .positiveInt)],
            doc: """
              A table of learned vectors, one per token id, as PyTorch's nn.Embedding: y[…, :] = W[x[…], :].
              x holds token ids of any shape ([B, T] for sentences): whole numbers in [0, vocab), else an error
              naming the first bad id and its position; y is x's shape + [dim]. W is [vocab, dim], drawn from
              N(0, 1) as PyTorch does; vocab is at most 2^24 (ids are Float32 values, exact below 2^24).
              The gradient to W adds up the rows each id was looked up for; ids get none. Weights: weight.
              """, impl: embedding),
    Builtin("lstm", params: [Param("input", .positiveInt), Param("hidden", .positiveInt), Param("layers", .positiveInt, default: .number(1))],
            doc: """
              A long short-term memory network over batch-first sequences, as PyTorch's
              nn.LSTM(input, hidden, num_layers: layers, batch_first: True). At each step t of x ([B, T, input]),
              each layer computes, gates in PyTorch's order i, f, g, o (σ the sigmoid),
                i = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi),  f = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf),
                g = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg), o = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho),
                c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t),
              and layer k + 1 reads layer k's h_1 … h_T. r = L(x) or L(x, h0, c0) (or L(x, h0: h0, c0: c0); each state
              [layers, B, hidden], zeros when left out) gives {out, h, c}: out the last layer's h_t at every step
              [B, T, hidden], h and c each layer's final state [layers, B, hidden] (PyTorch's output, (h_n, c_n)); so
              L(x2, r.h, r.c) goes on from where r stopped. As an item of sequential([...]) it passes on out.
              Weights, under PyTorch's names, for each layer k: weight_ih_l{k} [4·hidden, in] (in = input for k = 0,
              hidden after), weight_hh_l{k} [4·hidden, hidden], bias_ih_l{k}, bias_hh_l{k} [4·hidden], all from
              U(−1/√hidden, 1/√hidden) as PyTorch draws them. Gradients flow to x, h0, c0 and every weight
              (backpropagation through time, one fused step per layer).
              """, impl: lstm),
  ]

  static let composition: [Builtin] = [
    Builtin("sequential", params: [Param("layers", .list)],
            doc: """
              A net of layers applied in order, as PyTorch's nn.Sequential: y = f_n(… f₂(f₁(x))).
              Items: layers (linear(...), conv2d(...), another sequential, …), the element-wise builtins as values (relu,
              tanh, leaky_relu, …: activation layers), or any function of one tensor (fn(h) { h * 2 }), called through
              the script. Weights are named as PyTorch names them: 0.weight, 0.bias, 2.weight, …
              A net of layers and activations only is plannable (L.plannable: Langevin chains can run it on fixed
              buffers); one with a function item runs on the autodiff path, and the weights of the nets a function calls
              are not among the net's (give those as layers).
              Example: E = sequential([linear(2, 64), relu, linear(64, 1)]).
              """, impl: sequential),
    Builtin("residual", params: [Param("layers", .list)],
            doc: """
              A residual block y = x + f(x), f = sequential(layers) (He et al., 2016); f must keep its input's shape.
              Items as for sequential. Weights named block.0.weight, block.0.bias, …, as PyTorch names a module
              whose f is the attribute `block`.
              """, impl: residual),
  ]

  // MARK: - Parameters shared by rows

  static let convParams = [
    Param("in_channels", .positiveInt), Param("out_channels", .positiveInt), Param("kernel_size"),
    Param("stride", .positiveInt, default: .number(1)), Param("padding", .nonNegativeInt, default: .number(0)),
    Param("bias", .bool, default: .bool(true)),
  ]

  /// The element-wise builtins that are activations when given as items of a net.
  static let activationBuiltins: Set<String> = ["relu", "leaky_relu", "gelu", "silu", "mish", "tanh", "sigmoid", "softplus"]

  // MARK: - Layers

  static func linear(_ a: Args) throws -> Value {
    let (i, o) = (try a.int("in_features"), try a.int("out_features"))
    _ = try MemoryLimit.count(of: [o, i], op: "linear")
    return .opaque(LayerHandle(try Linear(i, o, bias: try a.bool("bias"), using: &a.interpreter.rng)))
  }

  static func conv2d(_ a: Args) throws -> Value {
    let (k, s, p) = try convGeometry(a)
    _ = try MemoryLimit.count(of: [try a.int("out_channels"), try a.int("in_channels"), k, k], op: "conv2d")
    return .opaque(LayerHandle(try Conv2d(try a.int("in_channels"), try a.int("out_channels"), kernelSize: k, stride: s, padding: p,
                                          bias: try a.bool("bias"), using: &a.interpreter.rng)))
  }

  static func convTranspose2d(_ a: Args) throws -> Value {
    let (k, s, p) = try convGeometry(a)
    let op = try a.int("output_padding")
    guard op < s else { throw a.fail("'output_padding' must be less than the stride (\(s)), got \(op)") }
    _ = try MemoryLimit.count(of: [try a.int("in_channels"), try a.int("out_channels"), k, k], op: "conv_transpose2d")
    return .opaque(LayerHandle(try ConvTranspose2d(try a.int("in_channels"), try a.int("out_channels"), kernelSize: k, stride: s, padding: p,
                                                   outputPadding: op, bias: try a.bool("bias"), using: &a.interpreter.rng)))
  }

  /// kernel_size, stride and padding, checked: one size for both axes, stride and padding at most 1024.
  static func convGeometry(_ a: Args) throws -> (kernel: Int, stride: Int, padding: Int) {
    let k: Int
    switch a["kernel_size"] {
    case .number(let x) where exactInt(x).map({ $0 >= 1 }) == true: k = exactInt(x)!
    case .list(let l) where l.count == 2:
      guard case .number(let x) = l[0], case .number(let y) = l[1], let i = exactInt(x), let j = exactInt(y), i >= 1, j >= 1 else {
        throw a.fail("'kernel_size' must be a positive integer, got \(shown(a["kernel_size"]))")
      }
      guard i == j else {
        throw a.fail("'kernel_size' must be square: the engine's convolutions have k×k kernels, got [\(i), \(j)]")
      }
      k = i
    default:
      throw a.fail("'kernel_size' must be a positive integer (or [k, k]), got \(shown(a["kernel_size"]))")
    }
    let s = try a.int("stride"), p = try a.int("padding")
    for (name, v) in [("stride", s), ("padding", p)] where v > maximumConvStep {
      throw a.fail("'\(name)' must be at most \(maximumConvStep), got \(v)")
    }
    return (k, s, p)
  }

  static func activation(_ a: Args) throws -> Value {
    let name = try a.string("name"), slope = try a.number("slope")
    if let problem = slopeProblem(slope) { throw a.fail("'slope' must be \(problem), got \(slope)") }
    guard let act = Activation(name: name, slope: Float(slope)) else {
      let hint = suggestion(for: name.lowercased(), among: Activation.names).map { " (did you mean '\($0)'?)" } ?? ""
      throw a.fail("unknown activation \(quote(name))\(hint); the activations are \(Activation.names.joined(separator: ", "))")
    }
    return .opaque(LayerHandle(ActivationLayer(act)))
  }

  static func reshapeLayer(_ a: Args) throws -> Value {
    let shape = try a.ints("shape") ?? []
    guard shape.allSatisfy({ $0 >= 1 || $0 == -1 }), shape.filter({ $0 == -1 }).count <= 1 else {
      throw a.fail("'shape' must hold positive sizes and at most one −1, got \(formatShape(shape))")
    }
    _ = try MemoryLimit.count(of: shape.filter { $0 != -1 }, op: "reshape_layer")
    return .opaque(LayerHandle(Reshape(shape)))
  }

  static func embedding(_ a: Args) throws -> Value {
    let (v, d) = (try a.int("vocab"), try a.int("dim"))
    guard v <= Embedding.maxVocabulary else {
      throw a.fail("'vocab' is \(v), more than 2^24 = \(Embedding.maxVocabulary): ids are Float32 values, exact only below 2^24")
    }
    _ = try MemoryLimit.count(of: [v, d], op: "embedding")
    return .opaque(LayerHandle(try Embedding(v, d, using: &a.interpreter.rng)))
  }

  static func lstm(_ a: Args) throws -> Value {
    let (i, h, l) = (try a.int("input"), try a.int("hidden"), try a.int("layers"))
    for shape in [[4, h, Swift.max(i, h)], [l, 4, h, h]] { _ = try MemoryLimit.count(of: shape, op: "lstm") }
    return .opaque(LayerHandle(try LSTM(i, h, layers: l, using: &a.interpreter.rng)))
  }

  // MARK: - Nets

  static func sequential(_ a: Args) throws -> Value { .opaque(LayerHandle(Sequential(try items(a)))) }

  static func residual(_ a: Args) throws -> Value { .opaque(LayerHandle(Residual(try items(a)))) }

  /// The items of a net as layers, at least one.
  static func items(_ a: Args) throws -> [Layer] {
    let values = try a.list("layers")
    guard !values.isEmpty else { throw a.fail("'layers' is empty: give at least one layer, activation or function") }
    return try values.enumerated().map { try layer($0.element, item: $0.offset, a) }
  }

  /// One item of a net: a layer, an activation builtin, or a function of one tensor.
  static func layer(_ v: Value, item i: Int, _ a: Args) throws -> Layer {
    switch v {
    case .opaque(let o as LayerHandle): return o.layer
    case .builtin(let b):
      if b.group == "tensor", activationBuiltins.contains(b.name), let act = Activation(name: b.name, slope: builtinSlope(b)) {
        return ActivationLayer(act)
      }
      if b.group == "layers" {
        throw a.fail("item \(i) is the builtin \(b.name), which makes a layer: call it, as in \(b.name)(…)")
      }
      return ScriptLayer(v, name: b.name, interpreter: a.interpreter)
    case .function(let c):
      let required = c.decl.params.filter { $0.defaultValue == nil }.count
      guard !c.decl.params.isEmpty, required <= 1 else {
        throw a.fail("item \(i) is a function of \(c.decl.params.count) parameters; a layer's function takes one tensor: fn(x) { … }")
      }
      return ScriptLayer(v, name: c.decl.name ?? "fn(\(c.decl.params[0].name)) {…}", interpreter: a.interpreter)
    case .opaque(let o) where o is EnergyNetHandle || o is GeneratorHandle:
      throw a.fail("item \(i) is \(shown(v)), not a layer; to use a net inside another, wrap it in a function: fn(z) { G(z) }")
    case .string(let name) where Activation(name: name) != nil:
      throw a.fail("item \(i) is \(shown(v)), not a layer; for the activation, give activation(\(quote(name)))")
    default:
      throw a.fail("item \(i) is \(shown(v)), not a layer, an activation (relu, tanh, …) or a function of one tensor")
    }
  }

  /// The default slope of an element-wise builtin (leaky_relu's 0.01), so the layer computes
  /// what calling the builtin computes.
  static func builtinSlope(_ b: Builtin) -> Float {
    if case .number(let s)? = b.params.first(where: { $0.name == "slope" })?.defaultValue { return Float(s) }
    return 0.2
  }
}
