// The method as a script: gradients with respect to weights against finite differences, the
// learning iteration written in lebm (stdlib/learning.lebm) against the built-in train_step,
// optimizers through checkpoints, energies written as functions, langevin against the built-in
// samplers, and the errors that leave the weights as they were.
import Engine
import Foundation
import Support
import Testing

@testable import Lang

/// The repository's root (three folders above this file).
private let repositoryRoot: String = {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  return url.path
}()

/// Runs `source` after stdlib/learning.lebm in a fresh interpreter; records a failure and
/// returns nil when it fails.
private func scripted(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) -> Interpreter? {
  var out = ""
  let interp = Interpreter(output: { out += $0 })
  interp.interruptFlag = InterruptFlag()
  let prelude = "import \"\(repositoryRoot)/stdlib/learning.lebm\"\n"
  if case .failure(let e) = interp.run(prelude + source, file: "test.lebm") {
    Issue.record("script failed: \(e.rendered(source: prelude + source))\n\(out)", sourceLocation: sourceLocation)
    return nil
  }
  return interp
}

/// The tensors of a record variable, by name.
private func tensors(_ interp: Interpreter, _ name: String) -> [(String, Tensor)] {
  guard case .record(let r)? = interp[variable: name] else { return [] }
  return r.pairs.compactMap { k, v in if case .tensor(let t) = v { return (k, t) }; return nil }
}

/// The largest |a − b| over two records of tensors with the same names and shapes (∞ if not).
private func largestDifference(_ a: [(String, Tensor)], _ b: [(String, Tensor)]) -> Float {
  guard a.map(\.0) == b.map(\.0) else { return .infinity }
  var worst: Float = 0
  for ((_, x), (_, y)) in zip(a, b) {
    guard x.shape == y.shape else { return .infinity }
    for (u, v) in zip(x.scalars, y.scalars) { worst = max(worst, abs(u - v)) }
  }
  return worst
}

/// Nets whose weight gradients are checked: the script makes `net`, a batch `x` and a fixed
/// random `w`, and `f()` is a scalar loss through every weight.
private let gradientCases: [(String, String)] = [
    ("energy_net", "net = energy_net(latent: 3, hidden: [5, 4], act: \"tanh\"); x = randn([6, 3]); w = randn([6]); fn f() { sum(net(x) * w) }"),
    ("residual_energy_net", "net = residual_energy_net(latent: 3, width: 5, blocks: 2, act: \"gelu\"); x = randn([6, 3]); w = randn([6]); fn f() { sum(net(x) * w) }"),
    ("generator", "net = generator(latent: 3, hidden: [5], out: 4, act: \"softplus\"); x = randn([6, 3]); w = randn([6, 4]); fn f() { sum(net(x) * w) }"),
    ("conv_generator", "net = conv_generator(latent: 3, size: 28, channels: 1, ngf: 2); x = randn([2, 3]); w = randn([2, 1, 28, 28]) / 28; fn f() { sum(net(x) * w) }"),
    ("script energy", """
      E1 = energy_net(latent: 3, hidden: [4], act: "tanh")
      E2 = energy_net(latent: 3, hidden: [5], act: "softplus")
      a = ones([1], grad: true)
      m = latent_ebm(fn(z) { square(E1(z)) + E2(z) + a * sum(z * z, axis: 1) }, generator(latent: 3, hidden: [4], out: 2))
      net = m.energy; x = randn([6, 3]); w = randn([6]); fn f() { sum(energy(m, x) * w) }
      """),
]

extension LangSuite {
  @Test(arguments: gradientCases.map { $0.0 })
  func weightGradientsMatchFiniteDifferences(_ kind: String) throws {
    let setup = gradientCases.first { $0.0 == kind }!.1
    guard let interp = scripted("seed(3)\n\(setup)\nP = params(net)\nG = grad(f, P)\nn = len(keys(P))") else { return }
    let weights = tensors(interp, "P"), grads = tensors(interp, "G")
    #expect(!weights.isEmpty && weights.map(\.0) == grads.map(\.0))
    if kind == "script energy" { #expect(weights.count == 9, "E1's four, E2's four and a") }
    guard let f = interp[variable: "f"] else { Issue.record("no f"); return }
    func loss() throws -> Double {
      guard case .tensor(let t) = try withoutGradients({ try interp.call(f, []) }) else { return .nan }
      return Double(try t.item())
    }
    var rng = RandomGenerator(seed: 11)
    let h: Float = 1e-3
    for ((name, p), (_, g)) in zip(weights, grads) {
      try expectCentralDifferences("\(kind) \(name)", p, g, samples: 4, h: h, absolute: 2e-3, relative: 1e-2, rng: &rng, loss: loss)
    }
  }

  /// The learning iteration of stdlib/learning.lebm and the built-in train_step, from the same
  /// seed and the same initial weights, over 20 iterations.
  @Test(arguments: ["mlp", "conv"])
  func scriptedLearningStepEqualsTrainStep(_ kind: String) {
    let make = kind == "mlp"
      ? "latent_ebm(energy_net(latent: 2, hidden: [32, 32]), generator(latent: 2, hidden: [32, 32], out: 2), sigma: 0.1)"
      : "latent_ebm(energy_net(latent: 4, hidden: [16]), conv_generator(latent: 4, size: 28, channels: 1, ngf: 4))"
    let data = kind == "mlp" ? "toy(\"8gaussians\", n: 160)" : "clamp(randn([160, 1, 28, 28]) * 0.5, -1, 1)"
    guard let interp = scripted("""
      seed(2)
      data = \(data)
      fn make() { \(make) }
      seed(1)
      m1 = make()
      seed(1)
      m2 = make()
      seed(7)
      builtin = []
      for i in 0..<20 { builtin += [train_step(m1, data[(i % 20) * 8 : (i % 20) * 8 + 8], energy_penalty: 0.1, clip_g: 5)] }
      seed(7)
      opt = learning_optimizers(m2)
      rng = fork()
      mine = []
      for i in 0..<20 { mine += [learning_step(m2, data[(i % 20) * 8 : (i % 20) * 8 + 8], opt, rng, energy_penalty: 0.1, clip_g: 5)] }
      P1 = params(m1)
      P2 = params(m2)
      """) else { return }
    let gap = largestDifference(tensors(interp, "P1"), tensors(interp, "P2"))
    #expect(tensors(interp, "P1").count == (kind == "mlp" ? 12 : 10), "every weight of both nets is compared")
    #expect(gap <= 1e-5, "\(kind): weights differ by \(gap) after 20 iterations")
    guard case .list(let a)? = interp[variable: "builtin"], case .list(let b)? = interp[variable: "mine"], a.count == 20, b.count == 20 else {
      Issue.record("no statistics"); return
    }
    for (s, t) in zip(a, b) {
      guard case .record(let r) = s, case .record(let q) = t else { continue }
      #expect(r.keys == q.keys, "the same statistics, in the same order")
      for k in r.keys {
        guard case .number(let x)? = r[k], case .number(let y)? = q[k] else { continue }
        #expect(abs(x - y) <= 1e-5 * max(1, abs(x)), "\(kind) \(k): train_step \(x), learning_step \(y)")
      }
    }
  }

  @Test func optimizerStateRoundTripsThroughSaveAndLoad() throws {
    let dir = try makeTemporaryDirectory(prefix: "lebm-optim")
    defer { try? removeTree(dir) }
    guard let interp = scripted("""
      seed(4)
      data = toy("moons", n: 64)
      m = latent_ebm(energy_net(latent: 2, hidden: [16]), generator(latent: 2, hidden: [16], out: 2))
      opt = {g: adam(params(m.generator), lr: 1e-3, betas: [0.5, 0.999]), e: sgd(params(m.energy), lr: 1e-3, momentum: 0.9)}
      rng = fork()
      for i in 1..3 { learning_step(m, data[0:32], opt, rng) }
      save(m, "\(dir)/m.safetensors", optimizers: opt)
      m2 = load("\(dir)/m.safetensors")
      opt2 = m2.optimizers
      steps = [opt2.g.steps, opt2.e.steps, opt2.g.lr, opt2.e.kind]
      r1 = random_stream(9)
      r2 = random_stream(9)
      for i in 1..4 {
        learning_step(m, data[32:64], opt, r1)
        learning_step(m2, data[32:64], opt2, r2)
      }
      P1 = params(m)
      P2 = params(m2)
      """) else { return }
    guard case .list(let s)? = interp[variable: "steps"] else { Issue.record("no steps"); return }
    #expect(s.map(\.description) == ["3", "3", "0.001", "\"sgd\""])
    let gap = largestDifference(tensors(interp, "P1"), tensors(interp, "P2"))
    #expect(gap == 0, "continuing from the checkpoint gives the same weights as continuing in memory, got a gap of \(gap)")
  }

  @Test func scriptEnergyTrainsSamplesSavesAndLoads() throws {
    let dir = try makeTemporaryDirectory(prefix: "lebm-script-energy")
    defer { try? removeTree(dir) }
    guard let interp = scripted("""
      seed(5)
      data = toy("8gaussians", n: 400)
      E = energy_net(latent: 2, hidden: [32])
      fn U(z) { E(z) + 0.05 * sum(square(z), axis: 1) }
      m = latent_ebm(U, generator(latent: 2, hidden: [32], out: 2), sigma: 0.3)
      before = params(m)["energy.p0"] + 0
      h = train(m, data, epochs: 2, batch: 100, every: 0)
      moved = item(max(abs(params(m)["energy.p0"] - before)))
      z = sample_prior(m, 50)
      save(m, "\(dir)/s.safetensors")
      E2 = energy_net(latent: 2, hidden: [32])
      m2 = load("\(dir)/s.safetensors", energy: fn(z) { E2(z) + 0.05 * sum(square(z), axis: 1) })
      gap = item(max(abs(energy(m, z) - energy(m2, z))))
      """) else { return }
    guard case .number(let moved)? = interp[variable: "moved"], case .number(let gap)? = interp[variable: "gap"],
          case .tensor(let z)? = interp[variable: "z"] else { Issue.record("missing results"); return }
    #expect(moved > 0, "training changed the script energy's weights")
    #expect(z.shape == [50, 2] && z.isFinite)
    #expect(gap == 0, "the loaded energy gives the saved one's values")
    // Loading without the function says what to do; with one of other shapes, what differs.
    let err = errorOf("m = load(\"\(dir)/s.safetensors\")")
    #expect(err?.message.contains("give the function again: load(path, energy: f)") == true, "\(err?.message ?? "")")
    let err2 = errorOf("E = energy_net(latent: 2, hidden: [8])\nm = load(\"\(dir)/s.safetensors\", energy: fn(z) { E(z) })")
    #expect(err2?.message.contains("has weights of shapes") == true, "\(err2?.message ?? "")")
  }

  /// A net of layers as the energy: on planned buffers it gives the chains autodiff gives the
  /// same net wrapped in a function; it trains, and loads its weights back into the net.
  @Test func layerNetEnergyRunsPlannedAndLoads() throws {
    let dir = try makeTemporaryDirectory(prefix: "lebm-layer-energy")
    defer { try? removeTree(dir) }
    guard let interp = scripted("""
      seed(9)
      L = sequential([linear(2, 16), silu, linear(16, 1)])
      G = generator(latent: 2, hidden: [8], out: 2)
      planned = latent_ebm(L, G)
      by_autodiff = latent_ebm(fn(z) { L(z) }, G)
      z0 = randn([64, 2])
      seed(1)
      a = sample_prior(planned, z0)
      seed(1)
      b = sample_prior(by_autodiff, z0)
      gap = item(max(abs(a - b)))
      train(planned, toy("moons", n: 200), epochs: 1, batch: 50, every: 0)
      save(planned, "\(dir)/l.safetensors")
      L2 = sequential([linear(2, 16), silu, linear(16, 1)])
      m2 = load("\(dir)/l.safetensors", energy: L2)
      loaded = item(max(abs(energy(planned, z0) - energy(m2, z0))))
      summary = str(planned)
      """) else { return }
    guard case .number(let gap)? = interp[variable: "gap"], case .number(let loaded)? = interp[variable: "loaded"],
          case .string(let summary)? = interp[variable: "summary"] else { Issue.record("missing results"); return }
    #expect(gap <= 1e-4, "planned and autodiff chains differ by \(gap)")
    #expect(loaded == 0, "the loaded net gives the saved energies")
    #expect(summary.contains("Linear(2 → 16)"), "\(summary)")
    let bad = errorOf("m = latent_ebm(linear(2, 3), generator(latent: 2, out: 2))")
    #expect(bad?.message.contains("must map [N, 2] to [N, 1]") == true, "\(bad?.message ?? "")")
  }

  /// langevin on the method's potentials is sample_prior and sample_posterior, up to rounding.
  @Test func langevinRunsTheBuiltInSamplersChains() {
    guard let interp = scripted("""
      seed(8)
      m = latent_ebm(energy_net(latent: 2, hidden: [16]), generator(latent: 2, hidden: [16], out: 3), sigma: 0.5, prior_sigma: 1.5)
      x = randn([40, 3])
      z0 = randn([40, 2])
      seed(1)
      a = sample_prior(m, z0, steps: 30)
      seed(1)
      b = langevin(fn(z) { energy(m, z) + sum(square(z), axis: 1) / (2 * 1.5 ** 2) }, z0, steps: 30)
      seed(2)
      c = sample_posterior(m, x, init: z0)
      seed(2)
      d = langevin(fn(z) { sum(square(x - decode(m, z)), axis: 1) / (2 * 0.5 ** 2) + energy(m, z) + sum(square(z), axis: 1) / (2 * 1.5 ** 2) }, z0, steps: 20, step: 0.1)
      prior_gap = item(max(abs(a - b)))
      posterior_gap = item(max(abs(c - d)))
      moved = item(mean(abs(a - z0)))
      """) else { return }
    guard case .number(let p)? = interp[variable: "prior_gap"], case .number(let q)? = interp[variable: "posterior_gap"],
          case .number(let moved)? = interp[variable: "moved"] else { Issue.record("missing results"); return }
    #expect(moved > 0.1, "the chains moved")
    #expect(p <= 1e-4, "langevin and sample_prior differ by \(p)")
    #expect(q <= 1e-4, "langevin and sample_posterior differ by \(q)")
  }

  /// Mistakes give an error naming what is wrong, and the weights stay as they were.
  @Test func scriptingErrorsLeaveWeightsAlone() {
    let setup = """
      seed(6)
      E = energy_net(latent: 2, hidden: [4])
      F = energy_net(latent: 2, hidden: [4, 4])
      z = randn([5, 2])
      before = params(E)["energy.0.weight"] + 0
      opt = adam(params(E))

      """
    let cases: [(String, String)] = [
      ("g = grad(fn() { E(z) }, params(E))", "must return one value (a loss), got a tensor of shape [5]"),
      ("set_params(E, {\"energy.0.weight\": zeros([3, 2])})", "has shape [4, 2], the value [3, 2]; no weight was changed"),
      ("set_params(E, {\"energy.0.weight\": zeros([4, 2]), \"energy.0.bias\": tensor([0, 0, 0, 0 / 0])})", "non-finite values; no weight was changed"),
      ("set_params(E, {\"energy.0.wieght\": zeros([4, 2])})", "did you mean 'energy.0.weight'?"),
      ("step(opt, grad(fn() { mean(F(z)) }, params(F)))", "are the gradients of another net?"),
      ("g = grad(fn() { mean(E(z)) }, params(E))\ng[\"energy.0.weight\"] = g[\"energy.0.weight\"] * (0 / 0)\nstep(opt, g)", "holds non-finite values (NaN or ∞); no weight was changed"),
      ("step(opt, {\"energy.0.weight\": zeros([4, 2])})", "no gradient for 'energy.0.bias'"),
      ("o = adam({w: z * 2})", "is not a weight but a computed tensor"),
      ("m = latent_ebm(fn(z) { sum(E(z)) }, generator(latent: 2, out: 2))", "must return one energy per row of z (shape [2])"),
      ("m = latent_ebm(fn(z) { E(z) }, generator(latent: 3, out: 2))", "E(z)"),
      ("p = params(3)", "must be a net, a generator, a model or a layer"),
      ("o = sgd(params(E), lr: -1)", "must be ≥ 0"),
      ("m = latent_ebm(E, generator(latent: 2, out: 2))\nsave(m, \"/nonexistent-dir/x.safetensors\", optimizers: {e: adam(params(F))})", "trains a weight that is not this model's"),
      ("m = latent_ebm(fn(z) { E(z) }, generator(latent: 2, out: 2))\nexport_torch(m, \"/nonexistent-dir/t\")", "the energy is a script function, which model.py cannot rebuild"),
    ]
    for (code, message) in cases {
      guard let interp = scripted(setup) else { return }
      let result = interp.run(code, file: "bad.lebm")
      guard case .failure(let e) = result else { Issue.record("\(code): expected an error"); continue }
      #expect(e.message.contains(message), "\(code): \(e.message)")
      _ = interp.run("after = params(E)[\"energy.0.weight\"]", file: "after.lebm")
      guard case .tensor(let w)? = interp[variable: "after"], case .tensor(let b)? = interp[variable: "before"] else {
        Issue.record("\(code): no weights"); continue
      }
      #expect(w.scalars == b.scalars, "\(code): the weights changed")
    }
  }
}
