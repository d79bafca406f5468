// A call's setting keywords (train, train_step, export_torch) hold for that call only: the model's
// own settings come back after it, also when the call fails or is interrupted part way.
import Engine
import Testing

@testable import Lang

extension LangSuite {
  @Suite struct CallSettingsTests {
    /// An interpreter holding a tiny model `m` and its data `x`; a line of output "stop!" asks
    /// for an interruption, as Ctrl-C would.
    func session() -> (Interpreter, () -> String) {
      final class Box { var out = "" }
      let box = Box(), flag = InterruptFlag()
      let interp = Interpreter(output: { text in
        box.out += text
        if text.contains("stop!") { flag.request() }
      })
      interp.interruptFlag = flag
      let setup = interp.run("""
        seed(1)
        m = latent_ebm(energy_net(latent: 2, hidden: [8]), generator(latent: 2, hidden: [8], out: 2))
        x = toy("8gaussians", n: 40, seed: 1)
        """)
      #expect(setup.error == nil)
      return (interp, { defer { box.out = "" }; return box.out })
    }

    @Test func aFailingCallPutsTheModelsSettingsBack() {
      let (interp, output) = session()
      // The callback fails after the first epoch, which ran at the call's settings.
      let failed = interp.run("""
        train(m, x, epochs: 3, batch: 20, every: 0, lr_g: 0.5, prior_steps: 2, callback: fn(e, s) { print(m.config.lr_g, m.config.prior_steps); assert(false, "no more") })
        """)
      #expect(failed.error?.message.contains("no more") == true)
      #expect(output() == "0.5 2\n")
      _ = interp.run("print(m.config.lr_g, m.config.prior_steps, m.steps)")
      #expect(output() == "0.0001 60 2\n")
    }

    @Test func anInterruptedCallPutsTheModelsSettingsBack() {
      let (interp, output) = session()
      let stopped = interp.run("""
        train(m, x, epochs: 5, batch: 20, every: 0, lr_e: 0.01, posterior_steps: 3, callback: fn(e, s) { print("stop!") })
        """)
      #expect(stopped.error?.kind == .interrupted)
      _ = output()
      _ = interp.run("print(m.config.lr_e, m.config.posterior_steps, m.epochs)")
      #expect(output() == "2e-05 20 1\n")
    }
  }
}
