// Datasets as builtins: toy 2-D sets, Fashion-MNIST and any IDX file, CIFAR-10, PNG folders, CSV;
// mini-batches, splits and label filters. The handles they return are in Handles+Data.swift.
import Datasets
import Engine

extension Args {
  /// A dataset argument; a plain tensor becomes an unlabelled dataset.
  func dataset(_ p: String) throws -> Dataset {
    switch self[p] {
    case .opaque(let o as DatasetHandle): return o.dataset
    case .tensor(let t): return try Dataset(name: "tensor", x: t)
    default: throw fail("'\(p)' must be a dataset or a tensor, got \(shown(self[p]))")
    }
  }

  func seedValue(_ p: String) throws -> UInt64 {
    if isNone(p) { return interpreter.rng.next() }
    let s = try int(p)
    guard s >= 0 else { throw fail("'\(p)' must be a non-negative integer, got \(s)") }
    return UInt64(s)
  }

  func split(_ p: String) throws -> Split {
    let s = try string(p)
    guard let v = Split(rawValue: s) else { throw fail("'\(p)' must be \"train\" or \"test\", got \"\(s)\"") }
    return v
  }
}

/// The same kind of value as the argument: a dataset stays a dataset, a tensor a tensor.
func likeInput(_ original: Value, _ d: Dataset) -> Value {
  if case .tensor = original { return .tensor(d.x) }
  return .opaque(DatasetHandle(d))
}

extension BuiltinGroup {
  /// Data: toy sets, image datasets, CSV, batches, splits, label filters.
  public static var data: BuiltinGroup {
    BuiltinGroup(name: "data", summary: "datasets, mini-batches, splits", builtins: DataBuiltins.loaders + DataBuiltins.transforms)
  }
}

/// The rows of the `data` group, then the code behind them.
private enum DataBuiltins {
  /// Loaders: toy sets, image datasets, CSV.
  static var loaders: [Builtin] {
    [
      Builtin("toy", params: [Param("name", .string), Param("n", .positiveInt, default: .number(5000)),
                              Param("seed", .optional(.nonNegativeInt), default: .none), Param("std", .optional(.number), default: .none)],
              doc: """
                A toy 2-D dataset as an [n, 2] tensor, drawn with a seed (the default generator's next when none):
                8gaussians (centres on a circle of radius 2, std 0.1), 25gaussians, pinwheel, swissroll, moons,
                rings, checkerboard. std overrides the set's noise.
                """,
              impl: toy),
      Builtin("toy_centres", params: [Param("name", .string, default: .string("8gaussians"))],
              doc: """
                The mode centres of a mixture toy set as a [K, 2] tensor: 8gaussians (radius 2, angles 0, π/4, …)
                or 25gaussians (the grid {−2, …, 2}²). For mode_coverage.
                """,
              impl: toyCentres),
      Builtin("fashion_mnist", params: [Param("split", .string, default: .string("train")),
                                        Param("root", .string, default: .string("/usr/share/datasets/fashion-mnist"))],
              doc: "Fashion-MNIST ([N, 1, 28, 28] in [−1, 1], labels 0–9) from Debian's dataset-fashion-mnist package.",
              impl: fashionMNIST),
      Builtin("idx", params: [Param("images", .string), Param("labels", .optional(.string), default: .none)],
              doc: "Any MNIST-format IDX file (raw or gzip), with an optional labels file: images [N, 1, H, W] in [−1, 1].",
              impl: idx),
      Builtin("cifar10", params: [Param("path", .string), Param("split", .string, default: .string("train"))],
              doc: "CIFAR-10 binary batches from a folder (data_batch_*.bin / test_batch.bin): [N, 3, 32, 32] in [−1, 1].",
              impl: cifar10),
      Builtin("png_folder", params: [Param("path", .string), Param("channels", .optional(.positiveInt), default: .none)],
              doc: "A folder of PNGs (or of class subfolders) as [N, C, H, W] in [−1, 1]; channels 1 or 3 converts.",
              impl: pngFolder),
      Builtin("csv", params: [Param("path", .string), Param("label_column", .optional(.nonNegativeInt), default: .none),
                              Param("header", .optional(.bool), default: .none)],
              doc: "A CSV file of numbers as [N, D] (header row detected; label_column taken out as labels).",
              impl: csv),
    ]
  }

  /// Transforms: mini-batches, splits, label filters, prefixes.
  static var transforms: [Builtin] {
    [
      Builtin("batches", params: [Param("data", .any), Param("size", .positiveInt, default: .number(100)),
                                  Param("shuffle", .bool, default: .bool(false)), Param("seed", .optional(.nonNegativeInt), default: .none)],
              doc: "The mini-batches of one pass over data (tensors [size, …]; the last may be smaller), for `for x in batches(...)`.",
              impl: batches),
      Builtin("split", params: [Param("data", .any), Param("fraction", .number, default: .number(0.8)),
                                Param("seed", .optional(.nonNegativeInt), default: .none)],
              doc: "Shuffles with a seed and splits into [first fraction, rest] (datasets keep their labels).",
              impl: split),
      Builtin("filter_labels", params: [Param("data", .any), Param("labels", .intList)],
              doc: "The examples whose label is in the list.",
              impl: filterLabels),
      Builtin("exclude_labels", params: [Param("data", .any), Param("labels", .intList)],
              doc: "The examples whose label is not in the list (held-out-class experiments).",
              impl: excludeLabels),
      Builtin("take", params: [Param("data", .any), Param("n", .nonNegativeInt)],
              doc: "The first n examples (all when fewer).",
              impl: take),
    ]
  }

  // MARK: - Loaders

  static func toy(_ a: Args) throws -> Value {
    let d = try Dataset.toy(try a.string("name"), n: try a.int("n"), seed: try a.seedValue("seed"), std: try a.optionalFloat("std"))
    return .tensor(d.x)
  }

  static func toyCentres(_ a: Args) throws -> Value {
    let name = try a.string("name")
    let centres: [(Float, Float)]
    switch name {
    case "8gaussians": centres = Toy.eightCentres
    case "25gaussians": centres = (0..<25).map { (Float($0 / 5 - 2), Float($0 % 5 - 2)) }
    default: throw a.fail("'name' must be 8gaussians or 25gaussians (the mixtures with centres), got \"\(name)\"")
    }
    return .tensor(try Tensor(shape: [centres.count, 2], scalars: centres.flatMap { [$0.0, $0.1] }))
  }

  static func fashionMNIST(_ a: Args) throws -> Value {
    .opaque(DatasetHandle(try Dataset.fashionMNIST(split: try a.split("split"), root: try a.string("root"))))
  }

  static func idx(_ a: Args) throws -> Value {
    .opaque(DatasetHandle(try Dataset.idx(imagesPath: try a.string("images"), labelsPath: a.isNone("labels") ? nil : try a.string("labels"))))
  }

  static func cifar10(_ a: Args) throws -> Value {
    .opaque(DatasetHandle(try Dataset.cifar10(folder: try a.string("path"), split: try a.split("split"))))
  }

  static func pngFolder(_ a: Args) throws -> Value {
    .opaque(DatasetHandle(try Dataset.pngFolder(try a.string("path"), channels: try a.optionalInt("channels"))))
  }

  static func csv(_ a: Args) throws -> Value {
    let header: Bool? = a.isNone("header") ? nil : try a.bool("header")
    return .opaque(DatasetHandle(try Dataset.csv(try a.string("path"), labelColumn: try a.optionalInt("label_column"), header: header)))
  }

  // MARK: - Transforms

  static func batches(_ a: Args) throws -> Value {
    let d = try a.dataset("data")
    let shuffle = try a.bool("shuffle")
    return .opaque(BatchesHandle(try d.batches(size: try a.int("size"), shuffle: shuffle, seed: shuffle ? try a.seedValue("seed") : 0)))
  }

  static func split(_ a: Args) throws -> Value {
    let d = try a.dataset("data")
    let (tr, te) = try d.split(fraction: try a.number("fraction"), seed: try a.seedValue("seed"))
    return .list([likeInput(a["data"], tr), likeInput(a["data"], te)])
  }

  static func filterLabels(_ a: Args) throws -> Value {
    .opaque(DatasetHandle(try a.dataset("data").filter(labels: try a.ints("labels") ?? [])))
  }

  static func excludeLabels(_ a: Args) throws -> Value {
    .opaque(DatasetHandle(try a.dataset("data").excluding(labels: try a.ints("labels") ?? [])))
  }

  static func take(_ a: Args) throws -> Value {
    let d = try a.dataset("data")
    return likeInput(a["data"], try d.subset(Array(0..<min(d.count, try a.int("n")))))
  }
}
