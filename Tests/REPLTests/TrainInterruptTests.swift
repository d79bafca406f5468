// Ctrl-C during `train` stops the whole evaluation, not just that call: a loop of `train` calls
// stops at the first Ctrl-C, and a script exits 130 without running its next line. The child runs
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
      #expect(t.expect("epoch 2/100000", timeout: 20), "output: \(t.all)")
      t.send("\u{03}")
      #expect(t.expect("interrupted after step", timeout: 10), "output: \(t.all)")
      #expect(t.prompt())
      #expect(!t.all.contains("after 2"), "the loop went on after Ctrl-C: \(t.all)")
      #expect(!t.all.contains("epoch 1/100000\r\n", after: "interrupted after step"), "a further train ran: \(t.all)")
      t.send("m.steps > 2\r")
      #expect(t.expect("true"), "the completed steps are kept: \(t.all)")
      #expect(t.prompt())
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
      #expect(t.expect("epoch 2/100000", timeout: 20), "output: \(t.all)")
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
