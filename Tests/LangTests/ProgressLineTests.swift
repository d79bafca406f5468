// The live progress line of `train`: tqdm's format as a pure function of counts and times, the
// epoch lines at fixed widths, and the host's switch (summaries, live line, display updated in
// place) as `train` obeys it.
import Engine
import Testing

@testable import Lang
import Support

extension LangSuite {
  @Suite struct ProgressLineTests {
    @Test func formatsLikeTqdm() {
      let line = ProgressLine.format(done: 370, total: 1000, elapsed: 4.2, values: [("loss_g", 0.5), ("loss_e", -0.25)])
      // 370 in 4.2 s is 88.1 it/s; 630 more at that rate is 7.2 s
      #expect(line == " 37%|███▋      | 370/1000 [00:04<00:07, 88.1 it/s, loss_g=0.5, loss_e=-0.25]")
      #expect(ProgressLine.format(done: 0, total: 50, elapsed: 0) == "  0%|          | 0/50 [00:00<?, ? it/s]")
      #expect(ProgressLine.format(done: 50, total: 50, elapsed: 3725) == "100%|██████████| 50/50 [1:02:05<00:00, 74.50 s/it]")
      #expect(ProgressLine.format(done: 5, total: 10, elapsed: 0.01).contains("500 it/s"))
      // never wider than the terminal, so `\r` can redraw it
      let narrow = ProgressLine.format(done: 1, total: 3, elapsed: 1, values: [("loss_g", 1.25), ("loss_e", 2)], width: 40)
      #expect(narrow.count == 39 && narrow.hasSuffix("…"))
    }

    @Test func barFillsInEighths() {
      #expect(ProgressLine.bar(0.37, width: 10) == "███▋      ")
      #expect(ProgressLine.bar(0.01, width: 10) == "          ")
      #expect(ProgressLine.bar(0.0125, width: 10) == "▏         ")
      #expect(ProgressLine.bar(1.5, width: 4) == "████")
      #expect(ProgressLine.clock(59.9) == "00:59" && ProgressLine.clock(61) == "01:01")
    }

    @Test func updatesCostNothingNextToAStep() {
      // 200 000 updates, as a run of 200 000 steps would make, 50 µs apart on a clock the test
      // drives: all but the few due a redraw must return after one clock read, without asking
      // for the values or formatting a line (what makes an update cost nothing next to a step).
      var now = 0.0, clockReads = 0, valueReads = 0, draws = 0
      let live = LiveProgress(width: 100, clock: { clockReads += 1; return now }) { _ in draws += 1 }
      let n = 200_000
      for i in 1...n {
        now += 50e-6
        live.update(done: i, total: n, values: { valueReads += 1; return [("loss_g", 0.5)] }())
      }
      // 10 s of steps: one draw per interval, plus the last.
      let expected = Int((Double(n) * 50e-6 / ProgressLine.interval).rounded(.up)) + 1
      #expect(draws >= 2 && draws <= expected, "\(draws) draws for \(expected) intervals")
      #expect(valueReads == draws)
      #expect(clockReads == n + 1)
    }

    @Test func aDisplayIsThrottledAndFinishedAtTheLastStep() {
      // 100 steps 10 ms apart under a 0.25 s interval: the first, one every 25 steps, and the
      // last; stopped early at step 60, the display still ends at step 60.
      var now = 0.0
      var lines: [String] = []
      let display = LiveProgress.make(.updating(interval: 0.25, width: 100) { { lines.append($0) } }, clock: { now })!
      for i in 1...60 {
        now += 0.01
        display.update(done: i, total: 100, values: [("loss_g", Double(i))])
      }
      display.clear()  // before a summary line: a display stays
      display.finish()
      #expect(lines.count == 4, "\(lines)")
      #expect(lines.first?.hasPrefix("  1%|") == true && lines.last?.hasPrefix(" 60%|") == true, "\(lines)")
      #expect(lines.last?.contains("loss_g=60") == true, "\(lines)")
      // A terminal's line is removed instead.
      var drawn: [String] = []
      let terminal = LiveProgress.make(.live(width: 100) { drawn.append($0) }, clock: { now })!
      terminal.update(done: 1, total: 100, values: [])
      terminal.update(done: 2, total: 100, values: [])
      terminal.finish()
      #expect(drawn.count == 2 && drawn.last == "\r\u{1B}[K", "\(drawn)")
    }

    @Test func epochLinesLineUp() {
      // Successive lines of one run: every number at a fixed width, so the columns stay put as
      // values change sign and size (before, `loss_e=0.027` was one character shorter than
      // `loss_e=0.0333`).
      let lines = [
        EpochLine.format(epoch: 1, epochs: 100, step: 10, lastStep: 1000, values: [("loss_g", 2.78521), ("loss_e", 0.0333), ("en_pos", 0.3845), ("en_neg", 0.35128)], seconds: 0.4),
        EpochLine.format(epoch: 10, epochs: 100, step: 100, lastStep: 1000, values: [("loss_g", 2.7625), ("loss_e", 0.027), ("en_pos", 0.37), ("en_neg", 0.3451)], seconds: 3.9),
        EpochLine.format(epoch: 100, epochs: 100, step: 1000, lastStep: 1000, values: [("loss_g", 812.34567), ("loss_e", -0.00001), ("en_pos", -12.5), ("en_neg", 1e9)], seconds: 41),
      ]
      #expect(lines == [
        "epoch   1/100  step   10  loss_g=  2.7852 loss_e=  0.0333 en_pos=  0.3845 en_neg=  0.3513  (0 s)",
        "epoch  10/100  step  100  loss_g=  2.7625 loss_e=  0.0270 en_pos=  0.3700 en_neg=  0.3451  (3 s)",
        "epoch 100/100  step 1000  loss_g=812.3457 loss_e=  0.0000 en_pos=-12.5000 en_neg=1.00e+09  (41 s)",
      ])
      // A Gaussian prior shows what applies to it.
      #expect(EpochLine.format(epoch: 2, epochs: 3, step: 20, lastStep: 30, values: [("loss_g", 3.6372)], seconds: 0)
        == "epoch 2/3  step 20  loss_g=  3.6372  (0 s)")
      for (x, text) in [(0.5, "  0.5000"), (-0.25, " -0.2500"), (99.99999, "100.0000"), (-99.99999, "-100.000"), (1234.5678, "1234.568"),
                        (-98765.4, "-98765.4"), (12345678.0, "12345678"), (123456789.0, "1.23e+08"), (-0.000999, " -0.0010"), (-0.00004, "  0.0000"), (.nan, "     nan"), (-.infinity, "    -inf")] {
        #expect(EpochLine.number(x) == text, "\(x)")
      }
    }

    /// `train`'s own epoch lines: their `=` signs in the same columns from line to line; a
    /// Gaussian-prior model (no energy) shows loss_g alone.
    @Test func trainsEpochLinesLineUpAndShowWhatApplies() {
      func lines(_ energy: String) -> [Substring] {
        var out = ""
        let interp = Interpreter(output: { out += $0 })
        interp.interruptFlag = InterruptFlag()
        let outcome = interp.run("""
          seed(2)
          m = latent_ebm(\(energy), generator(latent: 2, hidden: [8], out: 2), sigma: 0.3)
          h = train(m, toy("8gaussians", n: 40, seed: 1), epochs: 12, batch: 10, every: 1, prior_steps: 2, posterior_steps: 2)
          print(h)
          """)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        return out.split(separator: "\n").dropLast()
      }
      func summary(_ energy: String) -> String {
        let interp = Interpreter(output: { _ in })
        interp.interruptFlag = InterruptFlag()
        let outcome = interp.run("""
          m = latent_ebm(\(energy), generator(latent: 2, hidden: [8], out: 2), sigma: 0.3)
          train(m, toy("8gaussians", n: 20, seed: 1), batch: 10, prior_steps: 2, posterior_steps: 2)
          """)
        if case .value(let v) = outcome { return v.description }
        return "\(outcome)"
      }
      func columns(_ line: Substring) -> [Int] { line.enumerated().filter { $0.element == "=" || $0.element == "/" }.map(\.offset) }
      let ebm = lines("energy_net(2, hidden: [8])")
      #expect(ebm.count == 12 && ebm.allSatisfy { $0.contains("loss_e=") && $0.contains("en_neg=") }, "\(ebm)")
      #expect(Set(ebm.map(columns)).count == 1, "\(ebm.joined(separator: "\n"))")
      #expect(ebm.first?.hasPrefix("epoch  1/12  step  4  loss_g=") == true && ebm.last?.hasPrefix("epoch 12/12  step 48  loss_g=") == true, "\(ebm)")
      let gaussian = lines("none")
      #expect(gaussian.count == 12 && gaussian.allSatisfy { !$0.contains("loss_e") && !$0.contains("en_pos") && !$0.contains("en_neg") }, "\(gaussian)")
      #expect(Set(gaussian.map(columns)).count == 1, "\(gaussian.joined(separator: "\n"))")
      // The history's summary too; its fields are all kept.
      let g = summary("none"), e = summary("energy_net(2, hidden: [8])")
      #expect(g.hasPrefix("<history: 2 steps; last loss_g=") && !g.contains("loss_e=") && g.contains("fields step, loss_g, loss_e, en_pos"), "\(g)")
      #expect(e.contains(" loss_e=") && e.contains(" en_neg="), "\(e)")
    }

    /// `train` on a tiny model under each display; what the output and the live line got.
    func train(_ display: (@escaping (String) -> Void) -> ProgressDisplay, every: Int = 2) -> (output: String, live: [String]) {
      final class Box { var out = "", live: [String] = [] }
      let box = Box()
      let interp = Interpreter(output: { box.out += $0 })
      interp.interruptFlag = InterruptFlag()
      interp.basicHost.progress = display { box.live.append($0) }
      let outcome = interp.run("""
        seed(1)
        m = latent_ebm(energy_net(latent: 2, hidden: [8]), generator(latent: 2, hidden: [8], out: 2), sigma: 0.3)
        train(m, toy("8gaussians", n: 40, seed: 1), epochs: 4, batch: 20, every: \(every), prior_steps: 2, posterior_steps: 2)
        """)
      #expect(outcome.error == nil, "\(String(describing: outcome.error))")
      return (box.out, box.live)
    }

    @Test func trainObeysTheHostsDisplay() {
      let summaries = train { _ in .summaries }
      #expect(summaries.output.components("epoch ") == 2 && summaries.live.isEmpty)
      let live = train { draw in .live(width: 100, draw: draw) }
      #expect(live.output.components("epoch ") == 2)
      // the first step and the last are always drawn (8 steps in all), and the line is cleared
      // before each summary and at the end
      #expect(live.live.first?.hasPrefix("\r 12%|█▎        | 1/8 [") == true, "\(live.live)")
      #expect(live.live.contains { $0.hasPrefix("\r100%|██████████| 8/8 [") && $0.contains("loss_g=") && $0.hasSuffix("\u{1B}[K") })
      #expect(live.live.last == "\r\u{1B}[K")
      // A display updated in place (the kernel's): opened once, its own lines (no escapes), the
      // summaries every `every` epochs beside it, and the display left at the last step.
      var opens = 0
      let display = train({ draw in .updating(interval: 0.25, width: 100) { opens += 1; return draw } }, every: 3)
      #expect(opens == 1)
      #expect(display.output.components("epoch ") == 2, "\(display.output)")
      #expect(display.live.first?.hasPrefix(" 12%|█▎        | 1/8 [") == true, "\(display.live)")
      #expect(display.live.last?.hasPrefix("100%|██████████| 8/8 [") == true, "\(display.live)")
      #expect(!display.live.contains { $0.contains("\u{1B}") || $0.contains("\r") })
      let quiet = train({ draw in .live(width: 100, draw: draw) }, every: 0)
      #expect(quiet.output.isEmpty && quiet.live.isEmpty)
    }
  }
}

extension String {
  /// How many times `piece` occurs.
  func components(_ piece: String) -> Int { split(separator: piece, omittingEmptySubsequences: false).count - 1 }
}
