// Optimizers and random streams as script values.
import Engine
import LatentEBM

/// `adam(params(E), lr: …)` or `sgd(…)` in a script: an engine optimizer over live weights, and
/// the names those weights had in the record it was made from (`step` matches gradients by them).
final class OptimizerHandle: TypedHandle {
  static let handleName = "optimizer"
  static let phrase = "an optimizer made by adam(...) or sgd(...)"
  let optimizer: Optimizer
  let names: [String]
  init(_ optimizer: Optimizer, names: [String]) { self.optimizer = optimizer; self.names = names }

  var kind: String { optimizer is Adam ? "adam" : "sgd" }
  var steps: Int { (optimizer as? Adam)?.stepCount ?? (optimizer as? SGD)?.stepCount ?? 0 }
  var typeName: String { "optimizer" }
  var summary: String {
    "<optimizer \(kind), lr \(formatScalar(optimizer.learningRate)), \(names.count) tensors, \(steps) steps>"
  }
  func field(_ name: String) -> Value? {
    switch name {
    case "kind": return .string(kind)
    case "lr": return num(optimizer.learningRate)
    case "steps": return .number(Double(steps))
    case "params": return .list(names.map { .string($0) })
    default: return nil
    }
  }
  var fieldNames: [String] { ["kind", "lr", "steps", "params"] }
}

/// `random_stream(seed)` or `fork()` in a script: a random generator of its own, for code that
/// must draw the numbers the built-in iteration draws (it gives each iteration's chains streams
/// forked so from its own).
final class RandomStreamHandle: TypedHandle {
  static let handleName = "random_stream"
  static let phrase = "a random stream made by random_stream(seed) or fork()"
  var generator: RandomGenerator
  init(_ g: RandomGenerator) { generator = g }
  var typeName: String { "random_stream" }
  var summary: String { "<random_stream>" }
}

extension Args {
  /// Runs `body` on the generator the `rng` keyword names, else the script's own (`seed(n)`).
  func withRNG<R>(_ body: (inout RandomGenerator) throws -> R) rethrows -> R {
    if case .opaque(let o) = self["rng"], let s = o as? RandomStreamHandle { return try body(&s.generator) }
    return try body(&interpreter.rng)
  }
}

/// The `rng:` keyword of the builtins that draw random numbers.
let rngParam = Param("rng", .optional(.handle(RandomStreamHandle.self)), default: .none)
