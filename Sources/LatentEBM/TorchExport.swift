// Export to PyTorch: a folder with model.py, train.py, weights.safetensors and a README, from
// which torchrun trains the model on GPUs and writes checkpoints lebm loads again.
import Engine
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
  /// returns the paths written. `trainer` supplies the training state (and the settings, unless
  /// `config` is given); without one the files start from step 0. train.py carries `config` when
  /// given, else the trainer's settings, else the defaults (``ratesNote(_:epoch:hasEnergy:)`` says
  /// which learning rates that gives).
  ///
  /// A folder that exists and holds anything is refused unless `overwrite` is true. Every file
  /// is written first into a new temporary folder beside `folder` (`.NAME.<pid>-<random>.lebm-tmp`),
  /// which is then renamed into place (a missing or empty folder) or whose files replace the
  /// folder's one by one, each atomically (`overwrite`); a failure midway leaves nothing partial.
  /// - Throws: ``LatentEBMError`` naming the folder when it cannot be made, is a file or is not
  ///   empty, or the model when its energy is a custom or script function (model.py could not
  ///   rebuild it).
  @discardableResult
  public static func write(
    _ model: LatentEBM, trainer: Trainer? = nil, config: TrainConfig? = nil, to folder: String,
    overwrite: Bool = false
  ) throws -> [String] {
    if model.energyNet?.record?.kind == EnergyRecord.scriptKind {
      throw LatentEBMError.invalidArgument(
        "the energy is a script function, which model.py cannot rebuild; export a model whose energy is an energy_net or residual_energy_net (save keeps a script energy's weights)")
    }
    let record = try Checkpoint.modelRecord(model)
    let settings = config ?? trainer?.config ?? TrainConfig()
    let texts = [
      TorchTemplates.model.replacing("{{RECORD}}", with: try Checkpoint.encodedRecord(record, "model")),
      TorchTemplates.train.replacing("    # {{SETTINGS}}", with: settingsLines(settings)),
      readme(model, trainer: trainer),
    ]
    func text(_ t: String) -> (String) throws -> Void {
      { path in
        do throws(FileError) { try writeFile(path, Array(t.utf8)) } catch {
          throw LatentEBMError.invalidArgument("cannot write '\(path)': \(error.problem)")
        }
      }
    }
    let writers: [(String) throws -> Void] = [
      text(texts[0]), text(texts[1]), { try Checkpoint.save(model, trainer: trainer, to: $0) }, text(texts[2]),
    ]
    return try install(Array(zip(files, writers)), into: folder, overwrite: overwrite)
  }

  /// The learning rates train.py starts from, in a sentence: `lr · lr_decay^epoch` for each net,
  /// as `Run.apply_schedule` sets them from its SETTINGS and the checkpoint's epoch.
  public static func ratesNote(_ c: TrainConfig, epoch: Int, hasEnergy: Bool) -> String {
    let factor = epoch > 0 && c.lrDecay != 1 ? Float(pow(Double(c.lrDecay), Double(epoch))) : 1
    var rates = "lr_g=\(formatScalar(c.lrG))"
    if hasEnergy { rates += ", lr_e=\(formatScalar(c.lrE))" }
    var note = "train.py trains with \(rates)"
    if factor != 1 {
      note += ", decayed by lr_decay^epoch = \(formatScalar(c.lrDecay))^\(epoch) = \(formatScalar(factor)) at its start (epoch \(epoch))"
    } else if c.lrDecay != 1 {
      note += ", decaying by \(formatScalar(c.lrDecay)) per epoch"
    }
    return note
  }

  /// Writes each of `writers` (a file name and what writes it to a path) into a temporary folder
  /// beside `folder`, then puts them into `folder` (see ``write(_:trainer:config:to:overwrite:)``);
  /// the paths in `folder`. On any error the temporary folder is removed and `folder` is as it was.
  static func install(
    _ writers: [(name: String, write: (String) throws -> Void)], into folder: String, overwrite: Bool
  ) throws -> [String] {
    guard !folder.isEmpty else { throw LatentEBMError.invalidArgument("no folder given (the path is empty)") }
    var trimmed = folder
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
    let target = resolvingLinks(trimmed)
    let existing = try checkTarget(target, shown: folder, writers.map(\.name), overwrite: overwrite)
    let (parent, name) = splitPath(target)
    if !parent.isEmpty { try makeFolder(parent, shown: folder) }
    let staging = (parent.isEmpty ? "" : parent + "/") + "." + name + ".\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).lebm-tmp"
    guard mkdir(staging, 0o755) == 0 else {
      throw LatentEBMError.invalidArgument("cannot export to '\(folder)': cannot make the folder '\(staging)': \(errnoMessage())")
    }
    do {
      for (file, write) in writers { try write(staging + "/" + file) }
      if existing {
        for (file, _) in writers {
          guard rename(staging + "/" + file, target + "/" + file) == 0 else {
            throw LatentEBMError.invalidArgument("cannot replace '\(target)/\(file)': \(errnoMessage())")
          }
        }
        try? removeTree(staging)
      } else {
        guard rename(staging, target) == 0 else {
          throw LatentEBMError.invalidArgument("cannot export to '\(folder)': cannot move the files into place: \(errnoMessage())")
        }
      }
    } catch {
      try? removeTree(staging)
      throw error
    }
    return writers.map { folder.hasSuffix("/") ? folder + $0.name : folder + "/" + $0.name }
  }

  /// Checks the export's target folder: whether it exists (then it must be a folder, empty unless
  /// `overwrite`, and each of `names` in it a regular file when there). Nothing is changed.
  static func checkTarget(_ target: String, shown folder: String, _ names: [String], overwrite: Bool) throws -> Bool {
    var st = stat()
    guard stat(target, &st) == 0 else { return false }
    guard (st.st_mode & S_IFMT) == S_IFDIR else {
      throw LatentEBMError.invalidArgument("cannot export to '\(folder)': it is a file, not a folder")
    }
    let entries: [String]
    do { entries = try listDirectory(target).map(\.name).sorted() } catch {
      throw LatentEBMError.invalidArgument("cannot export to '\(folder)': \(error.problem)")
    }
    if entries.isEmpty { return false }
    guard overwrite else {
      let shown = entries.prefix(4).joined(separator: ", ") + (entries.count > 4 ? ", …" : "")
      throw LatentEBMError.invalidArgument(
        "cannot export to '\(folder)': the folder is not empty (it holds \(shown)); pass overwrite: true (lebm export: --overwrite) to replace \(names.joined(separator: ", ")) in it")
    }
    for file in names {
      do { try refuseNonRegularTarget(target + "/" + file) } catch {
        throw LatentEBMError.invalidArgument("cannot export to '\(folder)': '\(file)' \(error.problem)")
      }
    }
    return true
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

  /// Makes `folder` and its parents; a file in the way or a failing `mkdir` is an error naming
  /// `shown` (the folder the export was asked for).
  static func makeFolder(_ folder: String, shown: String) throws {
    var prefix = folder.hasPrefix("/") ? "/" : ""
    for part in folder.split(separator: "/") {
      prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
      if isDirectory(prefix) { continue }
      var info = stat()
      if stat(prefix, &info) == 0 {
        throw LatentEBMError.invalidArgument("cannot export to '\(shown)': '\(prefix)' is a file, not a folder")
      }
      guard mkdir(prefix, 0o755) == 0 || errno == EEXIST else {
        throw LatentEBMError.invalidArgument("cannot make the folder '\(prefix)': \(errnoMessage())")
      }
    }
  }
}
