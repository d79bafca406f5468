// Tensors to and from files other programs read: safetensors for NumPy and PyTorch, NumPy's .npy,
// CSV, and the weights of a PyTorch state_dict. The formats themselves live below Lang:
// `Safetensors` and `StateDict` in LatentEBM, `NPY` and `csvText` in Datasets. docs/pytorch.md shows the Python side.
import Datasets
import Engine
import LatentEBM
import Support

extension BuiltinGroup {
  /// Files: safetensors, .npy, CSV, PyTorch weights.
  public static var files: BuiltinGroup {
    BuiltinGroup(name: "files", summary: "tensors to and from NumPy and PyTorch: safetensors, .npy, CSV, state_dicts",
                 builtins: FileBuiltins.rows)
  }
}

/// The rows of the `files` group, then the code behind them.
private enum FileBuiltins {
  static var rows: [Builtin] {
    [
      Builtin("save_tensors", params: [Param("tensors", .record), Param("path", .string), Param("metadata", .optional(.record), default: .none)],
              doc: """
                Writes a record of tensors as a safetensors file (F32) for NumPy and PyTorch.
                The tensors are named by the record's keys, in its order; the file is written atomically. metadata: a record of strings stored in the header's __metadata__. Returns the path.
                Python: safetensors.numpy.load_file(path) or safetensors.torch.load_file(path) gives {name: array}.
                """,
              impl: saveTensors),
      Builtin("load_tensors", params: [Param("path", .string)],
              doc: """
                Reads a safetensors file as a record of tensors (F32; F16, BF16 and F64 converted).
                The record is {name: tensor} in the order of the file's data. F32, F16 and BF16 are read exactly, F64
                rounded to the nearest Float32 (a finite value beyond its range is an error); other dtypes are an error
                naming the tensor. Names with dots are read as r["energy.0.weight"].
                """,
              impl: loadTensors),
      Builtin("save_npy", params: [Param("x", .tensor), Param("path", .string)],
              doc: """
                Writes a tensor as a NumPy .npy file: float32, little-endian, C order, atomically. Returns the path.
                Python: numpy.load(path) gives the array of x's shape; numpy.load(path, mmap_mode="r") maps it without reading it all
                (export_torch's train.py reads a .npy that way).
                """,
              impl: saveNPY),
      Builtin("load_npy", params: [Param("path", .string)],
              doc: """
                Reads a NumPy .npy file as a tensor of its shape, converted to Float32.
                Takes f4 exactly, f2 exactly, f8 rounded (a finite value beyond Float32's range is an error), and integers i1–i8,
                u1–u8 (bytes stay 0–255: scale them yourself); either byte order. Fortran order, object arrays, structured and
                other dtypes, and a header or size that does not match the file are errors naming the file.
                Python: numpy.save(path, a).
                """,
              impl: loadNPY),
      Builtin("write_csv", params: [Param("t", .tensor), Param("path", .string), Param("header", .optional(.list), default: .none)],
              doc: """
                Writes a 1-D or 2-D tensor as CSV, with an optional header row.
                A 1-D tensor is one column; header: a list of column names, one per column. The file is written atomically.
                Values are written so they read back to the same Float32. Returns the path.
                """,
              impl: writeCSV),
      Builtin("load_weights", params: [Param("model"), Param("path", .string), Param("prefix", .string, default: .string(""))],
              doc: """
                Loads a PyTorch state_dict (safetensors) into a model, energy net or generator.
                The weights are copied in place. The file tensor prefix + NAME fills lebm's parameter NAME (a model's names are energy.0.weight, …,
                generator.0.weight, …, encoder.0.weight, …; a net's are 0.weight, …; see docs/pytorch.md), with the same shape (F16, BF16,
                F64 converted). Every parameter must be found and every file tensor under the prefix used; otherwise
                the error lists the missing, unexpected and mismatched names and nothing changes. Returns the count.
                """,
              impl: loadWeights),
    ]
  }

  /// Runs a file builtin, telling the lower layers' errors as its own: "load_tensors: x.st: …".
  static func reporting<T>(_ a: Args, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as LatentEBMError {
      throw a.fail(e.description)
    } catch let e as DatasetError {
      if case let .invalidArgument(_, m) = e { throw a.fail(m) }
      throw a.fail(e.description)
    } catch let e as FileError {
      throw a.fail(e.description)
    } catch let e as TensorError {
      throw a.fail(e.description)
    }
  }

  static func saveTensors(_ a: Args) throws -> Value {
    guard case .record(let r) = a["tensors"] else { throw a.fail("'tensors' must be a record of tensors") }
    var tensors: [(String, Tensor)] = []
    for (name, v) in r.pairs {
      guard let t = try? tensorFrom(v) else { throw a.fail("'\(name)' must be a tensor, got \(shown(v))") }
      tensors.append((name, t))
    }
    var metadata: [String: String] = [:]
    if case .record(let m) = a["metadata"] {
      for (key, v) in m.pairs {
        guard case .string(let s) = v else { throw a.fail("metadata '\(key)' must be a string, got \(shown(v))") }
        metadata[key] = s
      }
    }
    let path = try a.outputPath()
    makeParentFolders(path)
    try reporting(a) { try Safetensors.write(tensors, metadata: metadata, to: path) }
    return .string(path)
  }

  static func loadTensors(_ a: Args) throws -> Value {
    let path = try a.string("path")
    let (tensors, _) = try reporting(a) { try Safetensors.readTensors(path) }
    return .record(Record(tensors.map { ($0.name, .tensor($0.tensor)) }))
  }

  static func saveNPY(_ a: Args) throws -> Value {
    let t = try a.tensor("x")
    let path = try a.outputPath()
    makeParentFolders(path)
    try reporting(a) { try NPY.write(t, to: path) }
    return .string(path)
  }

  static func loadNPY(_ a: Args) throws -> Value {
    let path = try a.string("path")
    return .tensor(try reporting(a) { try NPY.read(path) })
  }

  static func writeCSV(_ a: Args) throws -> Value {
    let t = try a.tensor("t")
    var header: [String]? = nil
    if case .list(let names) = a["header"] {
      header = try names.map { v in
        guard case .string(let s) = v else { throw a.fail("'header' must be a list of strings, got \(shown(v)) in it") }
        return s
      }
    }
    let path = try a.outputPath()
    let text = try reporting(a) { try csvText(t, header: header) }
    makeParentFolders(path)
    try reporting(a) { try writeFileAtomically(path, Array(text.utf8)) }
    return .string(path)
  }

  static func loadWeights(_ a: Args) throws -> Value {
    let parameters: [(String, Tensor)]
    switch a["model"] {
    case .opaque(let m as ModelHandle): parameters = try reporting(a) { try StateDict.parameters(of: m.model) }
    case .opaque(let e as EnergyNetHandle):
      guard let named = e.net.namedParameters else { throw a.fail("a custom energy function has no named weights to load") }
      parameters = named
    case .opaque(let g as GeneratorHandle): parameters = g.generator.net.namedParameters
    default:
      throw a.fail("'model' must be a model made by latent_ebm(...), an energy net or a generator, got \(shown(a["model"]))")
    }
    let path = try a.string("path"), prefix = try a.string("prefix")
    let count = try reporting(a) { try StateDict.load(path, into: parameters, prefix: prefix) }
    return .number(Double(count))
  }
}
