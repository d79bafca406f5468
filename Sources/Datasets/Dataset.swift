import Engine

/// A data set held in memory: the examples as one tensor, optional integer labels, and a name.
///
/// Points and vectors are `[N, D]`; images are `[N, C, H, W]` with values in [−1, 1]. Every operation
/// returns a new data set and leaves this one alone; the first axis always counts examples.
///
/// ```swift
/// let data = try Dataset.fashionMNIST(split: .train).excluding(labels: [7])
/// let (train, test) = try data.split(fraction: 0.8, seed: 1)
/// for batch in try train.batches(size: 100, shuffle: true, seed: UInt64(epoch)) { … batch.x … }
/// ```
public struct Dataset: Sendable, CustomStringConvertible {
  /// A short name for summaries: `"fashion-mnist/train"`, `"8gaussians"`, a file name.
  public var name: String
  /// The examples, stacked along axis 0.
  public internal(set) var x: Tensor
  /// One label per example, when the source has labels.
  public internal(set) var labels: [Int]?
  /// The number of classes, when known (labels then lie in `0..<classes`).
  public var classes: Int?
  /// A name per class, when the source gives them (Fashion-MNIST, CIFAR-10, PNG subfolders, CSV).
  public var classNames: [String]?
  /// The cells of a CSV file's header row (the label column's included), when it had one: the row
  /// that was read as names rather than data.
  public var columnNames: [String]?

  /// A data set from a tensor of examples and optional labels.
  /// - Throws: if `x` has rank 0, the label count differs from `x.shape[0]`, a label is negative, or
  ///   a label is not below `classes`.
  public init(name: String, x: Tensor, labels: [Int]? = nil, classes: Int? = nil,
              classNames: [String]? = nil) throws {
    guard x.rank >= 1 else {
      throw DatasetError.invalidArgument(op: "dataset", message: "examples need rank 1 or more, got a scalar")
    }
    if let labels {
      guard labels.count == x.shape[0] else {
        throw DatasetError.invalidArgument(
          op: "dataset", message: "\(labels.count) labels for \(x.shape[0]) examples in \(name)")
      }
      if let bad = labels.first(where: { l in l < 0 || (classes.map { l >= $0 } ?? false) }) {
        let range = classes.map { "0..<\($0)" } ?? "0 or more"
        throw DatasetError.invalidArgument(
          op: "dataset", message: "label \(bad) is outside \(range) in \(name)")
      }
    }
    if let classes, classes < 0 {
      throw DatasetError.invalidArgument(op: "dataset", message: "classes must be 0 or more, got \(classes)")
    }
    if let classNames, let classes, classNames.count != classes {
      throw DatasetError.invalidArgument(
        op: "dataset", message: "\(classNames.count) class names for \(classes) classes in \(name)")
    }
    self.name = name
    self.x = x
    self.labels = labels
    self.classes = classes
    self.classNames = classNames
  }

  /// The number of examples.
  public var count: Int { x.shape[0] }

  /// The shape of one example: `[D]` for points, `[C, H, W]` for images.
  public var exampleShape: [Int] { Array(x.shape.dropFirst()) }

  /// A one-line summary: name, shape, labels and value range.
  public var description: String {
    var s = "dataset \(name): \(count) × \(formatShape(exampleShape))"
    if let classes { s += ", \(classes) classes" } else if labels != nil { s += ", labelled" }
    if let columnNames { s += ", header row " + columnNames.joined(separator: ", ") }
    return s
  }

  /// The same data set with fields replaced; the checks in `init` already hold.
  private func with(x: Tensor, labels: [Int]?, name: String? = nil) -> Dataset {
    var d = self
    d.x = x
    d.labels = labels
    if let name { d.name = name }
    return d
  }

  // MARK: - Selecting examples

  /// The examples at `indices`, in that order (repeats allowed).
  /// - Throws: if an index is outside `0..<count`.
  public func subset(_ indices: [Int]) throws -> Dataset {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw DatasetError.invalidArgument(
        op: "subset", message: "index \(bad) is out of range for \(count) examples in \(name)")
    }
    return with(x: try x.gather(indices), labels: labels.map { l in indices.map { l[$0] } })
  }

  /// Only the examples whose label is one of `keep` (order kept).
  /// - Throws: if the data set has no labels.
  public func filter(labels keep: [Int]) throws -> Dataset {
    let l = try requireLabels("filter")
    let set = Set(keep)
    return try subset(l.indices.filter { set.contains(l[$0]) })
  }

  /// Every example except those whose label is one of `drop`: the training pool of a held-out-class
  /// (anomaly detection) experiment.
  /// - Throws: if the data set has no labels.
  public func excluding(labels drop: [Int]) throws -> Dataset {
    let l = try requireLabels("excluding")
    let set = Set(drop)
    return try subset(l.indices.filter { !set.contains(l[$0]) })
  }

  private func requireLabels(_ op: String) throws -> [Int] {
    guard let labels else {
      throw DatasetError.invalidArgument(op: op, message: "\(name) has no labels")
    }
    return labels
  }

  /// Shuffles with `seed` and cuts in two: the first `round(fraction · count)` examples train, the rest
  /// test. The same seed always gives the same split.
  /// - Throws: if `fraction` is not in [0, 1].
  public func split(fraction: Double, seed: UInt64) throws -> (train: Dataset, test: Dataset) {
    guard fraction >= 0, fraction <= 1 else {
      throw DatasetError.invalidArgument(op: "split", message: "fraction must be in [0, 1], got \(fraction)")
    }
    var rng = RandomGenerator(seed: seed)
    let order = rng.permutation(count)
    let k = Int((fraction * Double(count)).rounded())
    return (try subset(Array(order[..<k])), try subset(Array(order[k...])))
  }

  /// The examples as vectors: `[N, C, H, W]` → `[N, C·H·W]`; `[N, D]` stays as it is.
  public func flattened() throws -> Dataset {
    with(x: try x.reshaped([count, exampleShape.reduce(1, *)]), labels: labels)
  }

  // MARK: - Batches

  /// Mini-batches of `size` examples in order, or in a fresh order drawn from `seed` when `shuffle`
  /// is on. Every example appears exactly once; the last batch is smaller when `size` does not divide
  /// `count`. Pass a different seed each epoch (`seed: base + epoch`) to reshuffle.
  /// - Throws: if `size` is less than 1.
  public func batches(size: Int, shuffle: Bool = false, seed: UInt64 = 0) throws -> Batches {
    guard size >= 1 else {
      throw DatasetError.invalidArgument(op: "batches", message: "batch size must be at least 1, got \(size)")
    }
    var order = Array(0..<count)
    if shuffle {
      var rng = RandomGenerator(seed: seed)
      order = rng.permutation(count)
    }
    return Batches(x: x, labels: labels, order: order, size: size)
  }
}

/// One mini-batch: examples and, when the data set has them, their labels.
public struct Batch: Sendable {
  /// The examples, `[B, …]`.
  public var x: Tensor
  /// Their labels.
  public var y: [Int]?
  /// The positions of these examples in the data set.
  public var indices: [Int]
}

/// The mini-batches of one pass over a data set; see ``Dataset/batches(size:shuffle:seed:)``.
public struct Batches: Sequence, IteratorProtocol, Sendable {
  let x: Tensor
  let labels: [Int]?
  let order: [Int]
  /// The batch size (the last batch may be smaller).
  public let size: Int
  private var position = 0

  init(x: Tensor, labels: [Int]?, order: [Int], size: Int) {
    self.x = x
    self.labels = labels
    self.order = order
    self.size = size
  }

  /// The number of examples in the pass.
  public var examples: Int { order.count }

  /// The number of batches in the pass.
  public var count: Int { order.count / size + (order.count % size == 0 ? 0 : 1) }

  /// The next batch, or nil after the last.
  public mutating func next() -> Batch? {
    guard position < order.count else { return nil }
    let idx = Array(order[position..<(position + Swift.min(size, order.count - position))])
    position += idx.count
    // Every index is in range by construction, so gather cannot fail.
    guard let xb = try? x.gather(idx) else { return nil }
    return Batch(x: xb, y: labels.map { l in idx.map { l[$0] } }, indices: idx)
  }
}
