// Training on PyTorch from lebm (`train(m, data, on: "torch", device: "cuda")`): the model is
// exported to a temporary folder, train.py runs there under the Python of LEBM_PYTHON, its
// progress lines come back as events, and its last checkpoint is read back into the model.
import Datasets
import Engine
import Glibc
import Support

/// One run of an exported model's train.py, driven from lebm (docs/pytorch.md, "Training on
/// PyTorch from lebm"). The data go to train.py as a float32 `.npy`; train.py prints an
/// `@lebm {json}` line after every iteration and epoch (`--progress`), which ``run(_:trainer:data:onEvent:)``
/// turns into ``Event``s; its final checkpoint comes back through
/// ``Checkpoint/resume(_:into:)``, so the model keeps its identity (the same weights, now trained)
/// and gets the trainer train.py left: step, epoch, Adam's moments, chains and the history.
public struct TorchTraining {
  /// The Python that runs train.py (`LEBM_PYTHON`, else `python3`).
  public var python: String
  /// The PyTorch device: `cpu`, `cuda`, `cuda:N` or `mps`.
  public var device: String
  public var epochs: Int
  public var batch: Int
  /// train.py's `--seed` (the chains' noise and the shuffling).
  public var seed: Int
  /// Extra arguments for train.py (`--compile none`, `--precision bf16`, …).
  public var arguments: [String] = []

  /// What train.py reports while it runs.
  public enum Event {
    /// Iteration `done` of `total` finished, with its statistics (loss_g, loss_e, …).
    case step(done: Int, total: Int, values: [(String, Double)])
    /// Epoch `epoch` of the run ended at the model's step `step`, `seconds` into the run, with the
    /// means of its statistics.
    case epoch(epoch: Int, step: Int, seconds: Double, means: [(String, Double)])
    /// Any other line train.py printed (what it runs on, how it compiled).
    case line(String)
  }

  /// How a run ended: the steps it added, and whether Ctrl-C stopped it.
  public struct Outcome {
    public var steps: Int
    public var interrupted: Bool
  }

  /// The Python `LEBM_PYTHON` names, else `python3`.
  public static var defaultPython: String {
    if let p = environmentValue("LEBM_PYTHON"), !p.isEmpty { return p }
    return "python3"
  }

  public init(python: String = TorchTraining.defaultPython, device: String, epochs: Int, batch: Int, seed: Int) {
    self.python = python; self.device = device; self.epochs = epochs; self.batch = batch; self.seed = seed
  }

  /// Checks a device name's form: `cpu`, `cuda`, `cuda:N`, `mps`.
  /// - Throws: ``LatentEBMError`` naming the device and the forms taken.
  public static func checkDevice(_ device: String) throws {
    let index = device.hasPrefix("cuda:") ? device.dropFirst(5) : ""
    guard ["cpu", "cuda", "mps"].contains(device) || (!index.isEmpty && index.allSatisfy(\.isASCII) && Int(index) != nil && !index.hasPrefix("-")) else {
      throw LatentEBMError.invalidArgument("unknown device '\(device)' (cpu, cuda, cuda:N or mps)")
    }
  }

  /// Asks the Python whether it has torch, safetensors and numpy and whether torch can put a
  /// tensor on the device, before any work starts; the torch version.
  /// - Throws: ``LatentEBMError`` saying which Python lacks what, or why torch cannot use the device.
  public func probe() throws -> String {
    try Self.checkDevice(device)
    let code = """
      import json, sys
      missing = []
      for name in ("torch", "safetensors", "numpy"):
          try:
              __import__(name)
          except ImportError:
              missing.append(name)
      if missing:
          print(json.dumps({"missing": ", ".join(missing)})); sys.exit(0)
      import torch
      try:
          torch.zeros(1, device=sys.argv[1]) + 1
          why = ""
      except Exception as e:
          why = (str(e).strip().splitlines() or [type(e).__name__])[0]
      print(json.dumps({"torch": torch.__version__, "why": why, "cuda": torch.cuda.is_available()}))
      """
    let p: Subprocess
    do { p = try Subprocess(python, ["-c", code, device]) } catch {
      throw LatentEBMError.invalidArgument("cannot run the Python '\(python)' (LEBM_PYTHON): \(error.problem)")
    }
    var lines: [String] = []
    probing: while true {
      switch p.next(timeout: 120) {
      case .line(let l): lines.append(l)
      case .end: break probing
      case .quiet:
        p.signal(SIGKILL)
        p.wait()
        throw LatentEBMError.invalidArgument("the Python '\(python)' (LEBM_PYTHON) did not answer within 120 s when asked for PyTorch and the device '\(device)'")
      }
    }
    let status = p.wait()
    guard status == 0, let last = lines.last, case .object(let r)? = try? JSONValue.decode(last) else {
      throw LatentEBMError.invalidArgument("the Python '\(python)' (LEBM_PYTHON) failed to start PyTorch (exit status \(status)): \(lines.suffix(3).joined(separator: " | "))")
    }
    if case .string(let missing)? = r["missing"] {
      throw LatentEBMError.invalidArgument(
        "train(on: \"torch\") needs PyTorch, but the Python '\(python)' cannot import \(missing); install torch, safetensors and numpy there (pip install torch safetensors numpy) or set LEBM_PYTHON to a Python that has them")
    }
    let version = r["torch"]?.string ?? "?"
    if let why = r["why"]?.string, !why.isEmpty {
      let cuda = device.hasPrefix("cuda") && r["cuda"] == .bool(false) ? " (torch.cuda.is_available() is False)" : ""
      throw LatentEBMError.invalidArgument("PyTorch \(version) under '\(python)' cannot use the device '\(device)'\(cuda): \(why)")
    }
    return version
  }

  /// Exports the model (with `trainer`'s state and settings) and `data` into a temporary folder,
  /// runs train.py there for ``epochs`` epochs of ``batch``, hands its progress to `onEvent`, and
  /// reads its last checkpoint back into the model; the trainer that now trains it. `interrupted`
  /// is asked about every tenth of a second: when it says yes, train.py gets one SIGINT, finishes
  /// the iteration under way and writes its checkpoint, which is read back as at the end. The
  /// temporary folder is removed.
  /// A second request kills train.py at once.
  /// - Throws: ``LatentEBMError`` when the data are too few for one batch, train.py fails (its
  ///   last lines), or its checkpoint does not fit; `Interrupted` when a stop came before
  ///   train.py wrote its checkpoint (while it started, or by a second request); the model is
  ///   then as it was.
  public func run(
    _ model: LatentEBM, trainer: Trainer, data: Tensor, interrupted: () -> Bool,
    onEvent: (Event) throws -> Void
  ) throws -> (trainer: Trainer, outcome: Outcome) {
    let count = data.rank >= 1 ? data.shape[0] : 0
    guard count >= batch else {
      throw LatentEBMError.invalidArgument("train.py trains on whole batches, but the data hold \(count) examples, fewer than one batch of \(batch)")
    }
    try model.checkData(try data.reshaped([count] + model.generator.outputShape), "the training data")
    let folder: String
    do { folder = try makeTemporaryDirectory(prefix: "lebm-torch") } catch {
      throw LatentEBMError.invalidArgument("cannot make a temporary folder: \(error.problem)")
    }
    defer { try? removeTree(folder) }
    try TorchExport.write(model, trainer: trainer, to: folder + "/export")
    do { try NPY.write(data, to: folder + "/data.npy") } catch {
      throw LatentEBMError.invalidArgument("cannot write the data for train.py: \(error.problem)")
    }
    let stepsBefore = trainer.step
    let p: Subprocess
    do {
      p = try Subprocess(python, ["-u", folder + "/export/train.py", folder + "/data.npy", "--epochs", "\(epochs)",
                                  "--batch", "\(batch)", "--device", device, "--out", folder + "/checkpoints", "--progress",
                                  "--log-every", "0", "--checkpoint-every", "\(Int32.max)", "--seed", "\(seed)"] + arguments)
    } catch {
      throw LatentEBMError.invalidArgument("cannot run the Python '\(python)' (LEBM_PYTHON): \(error.problem)")
    }
    var tail: [String] = [], checkpoint: String? = nil, stopping = false, eventError: Error? = nil
    reading: while true {
      switch p.next(timeout: 0.1) {
      case .end: break reading
      case .quiet: break
      case .line(let line):
        guard line.hasPrefix("@lebm "), case .object(let r)? = try? JSONValue.decode(String(line.dropFirst(6))) else {
          tail = Array((tail + [line]).suffix(12))
          if eventError == nil { do { try onEvent(.line(line)) } catch { eventError = error; stopping = true; p.signal(SIGINT) } }
          continue
        }
        if r["event"]?.string == "end" { checkpoint = r["checkpoint"]?.string }
        guard eventError == nil, let e = Self.event(r) else { continue }
        do { try onEvent(e) } catch { eventError = error; stopping = true; p.signal(SIGINT) }
      }
      if interrupted() {
        // The first Ctrl-C: train.py stops after the iteration under way; a second: at once.
        p.signal(stopping ? SIGKILL : SIGINT)
        stopping = true
      }
    }
    let status = p.wait()
    if stopping && eventError == nil && (checkpoint == nil || status != 130 && status != 0) {
      throw Interrupted()  // stopped before train.py wrote its checkpoint: the model is as it was
    }
    guard let checkpoint, status == 0 || (stopping && status == 130) else {
      throw LatentEBMError.invalidArgument("train.py stopped with exit status \(status)\(tail.isEmpty ? "" : ":\n" + tail.joined(separator: "\n"))")
    }
    let next = try Checkpoint.resume(checkpoint, into: model)
    if let eventError { throw eventError }
    return (next, Outcome(steps: next.step - stepsBefore, interrupted: stopping))
  }

  /// A progress record as an ``Event`` (nil for `end` and unknown ones).
  static func event(_ r: [String: JSONValue]) -> Event? {
    func number(_ k: String) -> Double? { r[k]?.double }
    let names = ["loss_g", "loss_e", "en_pos", "en_neg", "grad_g", "grad_e", "z_pos", "z_neg", "disp_pos", "disp_neg", "mse"]
    let values = names.compactMap { k in number(k).map { (k, $0) } }
    switch r["event"]?.string {
    case "step":
      guard let done = r["done"]?.int, let total = r["total"]?.int else { return nil }
      return .step(done: done, total: total, values: values)
    case "epoch":
      guard let epoch = r["epoch"]?.int, let step = r["step"]?.int else { return nil }
      return .epoch(epoch: epoch, step: step, seconds: number("seconds") ?? 0, means: values)
    default: return nil
    }
  }
}
