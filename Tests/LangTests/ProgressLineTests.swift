// The live progress line of `train`: tqdm's format as a pure function of counts and times, and
// the host's switch (summaries, live line, line per epoch) as `train` obeys it.
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
      let perEpoch = train({ _ in .perEpoch }, every: 3)
      #expect(perEpoch.output.components("epoch ") == 4 && perEpoch.live.isEmpty)
      let quiet = train({ draw in .live(width: 100, draw: draw) }, every: 0)
      #expect(quiet.output.isEmpty && quiet.live.isEmpty)
    }
  }
}

extension String {
  /// How many times `piece` occurs.
  func components(_ piece: String) -> Int { split(separator: piece, omittingEmptySubsequences: false).count - 1 }
}
