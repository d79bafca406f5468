import Engine
import FoundationEssentials
import Glibc

/// Checkpoints in the safetensors format, so PyTorch users can open the weights
/// (`safetensors.torch.load_file`): an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw little-endian Float32 data.
///
/// The whole state is kept: both nets (`generator.0.weight`, `energy.0.weight`, … in PyTorch's
/// state_dict naming), both optimizers' moments, the persistent chains, and in the header's
/// `__metadata__` the model and training configuration, step, epoch and the generator's RNG state.
/// Files are written to a temporary name and renamed, so a crash never leaves half a checkpoint;
/// a truncated, corrupt or mismatched file is an error and nothing in memory changes.
public enum Checkpoint {
  static let format = "lebm-checkpoint-1"

  // MARK: - Configuration records

  struct ActivationRecord: Codable, Equatable {
    var name: String
    var slope: Float?
    init(_ a: Activation) {
      switch a {
      case let .leakyRelu(s): name = "leaky_relu"; slope = s
      default: name = a.description.lowercased(); slope = nil
      }
    }
    func activation(_ path: String) throws -> Activation {
      guard let a = Activation(name: name, slope: slope ?? 0.2) else {
        throw LatentEBMError.checkpoint(path: path, problem: "unknown activation '\(name)' in the configuration")
      }
      return a
    }
  }

  struct ModelRecord: Codable {
    var latent: Int
    var sigma: Float
    var priorSigma: Float
    var energyHidden: [Int]?
    var energyActivation: ActivationRecord?
    var energyForm: String?
    var generatorKind: String  // "mlp" or "conv"
    var generatorHidden: [Int]?
    var generatorActivation: ActivationRecord?
    var generatorOutput: Int?
    var imageSize: Int?
    var channels: Int?
    var ngf: Int?
  }

  struct TrainRecord: Codable {
    var step: Int
    var epoch: Int
    var adamStepsG: Int
    var adamStepsE: Int?
    var lrG: Float
    var lrE: Float
    var beta1: Float
    var beta2: Float
    var lrDecay: Float
    var energyPenalty: Float
    var clipG: Float?
    var clipE: Float?
    var persistentChains: Int
    var priorSteps: Int
    var priorStepSize: Float
    var priorNoise: Bool
    var posteriorSteps: Int
    var posteriorStepSize: Float
    var posteriorNoise: Bool
    var divergenceNorm: Float
    var rng: [UInt64]
  }

  // MARK: - Saving

  /// Writes the model, and the trainer's state when given, to `path` (atomically).
  public static func save(_ model: LatentEBM, trainer: Trainer? = nil, to path: String) throws {
    guard let energyOK = Optional(model.energyNet == nil || model.energyNet is EnergyNet), energyOK else {
      throw LatentEBMError.invalidArgument("save: a custom energy function cannot be saved; only energy_net(...) models")
    }
    var tensors = weights(of: model)
    var meta: [String: String] = ["format": format]
    meta["model"] = try json(modelRecord(model))
    if let t = trainer {
      for (i, m) in t.optimizerG.firstMoments.enumerated() { tensors.append(("optimizer_g.m.\(i)", m)) }
      for (i, v) in t.optimizerG.secondMoments.enumerated() { tensors.append(("optimizer_g.v.\(i)", v)) }
      if let oe = t.optimizerE {
        for (i, m) in oe.firstMoments.enumerated() { tensors.append(("optimizer_e.m.\(i)", m)) }
        for (i, v) in oe.secondMoments.enumerated() { tensors.append(("optimizer_e.v.\(i)", v)) }
      }
      if let p = t.persistent { tensors.append(("persistent_chains", p)) }
      let c = t.config
      meta["train"] = try json(TrainRecord(
        step: t.step, epoch: t.epoch, adamStepsG: t.optimizerG.stepCount, adamStepsE: t.optimizerE?.stepCount,
        lrG: c.lrG, lrE: c.lrE, beta1: c.beta1, beta2: c.beta2, lrDecay: c.lrDecay, energyPenalty: c.energyPenalty,
        clipG: c.clipG, clipE: c.clipE, persistentChains: c.persistentChains,
        priorSteps: c.prior.steps, priorStepSize: c.prior.stepSize, priorNoise: c.prior.noise,
        posteriorSteps: c.posterior.steps, posteriorStepSize: c.posterior.stepSize, posteriorNoise: c.posterior.noise,
        divergenceNorm: c.divergenceNorm, rng: t.rng.state))
    }
    try writeSafetensors(tensors, metadata: meta, to: path)
  }

  static func modelRecord(_ m: LatentEBM) -> ModelRecord {
    var r = ModelRecord(latent: m.latent, sigma: m.sigma, priorSigma: m.priorSigma, generatorKind: "mlp")
    if let e = m.energyNet as? EnergyNet {
      r.energyHidden = e.hidden; r.energyActivation = ActivationRecord(e.activation); r.energyForm = e.form.rawValue
    }
    switch m.generator.kind {
    case let .mlp(hidden, act):
      r.generatorHidden = hidden; r.generatorActivation = ActivationRecord(act); r.generatorOutput = m.generator.outputShape[0]
    case let .conv(size, channels, ngf):
      r.generatorKind = "conv"; r.imageSize = size; r.channels = channels; r.ngf = ngf
    }
    return r
  }

  static func json<T: Encodable>(_ v: T) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    enc.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try enc.encode(v), as: UTF8.self)
  }

  /// Writes tensors in the safetensors layout to a temporary file, then renames it over `path`.
  public static func writeSafetensors(_ tensors: [(String, Tensor)], metadata: [String: String], to path: String) throws {
    var header: [String: HeaderEntry] = ["__metadata__": .metadata(metadata)]
    var offset = 0
    for (name, t) in tensors {
      header[name] = .tensor(TensorInfo(dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.count * 4]))
      offset += t.count * 4
    }
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    var headerBytes = Array(try enc.encode(header))
    while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + headerBytes.count + offset)
    var n = UInt64(headerBytes.count).littleEndian
    withUnsafeBytes(of: &n) { bytes += $0 }
    bytes += headerBytes
    for (_, t) in tensors { t.withUnsafeBufferPointer { p in p.withMemoryRebound(to: UInt8.self) { bytes += $0 } } }

    let tmp = path + ".tmp-\(getpid())"
    guard let f = fopen(tmp, "wb") else {
      throw LatentEBMError.checkpoint(path: path, problem: "cannot write: \(String(cString: strerror(errno)))")
    }
    let written = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
    let closed = fclose(f)
    guard written == bytes.count, closed == 0 else {
      unlink(tmp)
      throw LatentEBMError.checkpoint(path: path, problem: "write failed: \(String(cString: strerror(errno)))")
    }
    guard rename(tmp, path) == 0 else {
      unlink(tmp)
      throw LatentEBMError.checkpoint(path: path, problem: "cannot replace the file: \(String(cString: strerror(errno)))")
    }
  }

  // MARK: - Loading

  struct TensorInfo: Codable { var dtype: String; var shape: [Int]; var data_offsets: [Int] }

  enum HeaderEntry: Codable {
    case tensor(TensorInfo)
    case metadata([String: String])
    init(from decoder: Decoder) throws {
      let c = try decoder.singleValueContainer()
      if let t = try? c.decode(TensorInfo.self) { self = .tensor(t) } else { self = .metadata(try c.decode([String: String].self)) }
    }
    func encode(to encoder: Encoder) throws {
      var c = encoder.singleValueContainer()
      switch self {
      case let .tensor(t): try c.encode(t)
      case let .metadata(m): try c.encode(m)
      }
    }
  }

  /// Reads every tensor and the metadata of a safetensors file (F32 tensors only).
  public static func readSafetensors(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    func fail(_ p: String) -> LatentEBMError { .checkpoint(path: path, problem: p) }
    guard let f = fopen(path, "rb") else { throw fail("cannot open: \(String(cString: strerror(errno)))") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = chunk.withUnsafeMutableBufferPointer { fread($0.baseAddress, 1, $0.count, f) }
      if n == 0 { break }
      bytes += chunk[0..<n]
    }
    guard bytes.count >= 8 else { throw fail("not a safetensors file: only \(bytes.count) bytes") }
    var headerLength: UInt64 = 0
    for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    guard headerLength <= UInt64(bytes.count - 8) else {
      throw fail("truncated or corrupt: the header claims \(headerLength) bytes but the file has \(bytes.count - 8) after the length")
    }
    let headerEnd = 8 + Int(headerLength)
    let header: [String: HeaderEntry]
    do { header = try JSONDecoder().decode([String: HeaderEntry].self, from: Data(bytes[8..<headerEnd])) }
    catch { throw fail("corrupt header: not valid safetensors JSON") }
    let dataCount = bytes.count - headerEnd
    var tensors: [String: Tensor] = [:]
    var metadata: [String: String] = [:]
    for (name, entry) in header {
      switch entry {
      case let .metadata(m): metadata = m
      case let .tensor(info):
        guard info.dtype == "F32" else { throw fail("tensor '\(name)' has dtype \(info.dtype); lebm reads F32") }
        let count = info.shape.reduce(1, *)
        guard info.shape.allSatisfy({ $0 >= 0 }), info.data_offsets.count == 2,
              info.data_offsets[1] - info.data_offsets[0] == count * 4, info.data_offsets[0] >= 0 else {
          throw fail("tensor '\(name)': shape \(formatShape(info.shape)) does not match its byte range")
        }
        guard info.data_offsets[1] <= dataCount else {
          throw fail("truncated: tensor '\(name)' needs bytes up to \(info.data_offsets[1]) but the data has \(dataCount)")
        }
        let start = headerEnd + info.data_offsets[0]
        tensors[name] = try Tensor.make(info.shape) { out in
          bytes.withUnsafeBytes { raw in
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self))) }
          }
        }
      }
    }
    return (tensors, metadata)
  }

  /// Loads a checkpoint written by ``save(_:trainer:to:)``: a new model, and a trainer ready to
  /// continue when the file holds training state.
  public static func load(_ path: String) throws -> (model: LatentEBM, trainer: Trainer?) {
    func fail(_ p: String) -> LatentEBMError { .checkpoint(path: path, problem: p) }
    let (tensors, meta) = try readSafetensors(path)
    guard meta["format"] == format, let modelJSON = meta["model"] else {
      throw fail("not an lebm checkpoint (no '\(format)' metadata)")
    }
    let dec = JSONDecoder()
    dec.keyDecodingStrategy = .convertFromSnakeCase
    let r: ModelRecord
    do { r = try dec.decode(ModelRecord.self, from: Data(modelJSON.utf8)) } catch { throw fail("corrupt model configuration") }
    var rng = RandomGenerator(seed: 0)
    let model: LatentEBM
    do {
      let g: Generator
      if r.generatorKind == "conv" {
        g = try Generator(latent: r.latent, imageSize: r.imageSize ?? 0, channels: r.channels ?? 0, ngf: r.ngf ?? 0, using: &rng)
      } else {
        g = try Generator(latent: r.latent, hidden: r.generatorHidden ?? [], output: r.generatorOutput ?? 0,
                          activation: try (r.generatorActivation ?? ActivationRecord(.leakyRelu(0.2))).activation(path), using: &rng)
      }
      var e: EnergyNet? = nil
      if let h = r.energyHidden {
        guard let form = EnergyForm(rawValue: r.energyForm ?? "identity") else { throw fail("unknown energy form '\(r.energyForm ?? "")'") }
        e = try EnergyNet(latent: r.latent, hidden: h, activation: try (r.energyActivation ?? ActivationRecord(.leakyRelu(0.2))).activation(path), form: form, using: &rng)
      }
      model = try LatentEBM(energy: e, generator: g, sigma: r.sigma, priorSigma: r.priorSigma)
    } catch let e as LatentEBMError where !(e.description.hasPrefix(path)) {
      throw fail("the configuration does not describe a valid model (\(e))")
    }
    try copyTensors(weights(of: model), from: tensors, path: path)

    guard let trainJSON = meta["train"] else { return (model, nil) }
    let t: TrainRecord
    do { t = try dec.decode(TrainRecord.self, from: Data(trainJSON.utf8)) } catch { throw fail("corrupt training state") }
    var c = TrainConfig()
    c.lrG = t.lrG; c.lrE = t.lrE; c.beta1 = t.beta1; c.beta2 = t.beta2; c.lrDecay = t.lrDecay
    c.energyPenalty = t.energyPenalty; c.clipG = t.clipG; c.clipE = t.clipE; c.persistentChains = t.persistentChains
    c.prior = LangevinConfig(steps: t.priorSteps, stepSize: t.priorStepSize, noise: t.priorNoise)
    c.posterior = LangevinConfig(steps: t.posteriorSteps, stepSize: t.posteriorStepSize, noise: t.posteriorNoise)
    c.divergenceNorm = t.divergenceNorm
    let trainer = try Trainer(model: model, config: c)
    do { trainer.rng = try RandomGenerator(state: t.rng) } catch { throw fail("corrupt generator state") }
    trainer.step = t.step
    trainer.epoch = t.epoch
    func moments(_ prefix: String, _ n: Int) throws -> [Tensor] {
      try (0..<n).map { i in
        guard let m = tensors["\(prefix).\(i)"] else { throw fail("missing tensor '\(prefix).\(i)'") }
        return m
      }
    }
    let pg = trainer.optimizerG.parameters.count
    try trainer.optimizerG.restore(firstMoments: moments("optimizer_g.m", pg), secondMoments: moments("optimizer_g.v", pg), stepCount: t.adamStepsG)
    if let oe = trainer.optimizerE {
      let pe = oe.parameters.count
      try oe.restore(firstMoments: moments("optimizer_e.m", pe), secondMoments: moments("optimizer_e.v", pe), stepCount: t.adamStepsE ?? 0)
    }
    trainer.persistent = tensors["persistent_chains"]
    let f = Float(pow(Double(c.lrDecay), Double(t.epoch)))
    trainer.optimizerG.learningRate = c.lrG * f
    trainer.optimizerE?.learningRate = c.lrE * f
    return (model, trainer)
  }

  /// The model's parameters named as in PyTorch's state_dict: `generator.0.weight`, `energy.2.bias`, ….
  static func weights(of model: LatentEBM) -> [(String, Tensor)] {
    model.generator.net.namedParameters.map { ("generator.\($0.0)", $0.1) }
      + ((model.energyNet as? EnergyNet)?.net.namedParameters.map { ("energy.\($0.0)", $0.1) } ?? [])
  }

  /// Checks every named parameter against the file first, then copies; nothing changes on error.
  static func copyTensors(_ named: [(String, Tensor)], from tensors: [String: Tensor], path: String) throws {
    for (name, p) in named {
      guard let t = tensors[name] else { throw LatentEBMError.checkpoint(path: path, problem: "missing tensor '\(name)'") }
      guard t.shape == p.shape else {
        throw LatentEBMError.checkpoint(path: path, problem: "tensor '\(name)' has shape \(formatShape(t.shape)), the model needs \(formatShape(p.shape))")
      }
    }
    for (name, p) in named { try assign(p, from: tensors[name]!) }
  }

  /// Loads the weights of a checkpoint into an existing model of the same architecture. The
  /// model is untouched if anything is missing or mismatched.
  public static func loadWeights(_ path: String, into model: LatentEBM) throws {
    let (tensors, _) = try readSafetensors(path)
    try copyTensors(weights(of: model), from: tensors, path: path)
  }
}
