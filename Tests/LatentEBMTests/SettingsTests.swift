import Testing
import Engine
import Glibc
@testable import LatentEBM

/// The settings table: every setting is checked by its rule, survives a checkpoint, and changes
/// a trainer in place.
@Suite struct SettingsTests {
  func tinyModel(seed: UInt64) throws -> LatentEBM {
    var rng = RandomGenerator(seed: seed)
    return try LatentEBM(energy: EnergyNet(latent: 2, hidden: [5], using: &rng), generator: Generator(latent: 2, hidden: [4], output: 3, using: &rng))
  }

  /// A value for each setting that differs from its default and passes its rule.
  func changed(_ s: TrainSetting, _ v: JSONValue) -> JSONValue {
    switch s.kind {
    case .flag: return .bool(!(v.bool ?? true))
    case .count: return JSONValue((v.int ?? 0) + 3)
    case .optionalNumber: return .number(2.5)
    case .number: return .number((v.double ?? 0.5) * 0.5 + (s.name == "energy_penalty" || s.name == "prior_init_std" ? 0.25 : 0))
    }
  }

  @Test func everySettingSurvivesACheckpoint() throws {
    var c = TrainConfig()
    for (name, v) in c.values { c = try c.setting(name, to: changed(TrainConfig.setting(name)!, v)) }
    for ((name, v), (_, d)) in zip(c.values, TrainConfig().values) { #expect(v != d, "\(name) did not change") }
    let m = try tinyModel(seed: 1)
    let t = try Trainer(model: m, config: c, seed: 2)
    let path = "/tmp/lebm-test-\(getpid())-settings.safetensors"
    defer { unlink(path) }
    try Checkpoint.save(m, trainer: t, to: path)
    let (_, t2) = try Checkpoint.load(path)
    #expect(t2?.config == c)
  }

  @Test func rulesRejectWhatTheyShould() throws {
    let c = TrainConfig()
    for (name, bad) in [("lr_g", -1.0), ("lr_e", 0), ("beta1", 1), ("lr_decay", 0), ("lr_decay", 1.5), ("energy_penalty", -0.1),
                        ("clip_g", -2), ("persistent", 2e6), ("prior_steps", 1e12), ("posterior_steps", 2.5), ("prior_step", .infinity),
                        ("divergence_norm", 0), ("prior_init_std", -1)] {
      #expect(throws: LatentEBMError.self, "\(name) = \(bad)") { try c.setting(name, to: .number(bad)) }
    }
    #expect(throws: LatentEBMError.self) { try c.setting("noise", to: .number(1)) }
    #expect(throws: LatentEBMError.self) { try c.setting("lr", to: .number(1)) }
    do { _ = try c.setting("prior_steps", to: .number(-3)) } catch let e as LatentEBMError {
      #expect(e.description == "'prior_steps' must be a whole number from 0 to 100000, got -3")
    }
    #expect(try c.setting("clip_e", to: .number(0)).clipE == nil)
    #expect(try c.setting("noise", to: .bool(false)).posterior.noise == false)
  }

  @Test func configureChangesTheTrainerInPlace() throws {
    let m = try tinyModel(seed: 3)
    var c = TrainConfig(); c.prior.steps = 2; c.posterior.steps = 2; c.persistentChains = 10
    let t = try Trainer(model: m, config: c, seed: 4)
    var rng = RandomGenerator(seed: 5)
    let x = try Tensor.randn([5, 3], using: &rng)
    _ = try t.step(x); t.endEpoch()
    let adam = t.optimizerG, moments = t.optimizerG.firstMoments.map(\.scalars)
    c.lrG = 1e-3
    try t.configure(c)
    #expect(t.optimizerG === adam, "a new learning rate must not rebuild Adam")
    #expect(abs(t.optimizerG.learningRate - 1e-3 * 0.998) < 1e-9)
    #expect(t.persistent != nil && t.step == 1 && t.epoch == 1)
    c.beta1 = 0.9
    try t.configure(c)
    #expect(t.optimizerG !== adam && t.optimizerG.beta1 == 0.9 && t.optimizerG.stepCount == 1)
    #expect(t.optimizerG.firstMoments.map(\.scalars) == moments)
    c.persistentChains = 20
    try t.configure(c)
    #expect(t.persistent == nil, "a new chain count starts a new buffer")
    _ = try t.step(x)
    #expect(t.persistent?.shape == [20, 2])
    c.lrE = -1
    #expect(throws: LatentEBMError.self) { try t.configure(c) }
    #expect(t.config.lrE == 2e-5)
  }

  @Test func fitRunsEpochsAndKeepsTheHistory() throws {
    let m = try tinyModel(seed: 6)
    var c = TrainConfig(); c.prior.steps = 2; c.posterior.steps = 2
    let t = try Trainer(model: m, config: c, seed: 7)
    var rng = RandomGenerator(seed: 8)
    let data = try Tensor.randn([25, 3], using: &rng)
    var epochs: [Int] = []
    try t.fit(data, epochs: 3, batchSize: 10) { s in
      epochs.append(s.epoch)
      #expect(s.means.map(\.0) == TrainStats.names && s.means.allSatisfy { $0.1.isFinite })
    }
    #expect(epochs == [1, 2, 3] && t.epoch == 3 && t.step == 9)
    #expect(t.history.steps == Array(1...9) && t.history.columns.allSatisfy { $0.count == 9 })
    #expect(abs(t.optimizerG.learningRate - 1e-4 * Float(pow(0.998, 3.0))) < 1e-10)
    #expect(throws: LatentEBMError.self) { try t.fit(data, epochs: 0, batchSize: 10) }
    // More steps than an Int counts is an error before any step, not an overflow trap.
    #expect(throws: LatentEBMError.self) { try t.fit(data, epochs: Int.max / 2, batchSize: 10) }
    #expect(t.step == 9)
  }
}
