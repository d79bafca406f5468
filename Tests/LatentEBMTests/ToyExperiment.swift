import Testing
import Engine
import Glibc
@testable import LatentEBM

func envFloat(_ k: String, _ d: Float) -> Float { getenv(k).flatMap { Float(String(cString: $0)) } ?? d }

@Suite struct ToyExperiment {
  @Test func experiment() throws {
    guard getenv("LEBM_EXPERIMENT") != nil else { return }
    let iters = Int(envFloat("ITERS", 3000))
    var rng = RandomGenerator(seed: 1)
    let data = try eightGaussians(iters * 100, using: &rng)
    let fresh = try eightGaussians(2000, using: &rng)
    var config = TrainConfig()
    config.lrE = envFloat("LR_E", 1e-4); config.lrG = envFloat("LR_G", 1e-3); config.energyPenalty = envFloat("PEN", 0.1)
    config.prior.steps = Int(envFloat("KP", 60)); config.prior.stepSize = envFloat("SP", 0.4)
    config.persistentChains = Int(envFloat("PCD", 0))
    var r = RandomGenerator(seed: 2)
    let g = try Generator(latent: 2, hidden: [128, 128], output: 2, using: &r)
    let e = try EnergyNet(latent: 2, hidden: [128, 128], using: &r)
    let m = try LatentEBM(energy: e, generator: g, sigma: envFloat("SIGMA", 0.1))
    let t = try Trainer(model: m, config: config, seed: 3)
    for i in 0..<iters {
      let s = try t.step(data.slice(axis: 0, start: i * 100, end: i * 100 + 100))
      if (i + 1) % 500 == 0 {
        var r2 = RandomGenerator(seed: 9)
        let x = try m.generate(2000, using: &r2)
        print("EXP it \(i + 1) mmd \(try mmd(x, fresh)) en_pos \(s.enPos) en_neg \(s.enNeg) zpos \(s.zNormPos) zneg \(s.zNormNeg) lossg \(s.lossG)")
      }
    }
  }
}
