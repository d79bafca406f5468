import Testing
import Engine
@testable import LatentEBM

@Suite struct TrainingTests {
  func tinyModel(seed: UInt64) throws -> LatentEBM {
    var rng = RandomGenerator(seed: seed)
    return try LatentEBM(
      energy: EnergyNet(latent: 2, hidden: [5], activation: .gelu, form: .tanh, using: &rng),
      generator: Generator(latent: 2, hidden: [4], output: 3, activation: .tanh, using: &rng))
  }

  /// Both learning losses against central finite differences in every parameter, at fixed chains.
  @Test func trainStepLossGradients() throws {
    let m = try tinyModel(seed: 1)
    var config = TrainConfig()
    config.energyPenalty = 0.3
    let trainer = try Trainer(model: m, config: config)
    var rng = RandomGenerator(seed: 2)
    let x = try Tensor.randn([4, 3], using: &rng), zq = try Tensor.randn([4, 2], using: &rng), zp = try Tensor.randn([4, 2], using: &rng)
    let l = try trainer.losses(x, posterior: zq, prior: zp)
    for (name, loss, params) in [("loss_g", l.generator, m.generator.parameters), ("loss_e", l.energy!, m.energyNet!.parameters)] {
      let grads = try gradients(of: loss, wrt: params)
      for (k, p) in params.enumerated() {
        for i in 0..<p.count {
          let saved = p.scalars[i], h: Float = 1e-2
          func value() throws -> Double {
            let l = try withoutGradients { try trainer.losses(x, posterior: zq, prior: zp) }
            return Double(try (name == "loss_g" ? l.generator : l.energy!).item())
          }
          p.withUnsafeMutableBufferPointer { $0[i] = saved + h }
          let up = try value()
          p.withUnsafeMutableBufferPointer { $0[i] = saved - h }
          let down = try value()
          p.withUnsafeMutableBufferPointer { $0[i] = saved }
          let numeric = (up - down) / Double(2 * h), analytic = Double(grads[k].scalars[i])
          #expect(abs(analytic - numeric) <= 5e-3 + 2e-2 * abs(numeric), "\(name) param \(k)[\(i)]: \(analytic) vs \(numeric)")
        }
      }
    }
  }

  @Test func stepReportsStatisticsAndUpdates() throws {
    let m = try tinyModel(seed: 3)
    var config = TrainConfig()
    config.prior.steps = 5; config.posterior.steps = 5; config.lrE = 1e-3; config.lrG = 1e-3
    let trainer = try Trainer(model: m, config: config, seed: 4)
    var rng = RandomGenerator(seed: 5)
    let x = try Tensor.randn([6, 3], using: &rng)
    let before = m.parameters.map(\.scalars)
    let s = try trainer.step(x)
    #expect(s.step == 1 && trainer.step == 1)
    #expect(s.lossG > 0 && s.gradNormG > 0 && s.gradNormE > 0 && s.zNormPos > 0 && s.zNormNeg > 0)
    #expect(abs(s.lossE - (s.enPos - s.enNeg)) < 1e-5)
    #expect(zip(before, m.parameters.map(\.scalars)).allSatisfy { $0 != $1 })
    trainer.endEpoch()
    #expect(abs(trainer.optimizerE!.learningRate - 1e-3 * 0.998) < 1e-9)
  }

  @Test func sameSeedSameTraining() throws {
    func run() throws -> [Float] {
      let m = try tinyModel(seed: 7)
      var config = TrainConfig()
      config.prior.steps = 3; config.posterior.steps = 3
      let t = try Trainer(model: m, config: config, seed: 8)
      var rng = RandomGenerator(seed: 9)
      let x = try Tensor.randn([5, 3], using: &rng)
      return try (0..<3).map { _ in try t.step(x).lossG }
    }
    #expect(try run() == run())
  }

  @Test func divergenceStopsWithTheModelUnchanged() throws {
    let m = try tinyModel(seed: 10)
    var config = TrainConfig()
    config.prior = LangevinConfig(steps: 5, stepSize: 50)  // a huge step: chains fly off
    config.posterior.steps = 2
    let t = try Trainer(model: m, config: config, seed: 11)
    let before = m.parameters.map(\.scalars)
    do {
      _ = try t.step(Tensor.zeros([4, 3]))
      Issue.record("expected divergence")
    } catch let e as LatentEBMError {
      #expect(e.description.contains("the model is unchanged since step 0"))
      #expect(e.description.contains("energy_penalty"))
    }
    #expect(m.parameters.map(\.scalars) == before)
    #expect(t.step == 0)
  }

  @Test func persistentChainsAndGaussianBaseline() throws {
    var rng = RandomGenerator(seed: 12)
    let m = try tinyModel(seed: 12)
    var config = TrainConfig()
    config.prior.steps = 2; config.posterior.steps = 2; config.persistentChains = 20
    let t = try Trainer(model: m, config: config)
    _ = try t.step(Tensor.randn([4, 3], using: &rng))
    #expect(t.persistent?.shape == [20, 2])
    let base = try LatentEBM(energy: nil, generator: Generator(latent: 2, hidden: [4], output: 3, using: &rng))
    let tb = try Trainer(model: base, config: config)
    let s = try tb.step(Tensor.randn([4, 3], using: &rng))
    #expect(s.lossE == 0 && tb.optimizerE == nil)
  }
}

@Suite struct EvaluationTests {
  @Test func auprcMatchesHandComputedCurves() throws {
    // Perfect ranking → 1.
    #expect(try auprc(scores: [0.9, 0.8, 0.1, 0.2], labels: [true, true, false, false]) == 1)
    // sklearn: precision_recall_curve on these gives recall [0, .5, .5, 1, 1] / precision
    // [1, 1, .5, .667, .5]; the trapezoid area is 0.5·1 + 0 + 0.5·(0.5+0.667)/2 = 0.79167.
    let a = try auprc(scores: [0.9, 0.8, 0.7, 0.1], labels: [true, false, true, false])
    #expect(abs(a - 0.7916667) < 1e-5)
    #expect(throws: LatentEBMError.self) { try auprc(scores: [1, 2], labels: [false, false]) }
    #expect(throws: LatentEBMError.self) { try auprc(scores: [1], labels: [true, false]) }
  }

  @Test func mmdSeparatesDistributions() throws {
    var rng = RandomGenerator(seed: 1)
    let a = try Tensor.randn([500, 2], using: &rng), b = try Tensor.randn([500, 2], using: &rng)
    let c = try Tensor.randn([500, 2], using: &rng) + 2
    let same = try mmd(a, b), diff = try mmd(a, c)
    #expect(same < 0.02 && diff > 0.5, "same \(same), different \(diff)")
    #expect(try mmd(a, a) < 1e-6)
  }

  @Test func anomalyScoreAndReconstruction() throws {
    var rng = RandomGenerator(seed: 2)
    let m = try LatentEBM(energy: EnergyNet(latent: 2, hidden: [4], using: &rng), generator: Generator(latent: 2, hidden: [4], output: 3, using: &rng))
    let x = try Tensor.randn([6, 3], using: &rng)
    let s = try m.anomalyScore(x, using: &rng)
    #expect(s.shape == [6] && s.isFinite)
    #expect(try m.reconstruct(x, using: &rng).shape == [6, 3])
    #expect(try m.generate(4, config: LangevinConfig(steps: 3, stepSize: 0.4), using: &rng).shape == [4, 3])
    #expect(try m.reconstructionError(x, using: &rng) > 0)
  }
}
