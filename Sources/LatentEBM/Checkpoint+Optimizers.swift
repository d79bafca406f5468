// Optimizers a script made over a model's weights, kept in the model's checkpoint.
import Engine
import Support

/// An optimizer a script made over some of a model's weights, under the name the script gave it
/// (`save(m, path, optimizers: {e: opt_e})`). A checkpoint stores its settings, step count and
/// state tensors under the model's names for the weights (`optimizers.e.exp_avg.energy.0.weight`),
/// and loading rebuilds it over the loaded model's weights.
public struct NamedOptimizer {
  public let key: String
  public let optimizer: Optimizer
  public init(key: String, optimizer: Optimizer) { self.key = key; self.optimizer = optimizer }
}

extension Checkpoint {
  /// The state tensors and the `optimizers` record of each optimizer; an optimizer over a weight
  /// that is not the model's is an error.
  static func optimizerState(_ optimizers: [NamedOptimizer], of model: LatentEBM) throws -> ([(String, Tensor)], JSONValue) {
    let named = try weights(of: model)
    var tensors: [(String, Tensor)] = [], records: [String: JSONValue] = [:]
    for o in optimizers {
      let names = try o.optimizer.parameters.map { p -> String in
        guard let n = named.first(where: { $0.1.sharesStorage(with: p) })?.0 else {
          throw LatentEBMError.invalidArgument("optimizer '\(o.key)' trains a weight that is not this model's (optimizers are saved with the model whose weights they train)")
        }
        return n
      }
      var r: [String: JSONValue] = ["params": .array(names.map { .string($0) }), "lr": JSONValue(o.optimizer.learningRate)]
      func add(_ state: String, _ ts: [Tensor]) { for (n, t) in zip(names, ts) { tensors.append(("optimizers.\(o.key).\(state).\(n)", t)) } }
      switch o.optimizer {
      case let a as Adam:
        r.merge(["kind": "adam", "beta1": JSONValue(a.beta1), "beta2": JSONValue(a.beta2), "eps": JSONValue(a.epsilon),
                 "weight_decay": JSONValue(a.weightDecay), "step": JSONValue(a.stepCount)]) { _, b in b }
        add("exp_avg", a.firstMoments); add("exp_avg_sq", a.secondMoments)
      case let s as SGD:
        r.merge(["kind": "sgd", "momentum": JSONValue(s.momentum), "dampening": JSONValue(s.dampening),
                 "weight_decay": JSONValue(s.weightDecay), "nesterov": .bool(s.nesterov), "step": JSONValue(s.stepCount)]) { _, b in b }
        add("momentum_buffer", s.buffers)
      default:
        throw LatentEBMError.invalidArgument("optimizer '\(o.key)' is of a kind checkpoints do not keep")
      }
      records[o.key] = .object(r)
    }
    return (tensors, .object(records))
  }

  /// The optimizers of a checkpoint's `optimizers` record, rebuilt over `model`'s weights and
  /// restored; every name, shape and number is checked first.
  static func restoredOptimizers(_ text: String?, _ tensors: [String: Tensor], of model: LatentEBM, path: String) throws -> [NamedOptimizer] {
    guard let text else { return [] }
    guard case let .object(all)? = try metadataRecord(text, "optimizers", path) else {
      throw LatentEBMError.checkpoint(path: path, problem: "corrupt optimizers record")
    }
    let weights = Dictionary(try self.weights(of: model), uniquingKeysWith: { a, _ in a })
    return try all.keys.sorted().map { key in
      do {
        guard case let .object(r)? = all[key] else { throw LatentEBMError.invalidArgument("its record is not an object") }
        return NamedOptimizer(key: key, optimizer: try optimizer(key, r, weights, tensors))
      } catch let e as LatentEBMError {
        throw LatentEBMError.checkpoint(path: path, problem: "optimizer '\(key)': \(e)")
      } catch let e as TensorError {
        throw LatentEBMError.checkpoint(path: path, problem: "optimizer '\(key)': \(e)")
      }
    }
  }

  private static func optimizer(_ key: String, _ r: [String: JSONValue], _ weights: [String: Tensor], _ tensors: [String: Tensor]) throws -> Optimizer {
    guard let names = r["params"]?.array?.compactMap(\.string), names.count == r["params"]?.array?.count else {
      throw LatentEBMError.invalidArgument("'params' must list the weights' names")
    }
    let params = try names.map { n -> Tensor in
      guard let p = weights[n] else { throw LatentEBMError.invalidArgument("it trains '\(n)', which the model does not have") }
      return p
    }
    func state(_ s: String, nonNegative: Bool = false) throws -> [Tensor] {
      try zip(names, params).map { n, p in
        let name = "optimizers.\(key).\(s).\(n)"
        guard let t = tensors[name] else { throw LatentEBMError.invalidArgument("missing tensor '\(name)'") }
        guard t.shape == p.shape else { throw LatentEBMError.invalidArgument("tensor '\(name)' has shape \(formatShape(t.shape)), its weight \(formatShape(p.shape))") }
        guard t.isFinite, !nonNegative || t.withUnsafeBufferPointer({ $0.allSatisfy { $0 >= 0 } }) else {
          throw LatentEBMError.invalidArgument("tensor '\(name)' holds \(nonNegative ? "negative or " : "")non-finite values")
        }
        return t
      }
    }
    func number(_ k: String) throws -> Float {
      guard let v = r[k]?.double, v.isFinite else { throw LatentEBMError.invalidArgument("'\(k)' must be a finite number") }
      return Float(v)
    }
    guard let step = r["step"]?.int, (0...maximumSteps).contains(step) else {
      throw LatentEBMError.invalidArgument("'step' must be a whole number up to \(maximumSteps)")
    }
    switch r["kind"]?.string {
    case "adam":
      try r.refuseUnknownKeys(["kind", "params", "lr", "beta1", "beta2", "eps", "weight_decay", "step"], in: "optimizer")
      let a = try Adam(params, learningRate: number("lr"), beta1: number("beta1"), beta2: number("beta2"), epsilon: number("eps"),
                       weightDecay: number("weight_decay"))
      try a.restore(firstMoments: state("exp_avg"), secondMoments: state("exp_avg_sq", nonNegative: true), stepCount: step)
      return a
    case "sgd":
      try r.refuseUnknownKeys(["kind", "params", "lr", "momentum", "dampening", "weight_decay", "nesterov", "step"], in: "optimizer")
      let s = try SGD(params, learningRate: number("lr"), momentum: number("momentum"), dampening: number("dampening"),
                      weightDecay: number("weight_decay"), nesterov: r["nesterov"]?.bool ?? false)
      try s.restore(buffers: state("momentum_buffer"), stepCount: step)
      return s
    default:
      throw LatentEBMError.invalidArgument("unknown optimizer kind \(r["kind"]?.shown ?? "(none)")")
    }
  }
}
