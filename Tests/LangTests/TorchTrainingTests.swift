// `train(m, data, on: "torch")`: train.py run from the prompt. Its progress arrives as lebm's own
// while it runs, m carries the new steps and the history, Ctrl-C keeps what train.py wrote, and a
// Python without torch, a device torch cannot use or a bad argument is an error before any work.
// The runs need LEBM_TEST_PYTHON with torch (they set LEBM_PYTHON to it); the checks of the
// arguments do not.
import Engine
import Glibc
import Support
import Testing

@testable import Lang

extension LangSuite {
  @Suite struct TorchTrainingTests {
    /// LEBM_TEST_PYTHON when it imports torch, safetensors and numpy.
    static let python: String? = {
      guard let p = environmentValue("LEBM_TEST_PYTHON"), !p.isEmpty,
            let s = try? Subprocess(p, ["-c", "import torch, safetensors, numpy"]) else { return nil }
      while case .line = s.next(timeout: 60) {}
      return s.wait() == 0 ? p : nil
    }()

    /// A session with a tiny model `m` trained 2 steps in lebm and its data `x` (60 points);
    /// what the output got, and each progress update (its line and when it came).
    final class Session {
      final class Box {
        var out = ""
        var updates: [(line: String, time: Double)] = []
        var onUpdate: () -> Void = {}
      }
      let interp: Interpreter
      let box = Box()
      var out: String { get { box.out } set { box.out = newValue } }
      var updates: [(line: String, time: Double)] { get { box.updates } set { box.updates = newValue } }
      var onUpdate: () -> Void { get { box.onUpdate } set { box.onUpdate = newValue } }
      init() {
        let box = box
        interp = Interpreter(output: { box.out += $0 })
        interp.interruptFlag = InterruptFlag()
        interp.basicHost.progress = .updating(interval: 0, width: 100) {
          { line in box.updates.append((line, monotonicSeconds())); box.onUpdate() }
        }
        let setup = interp.run("""
          seed(1)
          m = latent_ebm(energy_net(latent: 2, hidden: [16]), generator(latent: 2, hidden: [16], out: 2), sigma: 0.3)
          configure(m, prior_steps: 5, posterior_steps: 5)
          x = toy("8gaussians", n: 60, seed: 1)
          train(m, x, epochs: 1, batch: 30, every: 0)
          """)
        #expect(setup.error == nil, "\(String(describing: setup.error))")
      }
      func run(_ source: String) -> String? {
        out = ""
        if case .failure(let e) = interp.run(source) { return e.message }
        return nil
      }
    }

    /// Runs `body` with LEBM_PYTHON set to `python`, then unsets it.
    func with<T>(python: String, _ body: () throws -> T) rethrows -> T {
      setenv("LEBM_PYTHON", python, 1)
      defer { unsetenv("LEBM_PYTHON") }
      return try body()
    }

    @Test func badArgumentsAreErrorsBeforeAnyWork() {
      let s = Session()
      #expect(s.run("train(m, x, on: \"jax\")")?.contains("train: on: must be \"lebm\" or \"torch\", got \"jax\"") == true)
      #expect(s.run("train(m, x, on: \"torch\", device: \"tpu\")")?.contains("unknown device 'tpu' (cpu, cuda, cuda:N or mps)") == true)
      #expect(s.run("train(m, x, on: \"torch\", device: \"cuda:x\")")?.contains("unknown device 'cuda:x'") == true)
      #expect(s.run("train(m, x, device: \"cuda\")")?.contains("device: is for on: \"torch\"") == true)
      #expect(s.run("train(m, x, epochs: 0, on: \"torch\", device: \"cpu\")")?.contains("epochs") == true)
      #expect(s.run("train(m, x, on: \"torch\", device: \"cpu\", callback: fn(e, s) { 0 })")?.contains("callback: is for on: \"lebm\"") == true)
      #expect(s.run("train(m, x, on: \"torch\", device: \"cpu\", shuffle: false)")?.contains("shuffle: false is for on: \"lebm\"") == true)
      // A Python that is not there.
      let missing = with(python: "/nonexistent/python3") { s.run("train(m, x, on: \"torch\", device: \"cpu\")") }
      #expect(missing?.contains("cannot run the Python '/nonexistent/python3' (LEBM_PYTHON)") == true, "\(missing ?? "")")
      #expect(s.run("print(m.steps)") == nil && s.out == "2\n", "the model is as it was")
    }

    /// The system's Python, when it lacks torch: the error says so, and how to fix it.
    @Test func aPythonWithoutTorchIsAClearError() throws {
      let system = "/usr/bin/python3"
      guard access(system, X_OK) == 0, let p = try? Subprocess(system, ["-c", "import torch"]) else { return }
      while case .line = p.next(timeout: 60) {}
      guard p.wait() != 0 else { return }  // this machine's python3 has torch
      let s = Session()
      let message = with(python: system) { s.run("train(m, x, on: \"torch\", device: \"cpu\")") }
      #expect(message?.contains("train(on: \"torch\") needs PyTorch, but the Python '/usr/bin/python3' cannot import torch") == true, "\(message ?? "")")
      #expect(message?.contains("set LEBM_PYTHON") == true)
    }

    @Test(.enabled(if: python != nil, "LEBM_TEST_PYTHON is unset or lacks torch, safetensors or numpy"))
    func trainsOnTorchAndComesBackWithTheHistory() throws {
      let python = try #require(Self.python)
      let s = Session()
      // A device this torch cannot see is refused before any work (a CPU wheel has no CUDA).
      let cuda = with(python: python) { s.run("train(m, x, on: \"torch\", device: \"cuda\")") }
      if let cuda { #expect(cuda.contains("cannot use the device 'cuda'"), "\(cuda)") }
      let before = monotonicSeconds()
      s.updates = []
      let failed = with(python: python) {
        s.run("h = train(m, x, epochs: 3, batch: 20, on: \"torch\", device: \"cpu\", lr_g: 1e-3)")
      }
      let after = monotonicSeconds()
      try #require(failed == nil, "\(failed ?? "")")
      // 3 epochs of 3 batches: a progress update per step, in order, while train.py ran.
      #expect(s.updates.count == 9 && s.updates.last?.line.hasPrefix("100%|██████████| 9/9 [") == true, "\(s.updates.map(\.line))")
      #expect(s.updates.first?.line.hasPrefix(" 11%|█         | 1/9 [") == true)
      #expect(s.updates.allSatisfy { $0.time > before && $0.time < after } && s.updates[0].time < s.updates[8].time)
      #expect(s.out.contains("train.py on cpu: compile: none (eager); precision fp32"), "\(s.out)")
      #expect(s.out.contains("epoch 1/3  step  5  loss_g=") && s.out.contains("epoch 3/3  step 11  loss_g="), "\(s.out)")
      // m carries the 2 steps trained here and the 9 of train.py, with their history; the call's
      // lr_g held for that call only.
      #expect(s.run("print(m.steps, m.epochs, h.step, len(m.history.loss_g), m.config.lr_g)") == nil)
      #expect(s.out == "11 4 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] 11 0.0001\n", "\(s.out)")
      // And it trains on in lebm from there.
      #expect(s.run("train(m, x, epochs: 1, batch: 30, every: 0)\nprint(m.steps)") == nil && s.out == "13\n", "\(s.out)")
    }

    @Test(.enabled(if: python != nil, "LEBM_TEST_PYTHON is unset or lacks torch, safetensors or numpy"))
    func ctrlCKeepsWhatTrainPyWrote() throws {
      let python = try #require(Self.python)
      let s = Session()
      let flag = s.interp.interruptFlag, box = s.box
      s.onUpdate = { if box.updates.count == 2 { flag.request() } }
      let message = with(python: python) { s.run("train(m, x, epochs: 200, batch: 20, on: \"torch\", device: \"cpu\")") }
      let text = try #require(message)
      // train.py finishes the iteration under way (the second, or one more) and writes its checkpoint.
      #expect(text.hasPrefix("interrupted after step ") && text.contains(" of 600; the model keeps those "), "\(text)")
      let kept = Int(text.split(separator: " ")[3]) ?? -1
      #expect((2...4).contains(kept), "\(text)")
      #expect(s.run("print(m.steps, len(m.history.step))") == nil && s.out == "\(2 + kept) \(2 + kept)\n", "\(s.out)")
    }
  }
}
