// The handles the data builtins return: a dataset, and the lazy mini-batches of one pass.
import Datasets
import Engine

/// A dataset in a script: stands for its examples tensor (`data[0:100]`, and any tensor argument),
/// with fields x, labels, count, classes, name.
final class DatasetHandle: OpaqueValue {
  let dataset: Dataset
  init(_ d: Dataset) { dataset = d }
  var typeName: String { "dataset" }
  /// `<dataset pts: 3 examples of shape [2], header row x, y>`: a CSV header row that was skipped is
  /// shown, so no row leaves without a word.
  var summary: String {
    let header = dataset.columnNames.map { ", header row " + $0.joined(separator: ", ") } ?? ""
    return "<dataset \(dataset.name): \(dataset.count) examples of shape \(formatShape(dataset.exampleShape))"
      + "\(dataset.labels != nil ? ", labelled" : "")\(header)>"
  }
  var tensorView: Tensor? { dataset.x }
  func field(_ name: String) -> Value? {
    switch name {
    case "x": return .tensor(dataset.x)
    case "labels": return dataset.labels.map { .list($0.map { .number(Double($0)) }) } ?? Value.none
    case "count": return .number(Double(dataset.count))
    case "classes": return dataset.classes.map { .number(Double($0)) } ?? Value.none
    case "class_names": return dataset.classNames.map { .list($0.map { .string($0) }) } ?? Value.none
    case "name": return .string(dataset.name)
    case "shape": return .list(dataset.exampleShape.map { .number(Double($0)) })
    case "header": return dataset.columnNames.map { .list($0.map { .string($0) }) } ?? Value.none
    default: return nil
    }
  }
  var fieldNames: [String] { ["x", "labels", "count", "classes", "class_names", "name", "shape", "header"] }
}

/// `batches(data, size)`: the mini-batch tensors of one pass (``Dataset/batches(size:shuffle:seed:)``), made lazily.
final class BatchesHandle: OpaqueValue {
  let batches: Batches
  init(_ batches: Batches) { self.batches = batches }
  var typeName: String { "batches" }
  var summary: String { "<batches: \(batches.count) of \(batches.size) from \(batches.examples) examples>" }
  func field(_ name: String) -> Value? { name == "count" ? .number(Double(batches.count)) : nil }
  var fieldNames: [String] { ["count"] }
  func makeIterator() -> AnyIterator<Value>? {
    var pass = batches
    return AnyIterator { pass.next().map { .tensor($0.x) } }
  }
}
