import Testing
import Engine
import Glibc
@testable import LatentEBM

/// "8 gaussians": centres evenly spaced on a circle of radius 2, standard deviation 0.1.
func eightGaussians(_ n: Int, using rng: inout RandomGenerator) throws -> Tensor {
  var v: [Float] = []
  for _ in 0..<n {
    let k = Float(rng.int(below: 8)) * Float.pi / 4
    v += [2 * cosf(k) + 0.1 * rng.normal(), 2 * sinf(k) + 0.1 * rng.normal()]
  }
  return try Tensor(shape: [n, 2], scalars: v)
}

func now() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Learning on toy data (issue 4): the latent EBM against the Gaussian-prior baseline with the same
/// generator and the same budget. Settings: σ = 0.1, lr_E = 1e-4, lr_G = 1e-3, the energy
/// penalty 0.01 (the remedy that keeps the reference algorithm otherwise unchanged), batch 100,
/// K⁺ = 20, K⁻ = 60; `LEBM_TOY_ITERS` iterations each (default 8000), from two initialisations.
///
/// How much better the learned prior does depends on the initialisation: over six runs the ratio
/// of the MMD²s was 0.26–0.57 (the baseline alone ranges 0.12–0.29). So the test asks for what
/// every run showed with room to spare — the latent EBM better in each, by at least a quarter on
/// average (ratio ≤ 0.75) — and for samples at every mode, rather than for a typical ratio.
@Suite struct ToyLearningTests {
  @Test func latentEBMBeatsGaussianPriorOn8Gaussians() throws {
    let iters = Int(String(cString: getenv("LEBM_TOY_ITERS") ?? strdup("8000"))) ?? 8000
    var rng = RandomGenerator(seed: 1)
    let data = try eightGaussians(iters * 100, using: &rng)
    let fresh = try eightGaussians(2000, using: &rng)
    var config = TrainConfig()
    config.lrE = 1e-4; config.lrG = 1e-3; config.energyPenalty = 0.01

    func train(energy: Bool, seed: UInt64) throws -> (Tensor, Double, LatentEBM) {
      var r = RandomGenerator(seed: seed)
      let g = try Generator(latent: 2, hidden: [128, 128], output: 2, using: &r)
      let e = try EnergyNet(latent: 2, hidden: [128, 128], using: &r)
      let m = try LatentEBM(energy: energy ? e : nil, generator: g, sigma: 0.1)
      let t = try Trainer(model: m, config: config, seed: 3)
      let t0 = now()
      for i in 0..<iters { _ = try t.step(data.slice(axis: 0, start: i * 100, end: i * 100 + 100)) }
      let seconds = now() - t0
      return (try m.generate(2000, using: &r), seconds, m)
    }
    var ratios: [Float] = [], gains: [Double] = []
    let test = try fresh.slice(axis: 0, start: 0, end: 100)
    for seed: UInt64 in [2, 4] {
      let (ebm, s1, mEBM) = try train(energy: true, seed: seed)
      let (gauss, s2, mGauss) = try train(energy: false, seed: seed)
      // Test log-likelihood by annealed importance sampling, the same budget for both.
      var r = RandomGenerator(seed: 7)
      let llEBM = try mEBM.logLikelihood(test, config: AISConfig(steps: 300, chains: 8), using: &r)
      let llGauss = try mGauss.logLikelihood(test, config: AISConfig(steps: 300, chains: 8), using: &r)
      gains.append(llEBM.mean - llGauss.mean)
      print("toy 8gaussians, seed \(seed): test log p(x) latent EBM \(llEBM.mean) ± \(llEBM.meanError), Gaussian prior \(llGauss.mean) ± \(llGauss.meanError) nats")
      let mmdEBM = try mmd(ebm, fresh), mmdGauss = try mmd(gauss, fresh)
      ratios.append(mmdEBM / mmdGauss)

      // Mode coverage: of the samples within 3σ (0.3) of a centre, the share at each centre.
      var counts = [Int](repeating: 0, count: 8)
      let p = ebm.scalars
      for i in 0..<2000 {
        for k in 0..<8 {
          let a = Float(k) * Float.pi / 4
          let dx = p[2 * i] - 2 * cosf(a), dy = p[2 * i + 1] - 2 * sinf(a)
          if dx * dx + dy * dy <= 0.09 { counts[k] += 1 }
        }
      }
      let near = counts.reduce(0, +)
      print("toy 8gaussians, seed \(seed): \(iters) iterations, latent EBM \(Int(s1)) s MMD² \(mmdEBM); Gaussian prior \(Int(s2)) s MMD² \(mmdGauss); modes \(counts) of \(near)")
      #expect(mmdEBM < mmdGauss, "seed \(seed): MMD² latent EBM \(mmdEBM) vs Gaussian prior \(mmdGauss)")
      #expect(counts.allSatisfy { Double($0) >= 0.05 * Double(near) }, "seed \(seed): mode counts \(counts)")
      #expect(near > 0)
    }
    #expect(ratios.reduce(0, +) / Float(ratios.count) <= 0.75, "MMD² ratios latent EBM / Gaussian prior: \(ratios)")
    #expect(gains.allSatisfy { $0 > 0 }, "test log-likelihood gains of the latent EBM over the Gaussian prior: \(gains) nats")
  }
}
