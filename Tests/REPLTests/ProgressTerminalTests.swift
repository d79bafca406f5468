// `train`'s live progress line reaches a terminal and only a terminal: the built `lebm` on a
// pseudo-terminal draws it (`\r`, the tqdm line, erase to the end); piped, or under NO_COLOR or
// TERM=dumb, only the summary lines come out.
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
  @Suite struct ProgressTerminalTests {
    static let script = """
      seed(1)
      m = latent_ebm(energy_net(latent: 2, hidden: [8]), generator(latent: 2, hidden: [8], out: 2), sigma: 0.3)
      train(m, toy("8gaussians", n: 40, seed: 1), epochs: 4, batch: 20, every: 2, prior_steps: 2, posterior_steps: 2)
      print("trained")
      """

    /// `lebm -e script` on a pseudo-terminal with `environment` set; everything it wrote.
    func onTerminal(_ environment: [String: String?]) -> String? {
      guard let binary = ExecutableTests.binary else { return nil }
      let words: [String] = [binary, "-e", Self.script]
      let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
      defer { argv.forEach { free($0) } }
      let t = PseudoTerminal {
        for (k, v) in environment {
          if let v { setenv(k, v, 1) } else { unsetenv(k) }
        }
        execv(binary, argv)
        _exit(127)
      }
      #expect(t.waitExit(timeout: 60) == 0, "\(t.all.debugDescription)")
      return t.all
    }

    @Test(.enabled(if: ExecutableTests.binary != nil)) func theLineIsDrawnOnATerminalOnly() {
      guard let tty = onTerminal(["TERM": "xterm", "NO_COLOR": nil]) else { return }
      #expect(tty.contains("\r 12%|█▎        | 1/8 ["), "\(tty.debugDescription)")
      #expect(tty.contains("| 8/8 [") && tty.contains("it/s") && tty.contains("loss_g="))
      #expect(tty.contains("\r\u{1B}[K"))
      #expect(tty.contains("epoch 2/4") && tty.contains("epoch 4/4") && tty.contains("trained"))
      let plainEnvironments: [[String: String?]] = [["TERM": "xterm", "NO_COLOR": "1"], ["TERM": "dumb", "NO_COLOR": nil]]
      for environment in plainEnvironments {
        guard let plain = onTerminal(environment) else { return }
        #expect(!plain.contains("it/s") && !plain.contains("\u{1B}"), "\(environment): \(plain.debugDescription)")
        #expect(plain.contains("epoch 4/4") && plain.contains("trained"))
      }
      let (status, piped) = ExecutableTests().run(["-e", Self.script])
      #expect(status == 0)
      #expect(!piped.contains("it/s") && !piped.contains("\r") && !piped.contains("\u{1B}"), "\(piped.debugDescription)")
      #expect(piped.contains("epoch 2/4") && piped.contains("trained"))
    }
  }
}
