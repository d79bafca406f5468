// Checkpoints: a latent EBM and its training state in one safetensors file.
import Engine
import Support

/// Checkpoints in the safetensors format (``Safetensors``), so PyTorch users can open the weights.
///
/// The whole state is kept: both nets (`generator.0.weight`, `energy.0.weight`, … in PyTorch's
/// state_dict naming), both optimizers' moments, the persistent chains, and in the header's
/// `__metadata__` the model's architecture (`model`) and the training settings, step, epoch and
/// random state (`train`), the settings keyed by their names in ``TrainConfig/table``; the
/// training history is the tensor `history` (a row per step, a column per statistic). Files are
/// written to a temporary name and renamed, so a crash never leaves half a checkpoint; a
/// truncated, corrupt or mismatched file is an error and nothing in memory changes.
public enum Checkpoint {
  static let format = "lebm-checkpoint-1"

  // MARK: - Saving

  /// Writes the model, the trainer's state when given, and optimizers a script made over the
  /// model's weights (``NamedOptimizer``), to `path` (atomically).
  public static func save(_ model: LatentEBM, trainer: Trainer? = nil, optimizers: [NamedOptimizer] = [], to path: String) throws {
    guard !path.isEmpty else { throw LatentEBMError.invalidArgument("no file name given (the path is empty)") }
    var tensors = try weights(of: model)
    var meta: [String: String] = ["format": format]
    meta["model"] = try encodedRecord(modelRecord(model), "model")
    if !optimizers.isEmpty {
      let (state, record) = try optimizerState(optimizers, of: model)
      tensors += state
      meta["optimizers"] = try encodedRecord(record, "optimizers")
    }
    if let t = trainer {
      for (i, m) in t.optimizerG.firstMoments.enumerated() { tensors.append(("optimizer_g.m.\(i)", m)) }
      for (i, v) in t.optimizerG.secondMoments.enumerated() { tensors.append(("optimizer_g.v.\(i)", v)) }
      if let oe = t.optimizerE {
        for (i, m) in oe.firstMoments.enumerated() { tensors.append(("optimizer_e.m.\(i)", m)) }
        for (i, v) in oe.secondMoments.enumerated() { tensors.append(("optimizer_e.v.\(i)", v)) }
      }
      if let oq = t.optimizerQ {
        for (i, m) in oq.firstMoments.enumerated() { tensors.append(("optimizer_q.m.\(i)", m)) }
        for (i, v) in oq.secondMoments.enumerated() { tensors.append(("optimizer_q.v.\(i)", v)) }
      }
      if let p = t.persistent { tensors.append(("persistent_chains", p)) }
      var train = trainRecord(t)
      if let (table, record) = historyTensor(t.history), case var .object(o) = train {
        tensors.append(("history", table))
        o["history"] = record
        train = .object(o)
      }
      meta["train"] = try encodedRecord(train, "training")
    }
    try Safetensors.write(tensors, metadata: meta, to: path)
  }

  /// `{latent, sigma, prior_sigma, energy: {kind, …}, generator: {kind, …}, encoder: {kind, …}}`.
  static func modelRecord(_ m: LatentEBM) throws -> JSONValue {
    var r: [String: JSONValue] = [
      "latent": JSONValue(m.latent), "sigma": JSONValue(m.sigma), "prior_sigma": JSONValue(m.priorSigma),
      "generator": .object(m.generator.record),
    ]
    if let e = m.energyNet {
      guard let er = e.record else { throw unsavable }
      r["energy"] = .object(er.settings.merging(["kind": .string(er.kind)]) { _, k in k })
    }
    if let q = m.encoder { r["encoder"] = .object(q.record) }
    return .object(r)
  }

  /// `record` as JSON text; a value JSON cannot hold (a non-finite number) is a
  /// ``LatentEBMError`` saying which record, not the encoder's raw error.
  static func encodedRecord(_ record: JSONValue, _ what: String) throws -> String {
    do { return try record.encoded() } catch {
      throw LatentEBMError.invalidArgument("the \(what) record cannot be written as JSON: a number in it is not finite")
    }
  }

  static func trainRecord(_ t: Trainer) -> JSONValue {
    .object([
      "settings": .object(Dictionary(uniqueKeysWithValues: t.config.values.map { ($0.name, $0.value) })),
      "step": JSONValue(t.step), "epoch": JSONValue(t.epoch),
      "adam_steps_g": JSONValue(t.optimizerG.stepCount), "adam_steps_e": t.optimizerE.map { JSONValue($0.stepCount) } ?? .null,
      "adam_steps_q": t.optimizerQ.map { JSONValue($0.stepCount) } ?? .null,
      "rng": .array(t.rng.state.map { .unsigned($0) }),
    ])
  }

  /// The training history as a tensor `history` of shape `[steps, statistics]` and its record
  /// `{columns: [names], steps: [[first, count], …]}` (runs of consecutive step numbers); nil
  /// when nothing was trained.
  static func historyTensor(_ h: TrainHistory) -> (Tensor, JSONValue)? {
    guard h.count > 0 else { return nil }
    let k = h.columns.count
    var values = [Float](repeating: 0, count: h.count * k)
    for (j, column) in h.columns.enumerated() { for (i, v) in column.enumerated() { values[i * k + j] = v } }
    var runs: [[Int]] = []
    for s in h.steps {
      if let last = runs.last, last[0] + last[1] == s { runs[runs.count - 1][1] += 1 } else { runs.append([s, 1]) }
    }
    guard let table = try? Tensor(shape: [h.count, k], scalars: values) else { return nil }
    return (table, .object(["columns": .array(TrainStats.names.map { .string($0) }),
                            "steps": .array(runs.map { .array($0.map { JSONValue($0) }) })]))
  }

  /// The history a checkpoint holds (empty for files written before histories were kept);
  /// columns are matched by name, a statistic the file lacks reads as NaN.
  static func history(_ t: [String: JSONValue], _ tensors: [String: Tensor]) throws -> TrainHistory {
    guard case let .object(h)? = t["history"], let table = tensors["history"] else { return TrainHistory() }
    let bad = LatentEBMError.invalidArgument("corrupt training history")
    guard let names = h["columns"]?.array?.compactMap(\.string), let runs = h["steps"]?.array,
          table.rank == 2, table.shape[1] == names.count else { throw bad }
    let n = table.shape[0]
    var steps: [Int] = []
    for run in runs {
      guard let r = run.array?.compactMap(\.int), r.count == 2, (0...maximumSteps).contains(r[0]),
            (0...(n - steps.count)).contains(r[1]) else { throw bad }
      steps += (r[0]..<(r[0] + r[1]))
    }
    guard steps.count == n else { throw bad }
    let values = table.scalars
    let columns = TrainStats.names.map { name -> [Float] in
      guard let j = names.firstIndex(of: name) else { return [Float](repeating: .nan, count: n) }
      return (0..<n).map { values[$0 * names.count + j] }
    }
    guard let history = TrainHistory(steps: steps, columns: columns) else { throw bad }
    return history
  }

  /// The most steps and epochs a checkpoint may claim: past them the learning rates would have
  /// decayed to nothing, so such a file is corrupt.
  static let maximumSteps = 1 << 40, maximumEpochs = 10_000_000

  static let unsavable = LatentEBMError.invalidArgument(
    "a custom energy function cannot be saved; only the built-in energy architectures")

  /// The model's parameters named as in PyTorch's state_dict: `generator.0.weight`, `energy.2.bias`,
  /// `encoder.0.weight`, ….
  static func weights(of model: LatentEBM) throws -> [(String, Tensor)] {
    var named = model.generator.net.namedParameters.map { ("generator.\($0.0)", $0.1) }
    if let e = model.energyNet {
      guard let ps = e.namedParameters else { throw unsavable }
      named += ps.map { ("energy.\($0.0)", $0.1) }
    }
    if let q = model.encoder { named += q.net.namedParameters.map { ("encoder.\($0.0)", $0.1) } }
    return named
  }

  // MARK: - Loading

  /// Loads a checkpoint written by ``save(_:trainer:optimizers:to:)``: a new model, and a trainer
  /// ready to continue when the file holds training state.
  public static func load(_ path: String) throws -> (model: LatentEBM, trainer: Trainer?) {
    let c = try read(path)
    return (c.model, c.trainer)
  }

  /// What a checkpoint holds, rebuilt: the model, its trainer (when trained by `train`), and the
  /// optimizers saved with it, each over the new model's weights.
  public struct Contents {
    public let model: LatentEBM
    public let trainer: Trainer?
    public let optimizers: [NamedOptimizer]
  }

  /// Reads a checkpoint. A model whose energy was a script function (``EnergyRecord/scriptKind``)
  /// needs that function again as `energy`, with weights of the saved shapes: they are
  /// overwritten with the saved ones. Nothing changes when the file does not fit.
  public static func read(_ path: String, energy: EnergyModel? = nil) throws -> Contents {
    func fail(_ p: String) -> LatentEBMError { .checkpoint(path: path, problem: p) }
    let (tensors, meta) = try Safetensors.read(path)
    guard meta["format"] == format, let modelJSON = meta["model"],
          case let .object(record)? = try metadataRecord(modelJSON, "model", path) else {
      throw fail("not an lebm checkpoint (no '\(format)' metadata with a model record)")
    }
    let model: LatentEBM
    do {
      let r = upgraded(record)
      let (expected, held) = (try parameterCount(r), weightCount(tensors))
      guard expected == held else {
        throw LatentEBMError.invalidArgument("it describes \(expected) weights but the file holds \(held)")
      }
      model = try makeModel(r, energy: energy)
    } catch let e as LatentEBMError {
      throw fail("the configuration does not describe a valid model (\(e))")
    }
    let optimizers = try restoredOptimizers(meta["optimizers"], tensors, of: model, path: path)
    var trainer: Trainer? = nil
    if let trainJSON = meta["train"] {
      guard case let .object(t)? = try metadataRecord(trainJSON, "train", path) else { throw fail("corrupt training state") }
      do { trainer = try makeTrainer(model, t, tensors) } catch let e as LatentEBMError {
        if case .checkpoint = e { throw e }
        throw fail("bad training state: \(e)")
      }
    }
    // The weights go in last: a script energy's are the live weights of the caller's nets.
    try copyTensors(try weights(of: model), from: tensors, path: path)
    return Contents(model: model, trainer: trainer, optimizers: optimizers)
  }

  /// The latent size a checkpoint's model record gives (to rebuild a script energy before loading).
  public static func latentSize(_ path: String) throws -> Int {
    let (_, meta) = try Safetensors.read(path)
    guard meta["format"] == format, let text = meta["model"], case let .object(r)? = try metadataRecord(text, "model", path),
          let latent = r["latent"]?.int, latent >= 1 else {
      throw LatentEBMError.checkpoint(path: path, problem: "not an lebm checkpoint (no '\(format)' metadata with a model record)")
    }
    return latent
  }

  /// The JSON record `text` of the metadata entry `name`; nil when it is not JSON, an error when
  /// it names a key twice.
  static func metadataRecord(_ text: String, _ name: String, _ path: String) throws -> JSONValue? {
    do { return try JSONValue.decode(text) } catch let e as Support.JSONDuplicateKeyError {
      throw LatentEBMError.checkpoint(path: path, problem: "the '\(name)' record has a \(e); lebm refuses rather than pick one")
    } catch { return nil }
  }

  /// The weights the record's model has, computed without building it.
  static func parameterCount(_ r: [String: JSONValue]) throws -> Int {
    let latent = try r.size("latent")
    guard case let .object(gr)? = r["generator"] else { throw LatentEBMError.invalidArgument("no generator record") }
    if let e = r["energy"], e.object == nil {
      throw LatentEBMError.invalidArgument("'energy' must be an object (the energy's record), got \(e.shown)")
    }
    var count = try Generator.parameterCount(latent: latent, record: gr)
    if case let .object(er)? = r["energy"] {
      count += try er["kind"]?.string == EnergyRecord.scriptKind
        ? EnergyRecord.scriptShapes(er).reduce(0) { $0 + $1.reduce(1, *) }
        : architecture(er).parameterCount(latent: latent, settings: er)
    }
    if let q = r["encoder"] {
      guard case let .object(qr) = q else { throw LatentEBMError.invalidArgument("'encoder' must be an object (the encoder's record), got \(q.shown)") }
      count += try GaussianEncoder.parameterCount(latent: latent, record: qr)
    }
    return count
  }

  /// The elements of the file's network tensors (`generator.*`, `energy.*`, `encoder.*`).
  static func weightCount(_ tensors: [String: Tensor]) -> Int {
    tensors.filter { ["generator.", "energy.", "encoder."].contains(where: $0.key.hasPrefix) }.reduce(0) { $0 + $1.value.count }
  }

  static func architecture(_ er: [String: JSONValue]) throws -> any EnergyArchitecture.Type {
    let kind = er["kind"]?.string ?? ""
    guard let arch = energyArchitectures.first(where: { $0.kind == kind }) else {
      throw LatentEBMError.invalidArgument("unknown energy architecture '\(kind)'")
    }
    return arch
  }

  /// The keys of a model record (today's form).
  static let modelKeys = ["latent", "sigma", "prior_sigma", "generator", "energy", "encoder"]

  static func makeModel(_ r: [String: JSONValue], energy given: EnergyModel? = nil) throws -> LatentEBM {
    var rng = RandomGenerator(seed: 0)
    if r["generator_kind"] == nil { try r.refuseUnknownKeys(modelKeys, in: "model") }
    let latent = try r.size("latent")
    guard case let .object(gr)? = r["generator"] else { throw LatentEBMError.invalidArgument("no generator record") }
    let g = try Generator(latent: latent, record: gr, using: &rng)
    var e: EnergyModel? = nil
    if case let .object(er)? = r["energy"] {
      e = er["kind"]?.string == EnergyRecord.scriptKind
        ? try scriptEnergy(given, er, latent: latent)
        : try architecture(er).init(latent: latent, settings: er, using: &rng)
    }
    if given != nil, e == nil || er(r)?["kind"]?.string != EnergyRecord.scriptKind {
      throw LatentEBMError.invalidArgument("its energy is not a script function; load it without an energy")
    }
    guard r["sigma"] != nil, r["prior_sigma"] != nil else { throw LatentEBMError.invalidArgument("σ and σ0 are missing") }
    let sigma = Float(try r.number("sigma")), priorSigma = Float(try r.number("prior_sigma"))
    for (key, v) in [("sigma", sigma), ("prior_sigma", priorSigma)] where !(v > 0) {
      throw LatentEBMError.invalidArgument("'\(key)' must be a positive number (as a Float32), got \(r[key]!.shown)")
    }
    var q: GaussianEncoder? = nil
    if case let .object(qr)? = r["encoder"] { q = try GaussianEncoder(latent: latent, record: qr, using: &rng) }
    return try LatentEBM(energy: e, generator: g, sigma: sigma, priorSigma: priorSigma, encoder: q)
  }

  private static func er(_ r: [String: JSONValue]) -> [String: JSONValue]? { r["energy"]?.object }

  /// The energy given to rebuild a model whose energy was a script function, checked against the
  /// saved weights' shapes.
  static func scriptEnergy(_ given: EnergyModel?, _ er: [String: JSONValue], latent: Int) throws -> EnergyModel {
    guard let given else {
      throw LatentEBMError.invalidArgument("its energy was a script function; give the function again: load(path, energy: f)")
    }
    let saved = try EnergyRecord.scriptShapes(er), have = (given.namedParameters ?? []).map(\.1.shape)
    guard given.latent == latent, saved == have else {
      throw LatentEBMError.invalidArgument(
        "the energy given has weights of shapes \(have.map(formatShape)) on z of size \(given.latent); the file has \(saved.map(formatShape)) on \(latent)")
    }
    return given
  }

  /// The keys of a training record (today's form, with its settings in `settings`).
  static let trainKeys = ["settings", "step", "epoch", "adam_steps_g", "adam_steps_e", "adam_steps_q", "rng", "history"]

  static func makeTrainer(_ model: LatentEBM, _ t: [String: JSONValue], _ tensors: [String: Tensor]) throws -> Trainer {
    var c = TrainConfig()
    let settings: [String: JSONValue]
    if let s = t["settings"] {
      guard case let .object(o) = s else { throw LatentEBMError.invalidArgument("'settings' must be an object, got \(s.shown)") }
      try t.refuseUnknownKeys(trainKeys, in: "training")
      try o.refuseUnknownKeys(TrainConfig.table.map(\.name), in: "training settings")
      settings = o
    } else {
      settings = legacySettings(t)
    }
    for s in TrainConfig.table { if let v = settings[s.name] { c = try c.setting(s.name, to: v) } }
    let trainer = try Trainer(model: model, config: c)
    guard let words = t["rng"]?.array, case let state = words.compactMap(\.uint64), state.count == words.count,
          let rng = try? RandomGenerator(state: state) else {
      throw LatentEBMError.invalidArgument("corrupt generator state")
    }
    guard let step = t["step"]?.int, let epoch = t["epoch"]?.int, (0...maximumSteps).contains(step), (0...maximumEpochs).contains(epoch),
          let adamG = t["adam_steps_g"]?.int, (0...maximumSteps).contains(adamG),
          ["adam_steps_e", "adam_steps_q"].allSatisfy({ key in
            t[key].map({ $0 == .null || $0.int.map { (0...maximumSteps).contains($0) } == true }) ?? true
          }) else {
      throw LatentEBMError.invalidArgument("step counts must be whole numbers up to \(maximumSteps) steps and \(maximumEpochs) epochs")
    }
    trainer.rng = rng; trainer.step = step; trainer.epoch = epoch
    func moments(_ prefix: String, _ n: Int) throws -> [Tensor] {
      try (0..<n).map { i in
        guard let m = tensors["\(prefix).\(i)"] else { throw LatentEBMError.invalidArgument("missing tensor '\(prefix).\(i)'") }
        guard m.isFinite, !prefix.hasSuffix(".v") || m.withUnsafeBufferPointer({ $0.allSatisfy { $0 >= 0 } }) else {
          throw LatentEBMError.invalidArgument("tensor '\(prefix).\(i)' holds \(prefix.hasSuffix(".v") ? "negative or " : "")non-finite values")
        }
        return m
      }
    }
    let pg = trainer.optimizerG.parameters.count
    try trainer.optimizerG.restore(firstMoments: moments("optimizer_g.m", pg), secondMoments: moments("optimizer_g.v", pg), stepCount: adamG)
    if let oe = trainer.optimizerE {
      let pe = oe.parameters.count
      try oe.restore(firstMoments: moments("optimizer_e.m", pe), secondMoments: moments("optimizer_e.v", pe), stepCount: t["adam_steps_e"]?.int ?? 0)
    }
    if let oq = trainer.optimizerQ {
      let pq = oq.parameters.count
      try oq.restore(firstMoments: moments("optimizer_q.m", pq), secondMoments: moments("optimizer_q.v", pq), stepCount: t["adam_steps_q"]?.int ?? 0)
    }
    if let p = tensors["persistent_chains"] {
      guard p.shape == [c.persistentChains, model.latent], p.isFinite else {
        throw LatentEBMError.invalidArgument("persistent_chains has shape \(formatShape(p.shape)), the settings need \(formatShape([c.persistentChains, model.latent])) of finite values")
      }
      trainer.persistent = p
    }
    trainer.history = try history(t, tensors)
    trainer.applySchedule()
    return trainer
  }

  /// The settings of a checkpoint written before they had a record of their own.
  static func legacySettings(_ t: [String: JSONValue]) -> [String: JSONValue] {
    var s = t
    for (old, new) in ["persistent_chains": "persistent", "prior_step_size": "prior_step", "posterior_step_size": "posterior_step", "prior_noise": "noise"] {
      if let v = t[old] { s[new] = v }
    }
    return s
  }

  /// A model record of a checkpoint written before the energy and the generator had records of
  /// their own (flat `energy_hidden`, `generator_kind`, … keys), in today's form.
  static func upgraded(_ r: [String: JSONValue]) -> [String: JSONValue] {
    guard r["generator"] == nil, let kind = r["generator_kind"] else { return r }
    func activation(_ key: String) -> [String: JSONValue] {
      guard case let .object(a)? = r[key] else { return [:] }
      return ["activation": a["name"] ?? .null, "slope": a["slope"] ?? .null].filter { $0.value != .null }
    }
    var out = r
    out["generator"] = .object(["kind": kind, "hidden": r["generator_hidden"] ?? .null, "output": r["generator_output"] ?? .null,
                                "image_size": r["image_size"] ?? .null, "channels": r["channels"] ?? .null, "ngf": r["ngf"] ?? .null]
      .filter { $0.value != .null }.merging(activation("generator_activation")) { a, _ in a })
    if let hidden = r["energy_hidden"] {
      out["energy"] = .object(["kind": .string(EnergyNet.kind), "hidden": hidden, "form": r["energy_form"] ?? .string("identity")]
        .merging(activation("energy_activation")) { a, _ in a })
    }
    return out
  }

  /// Checks every named parameter against the file first, then copies; nothing changes on error.
  static func copyTensors(_ named: [(String, Tensor)], from tensors: [String: Tensor], path: String) throws {
    for (name, p) in named {
      guard let t = tensors[name] else { throw LatentEBMError.checkpoint(path: path, problem: "missing tensor '\(name)'") }
      guard t.shape == p.shape else {
        throw LatentEBMError.checkpoint(path: path, problem: "tensor '\(name)' has shape \(formatShape(t.shape)), the model needs \(formatShape(p.shape))")
      }
      guard t.isFinite else { throw LatentEBMError.checkpoint(path: path, problem: "tensor '\(name)' holds non-finite values") }
    }
    for (name, p) in named { try assign(p, from: tensors[name]!) }
  }

  /// Reads a checkpoint of `model`'s own architecture with its training state (train.py's, after
  /// `train(…, on: "torch")`) into `model` itself: the weights copied in place and a new trainer
  /// over them with the file's settings, step, epoch, Adam's moments, chains and history. Nothing
  /// changes when the file does not fit (a tensor missing or of another shape, no training state).
  public static func resume(_ path: String, into model: LatentEBM) throws -> Trainer {
    let (tensors, meta) = try Safetensors.read(path)
    guard meta["format"] == format, let trainJSON = meta["train"],
          case let .object(t)? = try metadataRecord(trainJSON, "train", path) else {
      throw LatentEBMError.checkpoint(path: path, problem: "not an lebm checkpoint with training state")
    }
    let trainer: Trainer
    do { trainer = try makeTrainer(model, t, tensors) } catch let e as LatentEBMError {
      if case .checkpoint = e { throw e }
      throw LatentEBMError.checkpoint(path: path, problem: "bad training state: \(e)")
    }
    try copyTensors(try weights(of: model), from: tensors, path: path)
    return trainer
  }

  /// Loads the weights of a checkpoint into an existing model of the same architecture. The
  /// model is untouched if anything is missing or mismatched.
  public static func loadWeights(_ path: String, into model: LatentEBM) throws {
    let (tensors, _) = try Safetensors.read(path)
    try copyTensors(try weights(of: model), from: tensors, path: path)
  }
}
