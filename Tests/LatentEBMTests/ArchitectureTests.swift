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
      try Generator(latent: 4, imageSize: 8, channels: 2, ngf: 3, using: &rng),
      try Generator(latent: 3, imageSize: 56, channels: 1, ngf: 2, using: &rng),
      try Generator(latent: 6, imageSize: 64, channels: 3, ngf: 2, using: &rng),
      try Generator(latent: 2, imageSize: 128, channels: 3, ngf: 2, using: &rng),
    ]
    for g in generators {
      #expect(try Generator.parameterCount(latent: g.latent, record: g.record) == g.parameters.reduce(0) { $0 + $1.count }, "\(g.summary)")
    }
  }

  // MARK: - Conv generator sizes

  /// The layers of a net, as they print ("ConvTranspose2d(8 → 4, k4 s2 p1)", "LeakyReLU(0.2)", …).
  func layers(_ g: Generator) -> [String] { g.layers.map { "\($0)" } }

  /// The layers the rule gives: ConvT(nz→w, k, s1 p0) to a 4×4 (w = 8ngf) or 7×7 (w = 4ngf) map,
  /// then ConvT(k4 s2 p1) per doubling, halving the channels but never below ngf, the last to C.
  @Test(arguments: [
    (8, ["ConvTranspose2d(5 → 32, k4 s1 p0)", "ConvTranspose2d(32 → 3, k4 s2 p1)"]),
    (14, ["ConvTranspose2d(5 → 16, k7 s1 p0)", "ConvTranspose2d(16 → 3, k4 s2 p1)"]),
    (16, ["ConvTranspose2d(5 → 32, k4 s1 p0)", "ConvTranspose2d(32 → 16, k4 s2 p1)", "ConvTranspose2d(16 → 3, k4 s2 p1)"]),
    (28, ["ConvTranspose2d(5 → 16, k7 s1 p0)", "ConvTranspose2d(16 → 8, k4 s2 p1)", "ConvTranspose2d(8 → 3, k4 s2 p1)"]),
    (32, ["ConvTranspose2d(5 → 32, k4 s1 p0)", "ConvTranspose2d(32 → 16, k4 s2 p1)", "ConvTranspose2d(16 → 8, k4 s2 p1)",
          "ConvTranspose2d(8 → 3, k4 s2 p1)"]),
    (56, ["ConvTranspose2d(5 → 16, k7 s1 p0)", "ConvTranspose2d(16 → 8, k4 s2 p1)", "ConvTranspose2d(8 → 4, k4 s2 p1)",
          "ConvTranspose2d(4 → 3, k4 s2 p1)"]),
    // The paper's CelebA net: nz → 8ngf → 4ngf → 2ngf → ngf → C.
    (64, ["ConvTranspose2d(5 → 32, k4 s1 p0)", "ConvTranspose2d(32 → 16, k4 s2 p1)", "ConvTranspose2d(16 → 8, k4 s2 p1)",
          "ConvTranspose2d(8 → 4, k4 s2 p1)", "ConvTranspose2d(4 → 3, k4 s2 p1)"]),
    (128, ["ConvTranspose2d(5 → 32, k4 s1 p0)", "ConvTranspose2d(32 → 16, k4 s2 p1)", "ConvTranspose2d(16 → 8, k4 s2 p1)",
           "ConvTranspose2d(8 → 4, k4 s2 p1)", "ConvTranspose2d(4 → 4, k4 s2 p1)", "ConvTranspose2d(4 → 3, k4 s2 p1)"]),
  ])
  func convGeneratorSizes(size: Int, convolutions: [String]) throws {
    var rng = RandomGenerator(seed: 21)
    let g = try Generator(latent: 5, imageSize: size, channels: 3, ngf: 4, using: &rng)
    let between = convolutions.dropFirst().flatMap { ["LeakyReLU(0.2)", $0] }
    #expect(layers(g) == ["Reshape([5, 1, 1])", convolutions[0]] + between + ["Tanh"])
    #expect(g.outputShape == [3, size, size] && g.summary == "ConvT 5 → 3×\(size)×\(size), ngf 4")
    let z = try Tensor.randn([2, 5], using: &rng)
    let x = try g(z)
    #expect(x.shape == [2, 3, size, size])
    #expect(x.scalars.allSatisfy { $0.isFinite && abs($0) <= 1 })
  }

  /// The 28 and 32 nets as they were written before sizes were generalised, layer by layer:
  /// the loop builds the same layers and draws their initial weights in the same order, so a seed
  /// gives the same weights (the draws do not go through OpenBLAS: compared exactly).
  @Test func convGenerators28And32AreUnchanged() throws {
    let xavier = Initializer.xavierNormal(gain: 1)
    let (nz, ngf) = (6, 3)
    func before(_ size: Int, _ c: Int, _ rng: inout RandomGenerator) throws -> [ConvTranspose2d] {
      size == 32
        ? [try ConvTranspose2d(nz, ngf * 8, kernelSize: 4, stride: 1, padding: 0, init: xavier, using: &rng),
           try ConvTranspose2d(ngf * 8, ngf * 4, kernelSize: 4, stride: 2, padding: 1, init: xavier, using: &rng),
           try ConvTranspose2d(ngf * 4, ngf * 2, kernelSize: 4, stride: 2, padding: 1, init: xavier, using: &rng),
           try ConvTranspose2d(ngf * 2, c, kernelSize: 4, stride: 2, padding: 1, init: xavier, using: &rng)]
        : [try ConvTranspose2d(nz, ngf * 4, kernelSize: 7, stride: 1, padding: 0, init: xavier, using: &rng),
           try ConvTranspose2d(ngf * 4, ngf * 2, kernelSize: 4, stride: 2, padding: 1, init: xavier, using: &rng),
           try ConvTranspose2d(ngf * 2, c, kernelSize: 4, stride: 2, padding: 1, init: xavier, using: &rng)]
    }
    for (size, c) in [(32, 3), (28, 1)] {
      var r1 = RandomGenerator(seed: 31), r2 = RandomGenerator(seed: 31)
      let g = try Generator(latent: nz, imageSize: size, channels: c, ngf: ngf, using: &r1)
      let old = try before(size, c, &r2)
      let convs = g.layers.compactMap { $0 as? ConvTranspose2d }
      #expect(convs.map(\.description) == old.map(\.description), "size \(size)")
      #expect(g.net.namedParameters.map(\.0) == (size == 32 ? [1, 3, 5, 7] : [1, 3, 5]).flatMap { ["\($0).weight", "\($0).bias"] })
      #expect(g.parameters.map(\.scalars) == old.flatMap(\.parameters).map(\.scalars), "size \(size): the same initial weights")
      #expect(r1.next() == r2.next(), "size \(size): the same number of draws")
    }
  }

  @Test(arguments: [48, 0, -8, 4, 7, 100_000, 2048, 1792])
  func convGeneratorRefusesOtherSizes(size: Int) throws {
    var rng = RandomGenerator(seed: 1)
    #expect { try Generator(latent: 4, imageSize: size, channels: 3, ngf: 2, using: &rng) } throws: { e in
      "\(e)" == ("image size must be 4·2^k or 7·2^k with k ≥ 1, at most 1024 (8, 14, 16, 28, 32, 56, 64, …), got \(size)")
    }
    let record: [String: JSONValue] = ["kind": .string("conv"), "image_size": JSONValue(size), "channels": JSONValue(3), "ngf": JSONValue(2)]
    #expect(throws: LatentEBMError.self) { try Generator.parameterCount(latent: 4, record: record) }
  }

  /// A 64×64 generator (the paper's CelebA net, small) in a latent EBM: the posterior chains'
  /// planned gradient is autodiff's, and a few learning iterations give finite losses.
  @Test func conv64TrainsAndItsPosteriorGradientIsAutodiffs() throws {
    var rng = RandomGenerator(seed: 41)
    let m = try LatentEBM(energy: EnergyNet(latent: 16, hidden: [32], using: &rng),
                          generator: Generator(latent: 16, imageSize: 64, channels: 3, ngf: 8, using: &rng), sigma: 0.3)
    let x = try (Tensor.randn([4, 3, 64, 64], using: &rng) * 0.5).tanh(), z0 = try Tensor.randn([4, 16], using: &rng)
    // One noise-free posterior step, z1 = z0 − (s²/2) ∇U(z0), against U's gradient through the graph.
    let s: Float = 0.1
    var r = RandomGenerator(seed: 2)
    let z1 = try m.samplePosterior(x, from: z0, config: LangevinConfig(steps: 1, stepSize: s, noise: false), using: &r)
    let z = z0.copy().requiringGrad()
    let residual = try x - m.generator(z)
    let u = try (residual * residual).sum() / (2 * m.sigma * m.sigma) + m.energy(z).sum() + (z * z).sum() / (2 * m.priorSigma * m.priorSigma)
    let grad = try gradients(of: u, wrt: [z])[0]
    let want = try z0 - grad * (s * s / 2)
    let planned = try (z1 - z0) / (-s * s / 2), scale = max(1, try grad.abs().max().item())
    #expect(try (planned - grad).abs().max().item() <= 1e-4 * scale, "planned ∇U against autodiff's")
    #expect(try (z1 - want).abs().max().item() <= 1e-5 * max(1, try want.abs().max().item()))
    #expect(try grad.abs().max().item() > 1e-2, "the gradient is not trivially zero")
    var c = TrainConfig()
    c.prior.steps = 5; c.posterior.steps = 5
    let t = try Trainer(model: m, config: c, seed: 3)
    let before = m.generator.parameters.map(\.scalars)
    for i in 1...3 {
      let st = try t.step(x)
      #expect(st.step == i && st.lossG.isFinite && st.lossE.isFinite && st.gradNormG.isFinite && st.gradNormE.isFinite, "step \(i): \(st)")
    }
    #expect(m.generator.parameters.map(\.scalars) != before, "the generator learned")
  }
}
