// VAE checkpoints: the same safetensors format as a latent EBM's, with a model record of kind
// "vae" (the encoder's and the generator's records), the weights under `encoder.` and
// `generator.`, and, when trained, Adam's moments and step count.
import Engine

extension GaussianEncoder {
  /// The architecture's settings, to rebuild it from a checkpoint.
  var record: [String: JSONValue] {
    switch kind {
    case let .mlp(input, hidden, act):
      return ["kind": .string("mlp"), "input": JSONValue(input), "hidden": .array(hidden.map { JSONValue($0) })]
        .merging(activationSettings(act)) { a, _ in a }
    case let .conv(size, channels, ndf):
      return ["kind": .string("conv"), "image_size": JSONValue(size), "channels": JSONValue(channels), "ndf": JSONValue(ndf)]
    }
  }

  /// The number of weights the record's encoder has, computed without making them.
  static func parameterCount(latent: Int, record r: [String: JSONValue]) throws -> Int {
    switch r["kind"]?.string {
    case "mlp": return mlpParameterCount([try r.size("input")] + (try r.sizes("hidden")) + [2 * latent])
    case "conv":
      // The generator's layers read backwards, the last giving 2·latent: Conv2d(in, out, k) has
      // in·out·k² weights and out biases.
      let plan = try Generator.convLayers(latent: latent, size: r.size("image_size"), channels: r.size("channels"), ngf: r.size("ndf"))
      return plan.reversed().enumerated().reduce(0) { total, item in
        let (i, l) = item, out = i == plan.count - 1 ? 2 * latent : l.input
        return total + l.output * out * l.kernel * l.kernel + out
      }
    default: throw LatentEBMError.invalidArgument("unknown encoder kind '\(r["kind"]?.string ?? "")'")
    }
  }

  /// A freshly initialised encoder from a checkpoint's record (weights are copied after).
  convenience init(latent: Int, record r: [String: JSONValue], using rng: inout RandomGenerator) throws {
    switch r["kind"]?.string {
    case "mlp":
      try r.refuseUnknownKeys(["kind", "input", "hidden", "activation", "slope"], in: "encoder")
      try self.init(latent: latent, input: try r.size("input"), hidden: try r.sizes("hidden"), activation: try r.activation(), using: &rng)
    case "conv":
      try r.refuseUnknownKeys(["kind", "image_size", "channels", "ndf"], in: "encoder")
      try self.init(latent: latent, imageSize: try r.size("image_size"), channels: try r.size("channels"), ndf: try r.size("ndf"), using: &rng)
    default: throw LatentEBMError.invalidArgument("unknown encoder kind '\(r["kind"]?.string ?? "")'")
    }
  }
}

extension Checkpoint {
  static let vaeKind = "vae"

  /// The VAE's weights under the names the file uses.
  static func weights(of vae: VAE) -> [(String, Tensor)] {
    vae.encoder.net.namedParameters.map { ("encoder.\($0.0)", $0.1) } + vae.generator.net.namedParameters.map { ("generator.\($0.0)", $0.1) }
  }

  /// Writes a VAE, and its trainer's Adam state and step count when given, to `path` (atomically).
  public static func save(_ vae: VAE, trainer: VAETrainer?, learningRate: Float, to path: String) throws {
    guard !path.isEmpty else { throw LatentEBMError.invalidArgument("no file name given (the path is empty)") }
    var tensors = weights(of: vae)
    let record: JSONValue = .object([
      "kind": .string(vaeKind), "latent": JSONValue(vae.latent), "sigma": JSONValue(vae.sigma), "prior_sigma": JSONValue(vae.priorSigma),
      "encoder": .object(vae.encoder.record), "generator": .object(vae.generator.record),
    ])
    var meta: [String: String] = ["format": format, "model": try encodedRecord(record, "model")]
    var train: [String: JSONValue] = ["lr": JSONValue(learningRate)]
    if let t = trainer {
      for (i, m) in t.optimizer.firstMoments.enumerated() { tensors.append(("optimizer.m.\(i)", m)) }
      for (i, v) in t.optimizer.secondMoments.enumerated() { tensors.append(("optimizer.v.\(i)", v)) }
      train["step"] = JSONValue(t.step)
      train["adam_steps"] = JSONValue(t.optimizer.stepCount)
    }
    meta["train"] = try encodedRecord(.object(train), "training")
    try Safetensors.write(tensors, metadata: meta, to: path)
  }

  /// Whether the checkpoint at `path` holds a VAE (its model record's kind is "vae").
  public static func holdsVAE(_ path: String) throws -> Bool {
    let (_, meta) = try Safetensors.read(path)
    guard meta["format"] == format, let text = meta["model"], case let .object(r)? = try metadataRecord(text, "model", path) else {
      return false
    }
    return r["kind"]?.string == vaeKind
  }

  /// Reads a VAE written by ``save(_:trainer:learningRate:to:)``: the model, its learning rate, and
  /// a trainer ready to continue when the file holds training state. Nothing is made before the
  /// record's weight count matches the file's.
  public static func readVAE(_ path: String) throws -> (model: VAE, learningRate: Float, trainer: VAETrainer?) {
    func fail(_ p: String) -> LatentEBMError { .checkpoint(path: path, problem: p) }
    let (tensors, meta) = try Safetensors.read(path)
    guard meta["format"] == format, let text = meta["model"], case let .object(r)? = try metadataRecord(text, "model", path),
          r["kind"]?.string == vaeKind else {
      throw fail("not an lebm VAE checkpoint (no '\(format)' metadata with a model record of kind 'vae')")
    }
    guard let trainText = meta["train"], case let .object(t)? = try metadataRecord(trainText, "train", path) else {
      throw fail("no training record (the learning rate)")
    }
    do {
      try r.refuseUnknownKeys(["kind", "latent", "sigma", "prior_sigma", "encoder", "generator"], in: "model")
      let latent = try r.size("latent")
      guard case let .object(er)? = r["encoder"], case let .object(gr)? = r["generator"] else {
        throw LatentEBMError.invalidArgument("no encoder or generator record")
      }
      let expected = try GaussianEncoder.parameterCount(latent: latent, record: er) + Generator.parameterCount(latent: latent, record: gr)
      let held = tensors.filter { $0.key.hasPrefix("encoder.") || $0.key.hasPrefix("generator.") }.values.reduce(0) { $0 + $1.count }
      guard expected == held else { throw LatentEBMError.invalidArgument("it describes \(expected) weights but the file holds \(held)") }
      var rng = RandomGenerator(seed: 0)
      let vae = try VAE(encoder: GaussianEncoder(latent: latent, record: er, using: &rng), generator: Generator(latent: latent, record: gr, using: &rng),
                        sigma: Float(try r.number("sigma")), priorSigma: Float(try r.number("prior_sigma")))
      let lr = Float(try t.number("lr"))
      guard lr > 0 else { throw LatentEBMError.invalidArgument("'lr' must be positive, got \(lr)") }
      var trainer: VAETrainer? = nil
      if t["step"] != nil {
        let tr = try VAETrainer(model: vae, learningRate: lr)
        let n = tr.optimizer.parameters.count
        func moments(_ k: String) throws -> [Tensor] {
          try (0..<n).map { i in
            guard let m = tensors["optimizer.\(k).\(i)"] else { throw LatentEBMError.invalidArgument("Adam's moment optimizer.\(k).\(i) is missing") }
            return m
          }
        }
        func count(_ k: String) throws -> Int {
          guard let v = t[k]?.int, v >= 0 else { throw LatentEBMError.invalidArgument("'\(k)' must be a whole number ≥ 0") }
          return v
        }
        try tr.optimizer.restore(firstMoments: try moments("m"), secondMoments: try moments("v"), stepCount: try count("adam_steps"))
        tr.step = try count("step")
        trainer = tr
      }
      try copyTensors(weights(of: vae), from: tensors, path: path)
      return (vae, lr, trainer)
    } catch let e as LatentEBMError {
      if case .checkpoint = e { throw e }
      throw fail("the configuration does not describe a valid VAE (\(e))")
    } catch {
      throw fail("the training state does not fit the VAE (\(error))")
    }
  }
}
