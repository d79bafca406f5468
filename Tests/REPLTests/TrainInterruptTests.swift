// Ctrl-C during `train` stops the whole evaluation, not just that call: a loop of `train` calls
// stops at the first Ctrl-C, and a script exits 130 without running its next line. The progress
// line is removed and one message says where training stopped; `:save` keeps it. The child runs
// the built `lebm` on a pseudo-terminal (a fresh process, as in TerminalTests).
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
  @Suite struct TrainInterruptTests {
    static let model = "m = latent_ebm(energy_net(2, hidden: [8]), generator(2, hidden: [8], out: 2))"

    @Test(.enabled(if: ExecutableTests.binary != nil))
    func ctrlCStopsALoopOfTrainCalls() {
      let history = temporaryPath("train-history-\(UInt32.random(in: 0...UInt32.max))")
      defer { unlink(history) }
      let t = PseudoTerminal.lebm(history: history)
      #expect(t.prompt(timeout: 15))
      t.send(Self.model + "\r")
      #expect(t.prompt())
      t.send("d = toy(\"8gaussians\", n: 200)\r")
      #expect(t.prompt())
      // The first call is short and completes; the second runs until Ctrl-C.
      t.send("for i in 1..5 { train(m, d, epochs: if i == 1 { 1 } else { 100000 }, every: 1)\r print(\"after {i}\") }\r")
      #expect(t.expect("after 1", timeout: 20), "output: \(t.all)")
      #expect(t.expect(" 2/100000  step", timeout: 20), "output: \(t.all)")
      t.send("\u{03}")
      #expect(t.expect("interrupted after step", timeout: 10), "output: \(t.all)")
      #expect(t.prompt())
      #expect(!t.all.contains("after 2"), "the loop went on after Ctrl-C: \(t.all)")
      #expect(!t.all.contains(" 1/100000  step", after: "interrupted after step"), "a further train ran: \(t.all)")
      t.send("m.steps > 2\r")
      #expect(t.expect("true"), "the completed steps are kept: \(t.all)")
      #expect(t.prompt())
      t.send("\u{04}")
      #expect(t.waitExit() == 0, "output: \(t.all.debugDescription)")
    }

    /// At the prompt, Ctrl-C during `train` removes the progress line (the message starts on a
    /// cleared line, not after the bar) and prints one message, not "interrupted" a second time;
    /// `:save` writes the call as a comment with that message, whose step count is the model's.
    @Test(.enabled(if: ExecutableTests.binary != nil))
    func ctrlCClearsTheProgressLineAndSaysOnceWhereTrainingStopped() {
      let dir = temporaryFolder("train-ctrl-c")
      defer { removeFolder(dir) }
      // The live line is drawn where colour is allowed.
      let t = PseudoTerminal.lebm(history: dir + "/history", environment: ["NO_COLOR": nil])
      #expect(t.prompt(timeout: 15))
      t.send(Self.model + "\r")
      #expect(t.prompt())
      t.send("d = toy(\"8gaussians\", n: 200)\r")
      #expect(t.prompt())
      // No epoch line for a long while: only the progress line is on the screen.
      t.send("train(m, d, epochs: 100000, every: 100000)\r")
      #expect(t.expect("it/s", timeout: 20), "output: \(t.all)")
      #expect(t.expect("it/s", timeout: 20), "redrawn: \(t.all)")
      t.send("\u{03}")
      #expect(t.expect("interrupted after step", timeout: 10), "output: \(t.all)")
      #expect(t.prompt())
      let after = t.all[(t.all.firstRange(of: "it/s")?.lowerBound ?? t.all.startIndex)...]
      #expect(t.all.contains("\r\u{1B}[Kinterrupted after step "), "the line was not cleared first: \(after.debugDescription)")
      #expect(after.ranges(of: "interrupted").count == 1, "one message: \(after.debugDescription)")
      #expect(!after.contains("epoch "), "\(after.debugDescription)")
      t.send("print(\"steps:\", m.steps)\r")
      #expect(t.expect("steps: "))
      #expect(t.prompt())
      let steps = t.all.ranges(of: "steps: ").last.flatMap { Int(t.all[$0.upperBound...].prefix { $0.isNumber }) } ?? -1
      #expect(t.all.contains("interrupted after step \(steps) of 200000; the model keeps those \(steps) steps\r\n"), "\(steps): \(t.all.debugDescription)")
      t.send(":save \(dir)/session.lebm\r")
      #expect(t.expect("saved"), "output: \(t.all)")
      #expect(t.prompt())
      let saved = (try? readTextFile(dir + "/session.lebm")) ?? ""
      #expect(saved.contains("""
        # interrupted (Ctrl-C) before it finished; not replayed:
        # train(m, d, epochs: 100000, every: 100000)
        # interrupted after step \(steps) of 200000; the model keeps those \(steps) steps
        # (this session kept them; replaying this file does not redo them, so its results differ)
        print("steps:", m.steps)
        """), "\(saved)")
      t.send("\u{04}")
      #expect(t.waitExit() == 0, "output: \(t.all.debugDescription)")
    }

    @Test(.enabled(if: ExecutableTests.binary != nil))
    func aScriptSentSIGINTDuringTrainExits130() {
      let dir = temporaryFolder("train-interrupt")
      defer { removeFolder(dir) }
      let script = dir + "/train.lebm"
      writeText(script, """
        \(Self.model)
        train(m, toy("8gaussians", n: 200), epochs: 100000, every: 1)
        print("the next line ran")
        """)
      let t = PseudoTerminal.lebm([script], history: dir + "/history")
      #expect(t.expect(" 2/100000  step", timeout: 20), "output: \(t.all)")
      kill(t.pid, SIGINT)
      #expect(t.waitExit(timeout: 10) == 130, "output: \(t.all)")
      #expect(t.all.contains("interrupted after step"), "output: \(t.all)")
      #expect(!t.all.contains("the next line ran"), "output: \(t.all)")
    }
  }
}

extension String {
  /// Whether `text` occurs after the first `marker`.
  fileprivate func contains(_ text: String, after marker: String) -> Bool {
    guard let m = firstRange(of: marker) else { return false }
    return self[m.upperBound...].contains(text)
  }
}
