// The latent EBM over sentences: the text generator's likelihood against finite differences and
// against the LSTM run one token at a time, the posterior chains' autodiff drift, AIS where the
// answer is known (a decoder that ignores z), checkpoints, and the language model's perplexity.
import Datasets
import Engine
import Foundation
import Support
import Testing

@testable import LatentEBM

@Suite struct TextModelTests {
  static let vocabulary = Vocabulary(words: ["a", "b", "c", "d"])  // 8 ids with the specials

  static func decoder(latent: Int = 2, layers: Int = 1, seed: UInt64 = 3) throws -> TextDecoder {
    var rng = RandomGenerator(seed: seed)
    return try TextDecoder(latent: latent, vocabulary: vocabulary, length: 5, embed: 3, hidden: 4, layers: layers, using: &rng)
  }

  /// Rows of ids: words, <eos>, <pad>.
  static let rows = try! Tensor(shape: [3, 5], scalars: [4, 5, 6, 1, 2, /**/ 7, 1, 2, 2, 2, /**/ 4, 4, 5, 6, 7])

  @Test(arguments: [1, 2])
  func likelihoodGradientsMatchFiniteDifferences(_ layers: Int) throws {
    let t = try Self.decoder(layers: layers)
    var rng = RandomGenerator(seed: 9)
    let z = try Tensor.randn([3, 2], using: &rng).requiringGrad()
    func loss(_ zz: Tensor) throws -> Double { Double(try withoutGradients { try t.negativeLogLikelihood(Self.rows, given: zz).sum().item() }) }
    let all = try gradients(of: try t.negativeLogLikelihood(Self.rows, given: z).sum(), wrt: [z] + t.parameters)
    // z, then a few entries of every weight.
    for i in 0..<z.count {
      let h: Float = 1e-2
      let up = z.detached().copy(), down = z.detached().copy()
      up.withUnsafeMutableBufferPointer { $0[i] += h }; down.withUnsafeMutableBufferPointer { $0[i] -= h }
      let numeric = (try loss(up) - loss(down)) / Double(2 * h), a = Double(all[0].scalars[i])
      #expect(abs(numeric - a) <= 5e-3 + 2e-2 * abs(a), "∂/∂z[\(i)]: autodiff \(a), finite differences \(numeric)")
    }
    for (k, (p, g)) in zip(t.parameters, all.dropFirst()).enumerated() {
      for _ in 0..<min(5, p.count) {
        let i = rng.int(below: p.count), h: Float = 1e-2, original = p.scalars[i]
        func set(_ v: Float) { p.withUnsafeMutableBufferPointer { $0[i] = v } }
        set(original + h); let up = try loss(z.detached())
        set(original - h); let down = try loss(z.detached())
        set(original)
        let numeric = (up - down) / Double(2 * h), a = Double(g.scalars[i])
        #expect(abs(numeric - a) <= 5e-3 + 2e-2 * abs(a), "\(t.namedParameters[k].0)[\(i)]: autodiff \(a), finite differences \(numeric)")
      }
    }
  }

  /// The teacher-forced likelihood equals the one computed a token at a time: the LSTM stepped
  /// with its states carried, log-softmax in Double, pad positions skipped.
  @Test func likelihoodEqualsTheRecurrenceStepByStep() throws {
    let t = try Self.decoder(layers: 2)
    var rng = RandomGenerator(seed: 4)
    let z = try Tensor.randn([3, 2], using: &rng)
    let nll = try withoutGradients { try t.negativeLogLikelihood(Self.rows, given: z) }.scalars
    let x = Self.rows.scalars
    try withoutGradients {
      var h = try t.initialState(z), c = try Tensor.zeros(h.shape)
      var expected = [Double](repeating: 0, count: 3), previous: [Float] = [0, 0, 0]
      for s in 0..<5 {
        let step = try t.lstm.run(try Tensor.concatenate([try t.embed(try Tensor(shape: [3, 1], scalars: previous)), try z.reshaped([3, 1, 2])], axis: 2),
                                  h0: h, c0: c)
        h = step.h; c = step.c
        let logits = try t.out(step.output).scalars
        for r in 0..<3 {
          let target = Int(x[r * 5 + s])
          previous[r] = Float(target)
          guard target != Vocabulary.pad else { continue }
          let row = logits[(r * 8)..<((r + 1) * 8)].map(Double.init)
          let top = row.max()!
          expected[r] += top + log(row.reduce(0) { $0 + exp($1 - top) }) - row[target]
        }
      }
      for r in 0..<3 { #expect(abs(Double(nll[r]) - expected[r]) < 1e-4 * max(1, expected[r]), "row \(r): \(nll[r]) against \(expected[r])") }
    }
  }

  /// The planned decoder (what the posterior chains run) gives the autodiff graph's per-row
  /// likelihood and its gradient in z, with one and two layers, and refuses a token that is not an id.
  @Test(arguments: [1, 2])
  func plannedDecoderEqualsAutodiff(_ layers: Int) throws {
    let t = try Self.decoder(latent: 3, layers: layers, seed: 11)
    var rng = RandomGenerator(seed: 12)
    let z = try Tensor.randn([3, 3], using: &rng).requiringGrad()
    let nll = try t.negativeLogLikelihood(Self.rows, given: z)
    let grad = try gradients(of: try nll.sum(), wrt: [z])[0].scalars
    let plan = try DecoderLikelihoodPlan(embedding: t.embed, initial: t.initH, lstm: t.lstm, output: t.out, batch: 3, length: 5,
                                         bos: Vocabulary.bos, pad: Vocabulary.pad)
    var planned = [Float](repeating: 0, count: 9), rowLosses = [Float](repeating: 0, count: 3)
    let total = try Self.rows.withUnsafeBufferPointer { x in
      try plan.setTokens(x.baseAddress!)
      return z.detached().withUnsafeBufferPointer { zp in plan.evaluate(zp.baseAddress!, gradient: &planned, rowLosses: &rowLosses) }
    }
    let expected = nll.scalars
    for r in 0..<3 { #expect(abs(rowLosses[r] - expected[r]) < 1e-4 * max(1, expected[r]), "row \(r): \(rowLosses[r]) against \(expected[r])") }
    #expect(abs(total - expected.reduce(0, +)) < 1e-4 * max(1, abs(total)))
    for i in 0..<9 { #expect(abs(planned[i] - grad[i]) < 1e-4 + 1e-4 * abs(grad[i]), "∂/∂z[\(i)]: planned \(planned[i]), autodiff \(grad[i])") }
    let bad = try Tensor(shape: [3, 5], scalars: Self.rows.scalars.enumerated().map { $0.offset == 7 ? 8.5 : $0.element })
    #expect(throws: TensorError.self) { try bad.withUnsafeBufferPointer { try plan.setTokens($0.baseAddress!) } }
  }

  /// One noiseless posterior step is z − (s²/2)·∇z[−log p_β(x | z) + E_α(z) + ‖z‖²/(2σ0²)], with
  /// the gradient from the autodiff graph.
  /// `diagnose` on a text model: every check runs, and the two data checks read the
  /// cross-entropy per token. Their values are exact where the answer is known: with K⁺ = 0 the
  /// chains stay at their starts, so K⁺ and 4·K⁺ agree (posterior 0), and held-out rows that are
  /// the training rows, with the same noise, are explained exactly as well (fit 0).
  @Test func diagnoseReadsTextModelsInNatsPerToken() throws {
    var rng = RandomGenerator(seed: 2)
    let corpus = try ToyText.corpus("topics", n: 200, seed: 1)
    let g = try Generator(latent: 4, vocabulary: corpus.vocabulary, length: corpus.maxLength, embed: 8, hidden: 16, using: &rng)
    let m = try LatentEBM(energy: try EnergyNet(latent: 4, hidden: [16], using: &rng), generator: g)
    var c = TrainConfig()
    c.prior.steps = 10; c.posterior.steps = 5
    let trainer = try Trainer(model: m, config: c, seed: 4)
    try trainer.fit(corpus.tokens, epochs: 1, batchSize: 50)
    var small = DiagnosisConfig()
    small.priorChains = 100; small.mixingChains = 8; small.mixingSteps = 40; small.rows = 40
    let rows = try corpus.tokens.slice(axis: 0, start: 0, end: 40)
    let checks = try m.diagnose(trainer: trainer, data: rows, heldOut: rows, config: small, using: &rng)
    #expect(checks.map(\.name) == ["short_run_gap", "posterior", "energy_gap", "prior_mixing", "step_health", "weights", "fit"])
    let posterior = try #require(checks.first { $0.name == "posterior" }), fit = try #require(checks.first { $0.name == "fit" })
    let nats = posterior.details.map(\.1)
    #expect(posterior.details.map(\.0) == ["nats_k", "nats_2k", "nats_4k"])
    // Per token, between a perfect guess and twice the uniform guess over the vocabulary.
    let uniform = log(Double(corpus.vocabulary.count))
    #expect(nats.allSatisfy { $0 > 0 && $0 < 2 * uniform }, "nats per token \(nats), uniform guess \(uniform)")
    #expect(posterior.value == abs(nats[0] - nats[2]) && posterior.value > 0)
    #expect(fit.value == 0 && fit.details.map(\.0) == ["nats_train", "nats_held_out"], "\(fit.details)")
    c.posterior.steps = 0
    let still = try Trainer(model: m, config: c, seed: 4)
    let again = try m.diagnose(trainer: still, data: rows, config: small, using: &rng)
    #expect(again.first { $0.name == "posterior" }?.value == 0)
  }

  @Test func posteriorChainsFollowTheCategoricalPotential() throws {
    var rng = RandomGenerator(seed: 6)
    let g = try Generator(latent: 2, vocabulary: Self.vocabulary, length: 5, embed: 3, hidden: 4, using: &rng)
    let m = try LatentEBM(energy: try EnergyNet(latent: 2, hidden: [6], using: &rng), generator: g, priorSigma: 1.5)
    let z0 = try Tensor.randn([3, 2], using: &rng)
    var config = LangevinConfig(steps: 1, stepSize: 0.3)
    config.noise = false
    let z1 = try m.samplePosterior(Self.rows, from: z0, config: config, using: &rng).scalars
    let zt = z0.copy().requiringGrad()
    let u = try m.negativeLogLikelihood(Self.rows, given: zt) + m.priorEnergy(zt)
    let grad = try gradients(of: try u.sum(), wrt: [zt])[0].scalars
    for i in 0..<6 {
      let expected = z0.scalars[i] - 0.045 * grad[i]
      #expect(abs(z1[i] - expected) < 1e-5, "z[\(i)]: \(z1[i]) against \(expected)")
    }
  }

  /// When p_β(x | z) does not depend on z (no path from z: init_h and z's input weights zero),
  /// the posterior is the prior and log p(x) = log p_β(x | ·) exactly, whatever the chains do:
  /// every AIS weight is the same, so the estimate is exact.
  @Test func annealedImportanceSamplingIsExactWhenTheLikelihoodIgnoresZ() throws {
    var rng = RandomGenerator(seed: 8)
    let g = try Generator(latent: 2, vocabulary: Self.vocabulary, length: 5, embed: 3, hidden: 4, using: &rng)
    let t = try #require(g.text)
    t.initH.weight.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    let w = t.lstm.layers[0].weightIH  // [4H, embed + latent]: zero the columns that read z
    w.withUnsafeMutableBufferPointer { p in for r in 0..<16 { p[r * 5 + 3] = 0; p[r * 5 + 4] = 0 } }
    let m = try LatentEBM(energy: nil, generator: g)
    let exact = try withoutGradients { try m.negativeLogLikelihood(Self.rows, given: Tensor.randn([3, 2], using: &rng)) }.scalars
    let e = try m.logLikelihood(Self.rows, config: AISConfig(steps: 20, chains: 4), using: &rng)
    for r in 0..<3 { #expect(abs(e.perExample[r] + Double(exact[r])) < 1e-4, "row \(r): \(e.perExample[r]) against \(-exact[r])") }
  }

  @Test func checkpointsKeepTheTextModel() throws {
    var rng = RandomGenerator(seed: 2)
    let g = try Generator(latent: 3, vocabulary: Self.vocabulary, length: 5, embed: 3, hidden: 4, layers: 2, using: &rng)
    let m = try LatentEBM(energy: try EnergyNet(latent: 3, hidden: [5], using: &rng), generator: g)
    let trainer = try Trainer(model: m)
    _ = try trainer.step(Self.rows)
    let path = NSTemporaryDirectory() + "lebm-text-\(getpid()).safetensors"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Checkpoint.save(m, trainer: trainer, to: path)
    let back = try Checkpoint.load(path)
    #expect(back.model.generator.text?.vocabulary == Self.vocabulary)
    #expect(back.trainer?.step == 1)
    let z = try Tensor.randn([3, 3], using: &rng)
    let a = try withoutGradients { try m.negativeLogLikelihood(Self.rows, given: z) }.scalars
    let b = try withoutGradients { try back.model.negativeLogLikelihood(Self.rows, given: z) }.scalars
    #expect(a == b)
    #expect(Array(g.net.namedParameters.map(\.0).prefix(3)) == ["embed.weight", "init_h.weight", "init_h.bias"])
  }

  @Test func generatedRowsAreSentences() throws {
    var rng = RandomGenerator(seed: 5)
    let g = try Generator(latent: 2, vocabulary: Self.vocabulary, length: 5, embed: 3, hidden: 4, using: &rng)
    let m = try LatentEBM(energy: try EnergyNet(latent: 2, hidden: [4], using: &rng), generator: g)
    let x = try m.generateText(40, using: &rng).scalars
    for r in 0..<40 {
      let row = x[(r * 5)..<((r + 1) * 5)].map { Int($0) }
      let end = try #require(row.firstIndex(of: Vocabulary.eos), "row \(r) has no <eos>: \(row)")
      #expect(row[..<end].allSatisfy { $0 != Vocabulary.bos && $0 != Vocabulary.pad }, "row \(r): \(row)")
      #expect(row[(end + 1)...].allSatisfy { $0 == Vocabulary.pad }, "row \(r): \(row)")
    }
  }

  /// A language model trained on one sentence repeated learns it: perplexity near 1 on it, and
  /// perplexity is exp of the mean NLL per counted token.
  @Test func languageModelLearnsARepeatedSentence() throws {
    #expect(abs(try textPerplexity(logLikelihoods: [-2, -4], tokens: [1, 2]) - exp(2.0)) < 1e-12)
    var rng = RandomGenerator(seed: 1)
    let lm = try LanguageModel(vocabulary: Self.vocabulary, length: 5, embed: 8, hidden: 16, using: &rng)
    let one = try Tensor(shape: [1, 5], scalars: [4, 5, 6, 1, 2])
    let data = try one.broadcast(to: [64, 5]).copy()
    let before = try lm.perplexity(one)
    try lm.fit(data, epochs: 60, batchSize: 64, learningRate: 1e-2, using: &rng)
    let after = try lm.perplexity(one)
    #expect(before > 3 && after < 1.1, "perplexity \(before) before, \(after) after")
  }

  @Test func badShapesAndSizesAreErrors() throws {
    let t = try Self.decoder()
    #expect(throws: LatentEBMError.self) { try t.negativeLogLikelihood(try Tensor.zeros([3, 4]), given: try Tensor.zeros([3, 2])) }
    #expect(throws: TensorError.self) { try t.negativeLogLikelihood(try Tensor.full([1, 5], 8), given: try Tensor.zeros([1, 2])) }
    var rng = RandomGenerator(seed: 1)
    #expect(throws: LatentEBMError.self) { try TextDecoder(latent: 2, vocabulary: Vocabulary(words: []), length: 5, embed: 3, hidden: 4, layers: 1, using: &rng) }
    #expect(throws: LatentEBMError.self) { try t.decode(try Tensor.zeros([1, 2]), temperature: 0, using: &rng) }
  }

  /// export_torch's model.py computes what lebm computes for a text model (−log p_β(x | z),
  /// posterior chains without noise, greedy decoding; 2 layers), and train.py trains it from a
  /// .npy of token rows into a checkpoint lebm loads.
  @Test(.enabled(if: TorchExportTests.python != nil, "LEBM_TEST_PYTHON is unset or lacks torch, safetensors or numpy"))
  func modelPyAndTrainPyTakeTheTextModel() throws {
    let python = try #require(TorchExportTests.python)
    let dir = try makeTemporaryDirectory(prefix: "lebm-torch-text")
    defer { try? removeTree(dir) }
    var rng = RandomGenerator(seed: 12)
    let g = try Generator(latent: 3, vocabulary: Self.vocabulary, length: 5, embed: 3, hidden: 4, layers: 2, using: &rng)
    let m = try LatentEBM(energy: try EnergyNet(latent: 3, hidden: [5], using: &rng), generator: g)
    let trainer = try Trainer(model: m)
    _ = try trainer.step(Self.rows)
    try TorchExport.write(m, trainer: trainer, to: dir + "/export")
    let z = try Tensor.randn([3, 3], using: &rng)
    let posterior = LangevinConfig(steps: 10, stepSize: 0.3, noise: false)
    let lebm: [String: Tensor] = [
      "nll": try withoutGradients { try m.negativeLogLikelihood(Self.rows, given: z) },
      "posterior": try m.samplePosterior(Self.rows, from: z, config: posterior, using: &rng),
      "decode": try #require(g.text).decode(z, greedy: true, using: &rng),
    ]
    let torch = try TorchExportTests.runCheck(python, in: dir + "/export", z: z, x: Self.rows, imports: "sample_posterior", outputs: """
      {"nll": m.negative_log_likelihood(x, z).detach(), "posterior": sample_posterior(m, x, z, 10, 0.3, noise=False),
       "decode": m.decode(z).float()}
      """)
    for (name, tolerance) in [("nll", 1e-4), ("posterior", 1e-4), ("decode", 0)] {
      let a = lebm[name]!.scalars, b = try #require(torch[name])
      #expect(a.count == b.count)
      let worst = zip(a, b).map { abs(Double($0) - $1) }.max() ?? .infinity
      #expect(worst <= tolerance, "\(name): |lebm − torch| up to \(worst)")
    }
    // train.py on token rows: 4 iterations of batch 3 on 12 rows, then lebm loads its checkpoint.
    let data = try Tensor.concatenate([Self.rows, Self.rows, Self.rows, Self.rows], axis: 0)
    try NPY.write(data, to: dir + "/rows.npy")
    let (trained, log) = try TorchExportTests.runProcess(python, [
      "export/train.py", "rows.npy", "--batch", "3", "--iterations", "4", "--checkpoint-every", "4", "--out", "ck", "--device", "cpu",
    ], in: dir)
    try #require(trained == 0, "train.py failed: \(log)")
    let back = try Checkpoint.load(dir + "/ck/step-000005.safetensors")
    #expect(back.trainer?.step == 5)
    #expect(back.model.generator.text?.vocabulary == Self.vocabulary)
    #expect(back.model.generator.parameters.map(\.scalars) != m.generator.parameters.map(\.scalars), "train.py changed the weights")
    let s = try #require(back.trainer).step(Self.rows)
    #expect(s.step == 6 && s.lossG.isFinite)
  }
}
