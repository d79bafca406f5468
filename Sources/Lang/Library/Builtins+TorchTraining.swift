// `train(m, data, on: "torch", device: "cuda")`: the model's training handed to its PyTorch
// export (LatentEBM's TorchTraining), with train.py's progress shown as `train` shows its own.
import Engine
import LatentEBM
import Support

extension ModelRows {
  /// `train` on PyTorch: checks the call and the Python first (torch importable, the device
  /// usable), then runs train.py; its steps update the progress line, its epochs print the epoch
  /// lines, and its last checkpoint becomes the model's state (weights in place, step, epoch,
  /// Adam's moments, chains, history). Ctrl-C stops train.py after the iteration under way; the
  /// model keeps what it wrote, and the message says how many steps.
  static func torchTraining(_ a: Args) throws -> Value {
    for (name, own) in [("callback", "callback(epoch, stats) runs between lebm's epochs"), ("watch", "watch: looks at the model between lebm's epochs")]
    where !a.isNone(name) && !(name == "watch" && (try? a.int("watch")) == 0) {
      throw a.fail("\(name): is for on: \"lebm\" (\(own)); train.py's epochs run outside lebm")
    }
    guard try a.bool("shuffle") else { throw a.fail("shuffle: false is for on: \"lebm\"; train.py shuffles every epoch") }
    if try a.model("model").model.encoder != nil {
      throw a.fail("on: \"torch\" does not train an encoder (amortized inference) yet; train this model with on: \"lebm\"")
    }
    let device = a.isNone("device") ? nil : try a.string("device")
    if let device { try TorchTraining.checkDevice(device) }
    var run = TorchTraining(device: device ?? "cuda", epochs: try a.int("epochs"), batch: try a.int("batch"),
                            seed: Int(a.interpreter.rng.next() % 1_000_000))
    // Before any work: torch importable and the device usable (the default: CUDA when this torch
    // sees it, else the CPU).
    if device == nil, (try? run.probe()) == nil { run.device = "cpu" }
    if device != nil || run.device == "cpu" { _ = try run.probe() }
    return try withCallSettings(a) { m, t in
      let every = try a.int("every"), data = try a.tensor("data")
      let live = every > 0 ? LiveProgress.make(a.interpreter.host.progress) : nil
      defer { live?.finish() }
      let shown = m.model.energyNet == nil ? ["loss_g"] : ["loss_g", "loss_e", "en_pos", "en_neg"]
      let stepsBefore = t.step, epochs = run.epochs
      var done = 0, total = 0
      let ran: (trainer: Trainer, outcome: TorchTraining.Outcome)
      do {
        ran = try run.run(m.model, trainer: t, data: data, interrupted: { Interrupt.consume() }) { event in
          switch event {
          case .step(let d, let n, let values):
            (done, total) = (d, n)
            live?.update(done: d, total: n, values: values.filter { shown.prefix(2).contains($0.0) })
          case .epoch(let epoch, let step, let seconds, let means):
            guard every > 0, epoch % every == 0 || epoch == epochs else { return }
            let values = shown.map { k in (k, means.first { $0.0 == k }?.1 ?? .nan) }
            live?.clear()
            a.write(EpochLine.format(epoch: epoch, epochs: epochs, step: step, lastStep: stepsBefore + total, values: values, seconds: seconds) + "\n")
          case .line(let line):
            if every > 0 && line.hasPrefix("compile:") {
              live?.clear()
              a.write("train.py on \(run.device): \(line)\n")
            }
          }
        }
      } catch is Interrupted {
        throw InterruptedWork(total == 0 ? "interrupted before train.py's first step; the model is as it was"
                                         : interruptionMessage(done: 0, total: total, stepsBefore: stepsBefore))
      }
      let (next, outcome) = ran
      m.adopt(next)
      if outcome.interrupted {
        throw InterruptedWork(interruptionMessage(done: outcome.steps, total: max(total, done), stepsBefore: stepsBefore))
      }
      return m.historyValue
    }
  }
}
