import Testing
import Engine
import Glibc
@testable import LatentEBM

/// The energy seam: a built-in architecture plans its chains, prints and saves through
/// `EnergyModel` alone, and a custom energy falls back to the autodiff path with the same numbers.
@Suite struct ArchitectureTests {
  /// The residual net's energy, hidden behind a custom energy (no planned layers, no record).
  final class Unplanned: EnergyModel {
    let inner: EnergyModel
    init(_ inner: EnergyModel) { self.inner = inner }
    var latent: Int { inner.latent }
    var parameters: [Tensor] { inner.parameters }
    func callAsFunction(_ z: Tensor) throws -> Tensor { try inner(z) }
  }

  func residualModel(seed: UInt64) throws -> LatentEBM {
    var rng = RandomGenerator(seed: seed)
    return try LatentEBM(
      energy: ResidualEnergyNet(latent: 3, width: 16, blocks: 2, activation: .gelu, form: .tanh, using: &rng),
      generator: Generator(latent: 3, hidden: [8], output: 4, using: &rng), sigma: 0.3)
  }

  @Test func plannedChainsMatchTheAutodiffPath() throws {
    let m = try residualModel(seed: 1)
    let custom = try LatentEBM(energy: Unplanned(m.energyNet!), generator: m.generator, sigma: 0.3)
    var rng = RandomGenerator(seed: 2)
    let z0 = try Tensor.randn([32, 3], using: &rng), x = try Tensor.randn([32, 4], using: &rng)
    let config = LangevinConfig(steps: 15, stepSize: 0.3)
    var r1 = RandomGenerator(seed: 9), r2 = RandomGenerator(seed: 9)
    let a = try m.samplePrior(from: z0, config: config, using: &r1), b = try custom.samplePrior(from: z0, config: config, using: &r2)
    #expect(a.isClose(to: b, tolerance: 1e-4), "prior chains: planned and autodiff differ")
    let c = try m.samplePosterior(x, from: z0, config: config, using: &r1), d = try custom.samplePosterior(x, from: z0, config: config, using: &r2)
    #expect(c.isClose(to: d, tolerance: 1e-4), "posterior chains: planned and autodiff differ")
    #expect(m.description.contains("residual MLP 3 → 16 → 2 blocks → 1, GELU, form tanh"))
    #expect(custom.description.contains("a custom energy function"))
  }

  @Test func residualEnergySavesAndLoads() throws {
    let m = try residualModel(seed: 3)
    let t = try Trainer(model: m, config: { var c = TrainConfig(); c.prior.steps = 3; c.posterior.steps = 3; return c }(), seed: 4)
    var rng = RandomGenerator(seed: 5)
    let x = try Tensor.randn([6, 4], using: &rng)
    _ = try t.step(x)
    let path = "/tmp/lebm-test-\(getpid())-residual.safetensors"
    defer { unlink(path) }
    try Checkpoint.save(m, trainer: t, to: path)
    let (m2, t2) = try Checkpoint.load(path)
    #expect(m2.energyNet is ResidualEnergyNet && m2.description == m.description)
    let z = try Tensor.randn([5, 3], using: &rng)
    #expect(try m2.energy(z).scalars == m.energy(z).scalars)
    #expect(try t.step(x) == t2!.step(x))
  }

  @Test func customEnergiesCannotBeSaved() throws {
    let m = try residualModel(seed: 6)
    let custom = try LatentEBM(energy: Unplanned(m.energyNet!), generator: m.generator)
    #expect(throws: LatentEBMError.self) { try Checkpoint.save(custom, to: "/tmp/lebm-test-\(getpid())-custom.safetensors") }
  }

  /// Checkpoints count an architecture's weights before building it; the count must be the
  /// built model's, for every architecture and generator.
  @Test func parameterCountsMatchTheBuiltNetworks() throws {
    var rng = RandomGenerator(seed: 8)
    let energies: [EnergyModel] = [
      try EnergyNet(latent: 3, hidden: [7, 5], using: &rng), try EnergyNet(latent: 2, hidden: [], using: &rng),
      try ResidualEnergyNet(latent: 4, width: 6, blocks: 3, using: &rng), try ResidualEnergyNet(latent: 2, width: 3, blocks: 0, using: &rng),
    ]
    for e in energies {
      let r = try #require(e.record)
      let arch = try Checkpoint.architecture(r.settings.merging(["kind": .string(r.kind)]) { a, _ in a })
      #expect(try arch.parameterCount(latent: e.latent, settings: r.settings) == e.parameterCount, "\(e.summary)")
    }
    let generators = [
      try Generator(latent: 3, hidden: [4, 6], output: 5, using: &rng),
      try Generator(latent: 4, imageSize: 32, channels: 3, ngf: 2, using: &rng),
      try Generator(latent: 5, imageSize: 28, channels: 1, ngf: 3, using: &rng),
    ]
    for g in generators {
      #expect(try Generator.parameterCount(latent: g.latent, record: g.record) == g.parameters.reduce(0) { $0 + $1.count }, "\(g.summary)")
    }
  }
}
