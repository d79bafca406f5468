// Layers and nets a script composes (`linear(2, 64)`, `sequential([…])`): engine layers as
// values, callable on a batch, with their weights under PyTorch's names. A script function given
// as an item of a net is a ``ScriptLayer``, which calls back into the interpreter.
import Engine

/// A layer or a net in a script: an engine ``Layer``. `L(x)` applies it, differentiably (gradients
/// flow to x and to its weights, which are autodiff leaves optimizers update in place).
final class LayerHandle: TypedHandle, ParameterHolder {
  static let handleName = "layer"
  static let phrase = "a layer (linear(...), conv2d(...), sequential([...]), …)"
  /// The engine layer; its weights are the ones `params(L)` gives.
  let layer: Layer
  init(_ layer: Layer) { self.layer = layer }

  /// Whether every layer inside is an engine layer (no script function), so that
  /// `InputGradientPlan([layer], inputShape:)` can run it on fixed buffers.
  var isPlannable: Bool { layerIsPlannable(layer) }

  /// `weight`, `bias` for one layer; `0.weight`, … for a sequential; `block.0.weight`, … for a
  /// residual: the names PyTorch's state_dict gives the same modules.
  var namedParameters: [(String, Tensor)] { layer.namedParameters }

  var typeName: String { "layer" }
  var summary: String { "<layer \(layerLine(layer)), \(parameterPhrase(layer.parameterCount))>" }

  func field(_ name: String) -> Value? {
    switch name {
    case "kind": return .string(layerKind(layer))
    case "parameters": return .number(Double(layer.parameterCount))
    case "plannable": return .bool(isPlannable)
    case "layers": return innerLayers(layer).map { .list($0.map { .opaque(LayerHandle($0)) }) }
    default: return nil
    }
  }
  var fieldNames: [String] { ["kind", "parameters", "plannable"] + (innerLayers(layer) == nil ? [] : ["layers"]) }

  /// `L(x)`: the layer applied to the batch x. An LSTM also takes its initial states and gives
  /// `{out, h, c}` (see ``callLSTM(_:_:keywords:)``).
  func call(_ positional: [Value], keywords: [(String, Value)]) throws -> Value? {
    if let lstm = layer as? LSTM { return try callLSTM(lstm, positional, keywords: keywords) }
    guard positional.count == 1, keywords.isEmpty, let v = conform(positional[0], to: .tensor), case .tensor(let x) = v else {
      let got = positional.count == 1 && keywords.isEmpty ? shown(positional[0]) : "\(positional.count + keywords.count) arguments"
      throw BuiltinError("layer \(layerLine(layer)): call it on one tensor, L(x), got \(got)")
    }
    return .tensor(try applyLayer(layer, x, at: []))
  }
}

extension LayerHandle {
  /// `L(x)`, `L(x, h0, c0)` or `L(x, h0: …, c0: …)` on an LSTM: `{out, h, c}`, PyTorch's
  /// `output, (h_n, c_n)`. A state left out (or `none`) is zeros.
  func callLSTM(_ lstm: LSTM, _ positional: [Value], keywords: [(String, Value)]) throws -> Value {
    let usage = "call it as L(x), L(x, h0, c0) or L(x, h0: h0, c0: c0)"
    guard (1...3).contains(positional.count) else {
      throw BuiltinError("layer \(layerLine(lstm)): \(usage), got \(positional.count) positional arguments")
    }
    var slots: [String: Value] = ["x": positional[0]]
    for (name, v) in zip(["h0", "c0"], positional.dropFirst()) { slots[name] = v }
    for (name, v) in keywords {
      guard name == "h0" || name == "c0" else { throw BuiltinError("layer \(layerLine(lstm)): no keyword '\(name)'; \(usage)") }
      guard slots[name] == nil else { throw BuiltinError("layer \(layerLine(lstm)): '\(name)' is given twice") }
      slots[name] = v
    }
    func tensor(_ name: String) throws -> Tensor? {
      guard let v = slots[name] else { return nil }
      if case .none = v, name != "x" { return nil }
      guard let t = conform(v, to: .tensor), case .tensor(let x) = t else {
        throw BuiltinError("layer \(layerLine(lstm)): '\(name)' must be a tensor, got \(shown(v)); \(usage)")
      }
      return x
    }
    let x = try tensor("x")!
    do {
      let r = try lstm.run(x, h0: try tensor("h0"), c0: try tensor("c0"))
      return .record(Record([("out", .tensor(r.output)), ("h", .tensor(r.h)), ("c", .tensor(r.c))]))
    } catch let e as TensorError {
      throw BuiltinError("\(layerLine(lstm)) got an input of shape \(formatShape(x.shape)): \(e)")
    }
  }
}

/// A script function of one tensor as a layer of a net (`sequential([linear(2, 8), fn(h) { h * h }])`).
/// It has no weights of its own (the layers it calls keep theirs) and cannot be planned: it runs
/// through the interpreter, on the autodiff path.
final class ScriptLayer: Layer {
  let function: Value
  /// How errors and summaries name it: `double`, `exp`, `fn(h) {…}` for an anonymous function.
  let name: String
  /// Held weakly: the interpreter holds the net (in a variable), not the other way round.
  private weak var interpreter: Interpreter?

  init(_ function: Value, name: String, interpreter: Interpreter) {
    self.function = function
    self.name = name
    self.interpreter = interpreter
  }

  func callAsFunction(_ x: Tensor) throws -> Tensor { try apply(x, at: "the function \(name)") }

  /// f(x), which must be a tensor; `place` names the layer in errors.
  func apply(_ x: Tensor, at place: String) throws -> Tensor {
    guard let interpreter else { throw BuiltinError("\(place): the session it was made in has ended") }
    let out = try interpreter.call(function, [.tensor(x)])
    guard case .tensor(let y) = out else {
      throw BuiltinError("\(place) must return a tensor, got \(shown(out)) (from an input of shape \(formatShape(x.shape)))")
    }
    return y
  }

  var namedParameters: [(String, Tensor)] { [] }
  var description: String { name }
}

// MARK: - Applying a layer

/// `layer(x)`, computed as the engine computes it, with an error that names the layer whose
/// input does not fit (its place in the net as in the weights' names, `2` or `1.block.0`) and the
/// shape it got. Sequential and Residual are walked here, so the failing layer inside is found.
func applyLayer(_ layer: Layer, _ x: Tensor, at path: [String]) throws -> Tensor {
  func place() -> String { path.isEmpty ? layerLine(layer) : "layer \(path.joined(separator: ".")) (\(layerLine(layer)))" }
  switch layer {
  case let s as Sequential:
    var h = x
    for (i, l) in s.layers.enumerated() { h = try applyLayer(l, h, at: path + ["\(i)"]) }
    return h
  case let r as Residual:
    // Residual.callAsFunction: y = x + f(x), f keeping the shape.
    let fx = try applyLayer(r.block, x, at: path + ["block"])
    guard fx.shape == x.shape else {
      throw BuiltinError("\(place()): its block turns an input of shape \(formatShape(x.shape)) into \(formatShape(fx.shape)); "
        + "y = x + f(x) needs f to keep its input's shape")
    }
    return try x + fx
  case let s as ScriptLayer:
    return try s.apply(x, at: path.isEmpty ? "the function \(s.name)" : "layer \(path.joined(separator: ".")) (the function \(s.name))")
  default:
    do {
      try checkOutputSize(layer, x)
      return try layer(x)
    } catch let e as TensorError {
      throw BuiltinError("\(place()) got an input of shape \(formatShape(x.shape)): \(e)")
    }
  }
}

/// A convolution's output checked against the memory limit before the engine computes it (the
/// engine multiplies its sizes before it allocates); other layers need no check.
private func checkOutputSize(_ layer: Layer, _ x: Tensor) throws {
  guard x.rank == 4 else { return }
  let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
  if let c = layer as? Conv2d {
    let k = c.weight.shape[2], (s, p) = (c.stride, c.padding)
    guard h + 2 * p >= k, w + 2 * p >= k else { return }
    _ = try MemoryLimit.count(of: [n, c.weight.shape[0], (h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1], op: "conv2d")
  } else if let c = layer as? ConvTranspose2d {
    let k = c.weight.shape[2], (s, p, op) = (c.stride, c.padding, c.outputPadding)
    let oh = (h - 1) * s - 2 * p + k + op, ow = (w - 1) * s - 2 * p + k + op
    guard oh > 0, ow > 0 else { return }
    _ = try MemoryLimit.count(of: [n, c.weight.shape[1], oh, ow], op: "conv_transpose2d")
  }
}

// MARK: - Describing layers

/// Whether every layer inside is one the engine can plan.
func layerIsPlannable(_ layer: Layer) -> Bool {
  switch layer {
  case let s as Sequential: return s.layers.allSatisfy(layerIsPlannable)
  case let r as Residual: return r.block.layers.allSatisfy(layerIsPlannable)
  case is Linear, is Conv2d, is ConvTranspose2d, is ActivationLayer, is Reshape: return true
  default: return false
  }
}

/// The layers of a sequential, or of a residual's block; nil for other layers.
func innerLayers(_ layer: Layer) -> [Layer]? {
  switch layer {
  case let s as Sequential: return s.layers
  case let r as Residual: return r.block.layers
  default: return nil
  }
}

/// What `L.kind` says: the builtin that makes such a layer.
func layerKind(_ layer: Layer) -> String {
  switch layer {
  case is Linear: return "linear"
  case is Conv2d: return "conv2d"
  case is ConvTranspose2d: return "conv_transpose2d"
  case is ActivationLayer: return "activation"
  case is Reshape: return "reshape"
  case is Embedding: return "embedding"
  case is LSTM: return "lstm"
  case is Sequential: return "sequential"
  case is Residual: return "residual"
  case is ScriptLayer: return "function"
  default: return "layer"
  }
}

/// A layer on one line: `Linear(2 → 64)`, `Sequential(Linear(2 → 64) → ReLU → Linear(64 → 1))`.
/// A long net shows its first layers and how many there are.
func layerLine(_ layer: Layer) -> String {
  func chain(_ ls: [Layer]) -> String {
    let shown = ls.count > 6 ? ls.prefix(5).map(layerLine) + ["… (\(ls.count) layers)"] : ls.map(layerLine)
    return shown.joined(separator: " → ")
  }
  switch layer {
  case let s as Sequential: return "Sequential(\(chain(s.layers)))"
  case let r as Residual: return "Residual(\(chain(r.block.layers)))"
  default: return layer.description
  }
}

/// "192 parameters", "1 parameter", "no parameters".
func parameterPhrase(_ n: Int) -> String {
  n == 0 ? "no parameters" : "\(grouped(n)) parameter\(n == 1 ? "" : "s")"
}
