// diagnose on deliberately broken toy trainings: each is flagged (warn or fail) by the check meant
// to catch it and by no other, and the healthy reference passes every check.
import Testing

@testable import Lang

extension LangSuite {
  @Suite struct DiagnosisTests {
    /// The names of the checks `diagnose` flags after training a toy model with `settings` on
    /// `n` points of 8 Gaussians for `epochs`, seeded, and its table.
    func flagged(_ settings: String, n: Int, epochs: Int, batch: Int, seed: Int) throws -> (flagged: [String], table: String) {
      var out = ""
      let interp = Interpreter(output: { out += $0 })
      let outcome = interp.run("""
        data = toy("8gaussians", n: \(n), seed: 1)
        test = toy("8gaussians", n: 500, seed: 2)
        seed(\(seed))
        m = latent_ebm(energy_net(latent: 2, hidden: [128, 128]), generator(latent: 2, hidden: [128, 128], out: 2), sigma: 0.1)
        configure(m, lr_g: 1e-3, energy_penalty: 0.01, \(settings))
        train(m, data, epochs: \(epochs), batch: \(batch), every: 0)
        d = diagnose(m, data, held_out: test)
        print(d)
        d.failing
        """)
      if let e = outcome.error { throw e }
      guard case .list(let names)? = outcome.value else { return (["?"], out) }
      return (names.compactMap { v -> String? in if case .string(let s) = v { return s }; return nil }, out)
    }

    /// The toy settings every case starts from (docs/method.md): lr_e 1e-4 and the defaults.
    static let reference = "lr_e: 1e-4"

    func expectFlags(_ settings: String, _ expected: [String], n: Int = 2000, epochs: Int = 20, batch: Int = 100, seed: Int = 4) throws {
      let r = try flagged(settings, n: n, epochs: epochs, batch: batch, seed: seed)
      #expect(r.flagged == expected, "\(r.table)")
    }

    @Test func theReferenceSettingsPass() throws {
      try expectFlags(Self.reference, [])
    }

    @Test func tooFewPriorStepsShowAsAShortRunGap() throws {
      try expectFlags(Self.reference + ", prior_steps: 5", ["short_run_gap"])
    }

    @Test func tooFewPosteriorStepsShowAsUnconvergedPosteriors() throws {
      try expectFlags(Self.reference + ", posterior_steps: 2", ["posterior"])
    }

    @Test func aHundredfoldEnergyRateShowsAsASharpUnstableEnergy() throws {
      try expectFlags("lr_e: 1e-2", ["energy_gap", "step_health"])
    }

    @Test func trainingFarPastTenPointsShowsInTheFit() throws {
      // 3000 iterations on 10 points: the generator reconstructs them almost exactly and fresh
      // points of the same 8 clusters far less well.
      try expectFlags(Self.reference, ["fit"], n: 10, epochs: 3000, batch: 10, seed: 5)
    }
  }
}
