// Weights from a plain PyTorch state_dict saved with safetensors, matched by name and shape.
import Engine

/// Loading a PyTorch `state_dict` (written with `safetensors.torch.save_file`) into lebm's
/// networks. Nothing is guessed: a file tensor `prefix + name` fills the parameter `name`
/// (lebm's names, as ``Checkpoint`` writes them), and the load succeeds only when every
/// parameter is found with its exact shape and finite values and every file tensor under the
/// prefix is used. Otherwise the error lists every missing, unexpected and mismatched name, and
/// no parameter has changed.
public enum StateDict {
  /// The parameters a model's checkpoint names: `energy.0.weight`, …, `generator.1.weight`, ….
  public static func parameters(of model: LatentEBM) throws -> [(String, Tensor)] { try Checkpoint.weights(of: model) }

  /// Copies the tensors of the safetensors file at `path` into `parameters` and returns how many
  /// were copied.
  ///
  /// - Parameters:
  ///   - parameters: the target's parameters by name (`0.weight`, or `energy.0.weight` for a model).
  ///   - prefix: what the file puts before each name (`"ebm."`, `"generator."`); with a prefix,
  ///     file tensors whose names do not start with it are not read.
  /// F16, BF16 and F64 tensors are converted to Float32 (``Safetensors/DType``).
  public static func load(_ path: String, into parameters: [(String, Tensor)], prefix: String = "") throws -> Int {
    func fail(_ p: String) -> LatentEBMError { .checkpoint(path: path, problem: p) }
    let (file, _) = try Safetensors.readTensors(path)
    var byName: [String: Tensor] = [:]
    for (name, t) in file where name.hasPrefix(prefix) { byName[String(name.dropFirst(prefix.count))] = t }
    let wanted = Set(parameters.map(\.0))
    var missing: [String] = [], mismatched: [String] = [], nonFinite: [String] = []
    for (name, p) in parameters {
      guard let t = byName[name] else { missing.append(prefix + name); continue }
      if t.shape != p.shape {
        mismatched.append("'\(prefix + name)' is \(formatShape(t.shape)), lebm needs \(formatShape(p.shape))")
      } else if !t.isFinite {
        nonFinite.append(prefix + name)
      }
    }
    let unexpected = file.map(\.name).filter { $0.hasPrefix(prefix) && !wanted.contains(String($0.dropFirst(prefix.count))) }
    var problems: [String] = []
    if !missing.isEmpty { problems.append("missing \(listed(missing))") }
    if !unexpected.isEmpty { problems.append("not in the model \(listed(unexpected))") }
    if !mismatched.isEmpty { problems.append("shapes differ: \(mismatched.prefix(8).joined(separator: "; "))\(mismatched.count > 8 ? "; and \(mismatched.count - 8) more" : "")") }
    if !nonFinite.isEmpty { problems.append("non-finite values in \(listed(nonFinite))") }
    guard problems.isEmpty else {
      // When names are missing, show what the file holds, so a wrong prefix is easy to see.
      let held = file.prefix(4).map { "'\($0.name)'" }.joined(separator: ", ")
      let hint = missing.isEmpty ? "" : file.isEmpty ? " (the file holds no tensors)" : " (the file holds \(held)\(file.count > 4 ? ", …" : ""))"
      throw fail(problems.joined(separator: "; ") + hint)
    }
    for (name, p) in parameters { if let t = byName[name] { try assign(p, from: t) } }
    return parameters.count
  }

  /// `'a', 'b' and 3 more`, quoted, at most 8 named.
  static func listed(_ names: [String]) -> String {
    let shown = names.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
    return names.count > 8 ? shown + " and \(names.count - 8) more" : shown
  }
}
