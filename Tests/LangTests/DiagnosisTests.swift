// diagnose on deliberately broken toy trainings: each is flagged (warn or fail) by the check meant
// to catch it and by no other, and the healthy reference passes every check.
import Engine
import Testing

@testable import Lang

extension LangSuite {
  @Suite struct DiagnosisTests {
    /// The names of the checks `diagnose` flags after training a toy model with `settings` on
    /// `n` points of 8 Gaussians for `epochs`, seeded, and its table.
    func flagged(_ settings: String, n: Int, epochs: Int, batch: Int, seed: Int) throws -> (flagged: [String], table: String) {
      var out = ""
      let interp = Interpreter(output: { out += $0 })
      interp.interruptFlag = InterruptFlag()  // not the process's: other suites send Ctrl-C to theirs
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

    /// `train(…, watch: 5)`: lines for the checks that turn bad, none for a healthy run, and not a
    /// number of the run changed by watching.
    @Test func watchingATrainingRunNamesWhatTurnsBad() throws {
      func run(_ lrE: String, watch: Int) throws -> (output: String, energy: String) {
        var out = ""
        let interp = Interpreter(output: { out += $0 })
        interp.interruptFlag = InterruptFlag()
        let outcome = interp.run("""
          data = toy("8gaussians", n: 2000, seed: 1)
          seed(4)
          m = latent_ebm(energy_net(latent: 2, hidden: [128, 128]), generator(latent: 2, hidden: [128, 128], out: 2), sigma: 0.1)
          configure(m, lr_g: 1e-3, energy_penalty: 0.01, lr_e: \(lrE))
          train(m, data, epochs: 20, batch: 100, every: 0, watch: \(watch))
          str(energy(m, tensor([[0.5, -0.5]])))
          """)
        if let e = outcome.error { throw e }
        guard case .string(let e)? = outcome.value else { return (out, "?") }
        return (out, e)
      }
      let unstable = try run("1e-2", watch: 5)
      let lines = unstable.output.split(separator: "\n").filter { $0.hasPrefix("watch, epoch ") }
      #expect(lines.contains { $0.contains("energy_gap fail") || $0.contains("energy_gap warn") }, "\(unstable.output)")
      #expect(lines.contains { $0.contains("step_health") && $0.contains("remedy: configure(m, lr_e:") }, "\(unstable.output)")
      // Each check is reported when it turns worse, not again at every look.
      #expect(Set(lines.map { $0.split(separator: ":")[1] }).count == lines.count, "\(lines)")
      #expect(try run("1e-2", watch: 0).energy == unstable.energy, "watching changed the run")
      #expect(try run("1e-4", watch: 5).output == "", "a healthy run prints no watch line")
    }

    @Test func trainingFarPastTenPointsShowsInTheFit() throws {
      // 3000 iterations on 10 points: the generator reconstructs them almost exactly and fresh
      // points of the same 8 clusters far less well.
      try expectFlags(Self.reference, ["fit"], n: 10, epochs: 3000, batch: 10, seed: 5)
    }
  }
}
