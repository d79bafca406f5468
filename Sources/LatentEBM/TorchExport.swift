// Export to PyTorch: a folder with model.py, train.py, weights.safetensors and a README, from
// which torchrun trains the model on GPUs and writes checkpoints lebm loads again.
import Glibc
import Support

/// Writes a latent EBM and its training as a PyTorch project (docs/pytorch.md, "Export to
/// PyTorch"): `model.py` (the nets under the checkpoint's names and the two Langevin samplers),
/// `train.py` (the learning iteration with the model's settings, DistributedDataParallel under
/// torchrun), `weights.safetensors` (a checkpoint: the weights and, when the model has trained,
/// Adam's moments, the step and epoch) and `README.md`. The Python is filled from
/// ``TorchTemplates``; the same model and settings always give the same files.
public enum TorchExport {
  /// The files an export writes, in order.
  public static let files = ["model.py", "train.py", "weights.safetensors", "README.md"]

  /// Writes the export of `model` into `folder` (made, with its parents, when missing) and
  /// returns the paths written. `trainer` supplies the settings and the training state; without
  /// one the files carry `config` and start from step 0.
  /// - Throws: ``LatentEBMError`` naming the folder when it cannot be made or is a file, or the
  ///   model when its energy is a custom function (it cannot be saved).
  @discardableResult
  public static func write(
    _ model: LatentEBM, trainer: Trainer? = nil, config: TrainConfig = TrainConfig(), to folder: String
  ) throws -> [String] {
    let record = try Checkpoint.modelRecord(model)
    try makeFolder(folder)
    let settings = trainer?.config ?? config
    let paths = files.map { folder.hasSuffix("/") ? folder + $0 : folder + "/" + $0 }
    try Checkpoint.save(model, trainer: trainer, to: paths[2])
    let texts = [
      TorchTemplates.model.replacing("{{RECORD}}", with: try record.encoded()),
      TorchTemplates.train.replacing("    # {{SETTINGS}}", with: settingsLines(settings)),
      readme(model, trainer: trainer),
    ]
    for (path, text) in zip([paths[0], paths[1], paths[3]], texts) {
      do { try writeFileAtomically(path, Array(text.utf8)) } catch {
        throw LatentEBMError.invalidArgument("cannot write '\(path)': \(error.problem)")
      }
    }
    return paths
  }

  /// `    "lr_g": 0.0001,  # Adam learning rate of the generator g_β`, one line per setting of
  /// ``TrainConfig/table``, as Python.
  static func settingsLines(_ c: TrainConfig) -> String {
    zip(TrainConfig.table, c.values).map { s, v in
      "    \"\(s.name)\": \(python(v.value)),  # \(s.doc)"
    }.joined(separator: "\n")
  }

  /// A JSON value of a setting as a Python literal.
  static func python(_ v: JSONValue) -> String {
    switch v {
    case .null: return "None"
    case let .bool(b): return b ? "True" : "False"
    case let .integer(i): return "\(i)"
    case let .unsigned(u): return "\(u)"
    case let .number(d): return "\(d)"
    case let .string(s): return pythonString(s)
    case .array, .object: return (try? v.encoded()) ?? "None"
    }
  }

  /// `s` as a Python string literal: `"…"` with backslashes, quotes and control characters
  /// escaped, so no text (a path, a name) can end the literal or become code.
  static func pythonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where u.value < 0x20 || u.value == 0x7F || (0x80..<0xA0).contains(u.value)
        || u.value == 0x2028 || u.value == 0x2029:
        out += u.value <= 0xFF ? "\\x" + hex(u.value, 2) : "\\u" + hex(u.value, 4)
      default: out.unicodeScalars.append(u)
      }
    }
    return out + "\""
  }

  static func hex(_ v: UInt32, _ digits: Int) -> String {
    let h = String(v, radix: 16)
    return String(repeating: "0", count: max(0, digits - h.count)) + h
  }

  static func readme(_ model: LatentEBM, trainer: Trainer?) -> String {
    let kind = model.energyNet == nil ? "A Gaussian-prior generator" : "A latent space EBM prior model"
    let state = trainer.map { " and the training state after step \($0.step) (epoch \($0.epoch), Adam's moments)" } ?? ""
    return TorchTemplates.readme.replacing("{{SUMMARY}}", with: kind + " for PyTorch")
      .replacing("{{DESCRIPTION}}", with: model.description).replacing("{{STATE}}", with: state)
  }

  /// Makes `folder` and its parents; a file in the way or a failing `mkdir` is an error naming it.
  static func makeFolder(_ folder: String) throws {
    guard !folder.isEmpty else { throw LatentEBMError.invalidArgument("no folder given (the path is empty)") }
    var prefix = folder.hasPrefix("/") ? "/" : ""
    for part in folder.split(separator: "/") {
      prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
      if isDirectory(prefix) { continue }
      var info = stat()
      if stat(prefix, &info) == 0 {
        throw LatentEBMError.invalidArgument("cannot export to '\(folder)': '\(prefix)' is a file, not a folder")
      }
      guard mkdir(prefix, 0o755) == 0 || errno == EEXIST else {
        throw LatentEBMError.invalidArgument("cannot make the folder '\(prefix)': \(errnoMessage())")
      }
    }
  }
}
