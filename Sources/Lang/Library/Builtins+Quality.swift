// Sample quality: a feature classifier per labelled image set (LatentEBM's FeatureClassifier.swift,
// cached by a hash of the data) and the measures in its features (SampleQuality.swift): the
// Fréchet distance, improved precision and recall, and the class shares of samples.
import Datasets
import Engine
import LatentEBM

extension BuiltinGroup {
  /// Sample quality: classifier, frechet_distance, precision_recall, class_shares.
  public static var quality: BuiltinGroup {
    BuiltinGroup(name: "quality", summary: "sample quality: a feature classifier, Fréchet distance, precision/recall, class shares",
                 builtins: QualityRows.rows.map { $0.namingMethodErrors() })
  }
}

/// `classifier(data)` in a script: a ``FeatureClassifier`` with the numbers of its training.
final class ClassifierHandle: TypedHandle {
  static let handleName = "classifier"
  static let phrase = "a classifier made by classifier(...)"
  let classifier: FeatureClassifier
  let dataName: String
  /// Whether a measure has printed the caution about comparing numbers across classifiers.
  var cautioned = false
  init(_ c: FeatureClassifier, dataName: String) { classifier = c; self.dataName = dataName }
  var typeName: String { "classifier" }
  var summary: String {
    "<classifier of \(dataName): \(classifier.classes) classes, test accuracy \(percent(classifier.testAccuracy)) on "
      + "\(classifier.testCount) images, \(FeatureClassifier.featureSize) features>"
  }
  func field(_ name: String) -> Value? {
    let c = classifier
    switch name {
    case "accuracy": return .number(c.testAccuracy)
    case "classes": return .number(Double(c.classes))
    case "class_names": return c.classNames.map { .list($0.map { .string($0) }) } ?? Value.none
    case "features": return .number(Double(FeatureClassifier.featureSize))
    case "train_count": return .number(Double(c.trainCount))
    case "test_count": return .number(Double(c.testCount))
    case "training_seconds": return .number(c.trainingSeconds)
    case "from_cache": return .bool(c.fromCache)
    case "cache_path": return c.cachePath.map { .string($0) } ?? Value.none
    case "key": return .string(c.key)
    default: return nil
    }
  }
  var fieldNames: [String] {
    ["accuracy", "classes", "class_names", "features", "train_count", "test_count", "training_seconds", "from_cache", "cache_path", "key"]
  }
}

private func percent(_ x: Double) -> String {
  let p = (x * 1000).rounded() / 10
  return "\(p)%"
}

enum QualityRows {
  static let classifierParam = Param("classifier", .optional(.handle(ClassifierHandle.self)), default: .none)

  static let rows: [Builtin] = [
    Builtin("classifier", params: [Param("data", .any), Param("test", .optional(.any), default: .none),
                                   Param("epochs", .positiveInt, default: .number(2)), Param("batch", .positiveInt, default: .number(64)),
                                   Param("lr", .number, default: .number(1e-3)), Param("seed", .nonNegativeInt, default: .number(0)),
                                   Param("cache", .any, default: .bool(true))],
            doc: """
              A feature classifier for a labelled image set (docs/method.md, "Sample quality"): a small CNN (two 4×4
              stride-2 convolutions, 32 and 64 channels, ReLU, a 128-unit layer — the features — and a linear layer to
              the classes) trained on data by Adam (lr, batch, epochs) on softmax cross-entropy from a fixed seed, then
              tested on test (none: a fixed sixth of data is held out and the rest trains). Prints its test accuracy.
              cache: true keeps the weights in $LEBM_CACHE, else $XDG_CACHE_HOME/lebm, else ~/.cache/lebm, under a hash
              of the data and the settings, so a second call loads instead of training; a folder name caches there;
              false never reads or writes. A corrupt cache file is trained again, with a warning. Fields: accuracy,
              classes, class_names, features, train_count, test_count, training_seconds, from_cache, cache_path, key.
              """, impl: classifier),
    Builtin("frechet_distance", params: [Param("samples", .tensor), Param("reference", .tensor), classifierParam],
            doc: """
              The Fréchet distance between Gaussians fitted to the classifier's features φ of samples and of reference
              images: ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{½} Σ₂ Σ₁^{½})^{½} (FID's formula, in this classifier's
              features, not Inception's). Without a classifier, samples and reference are feature rows [N, d]. Each set
              needs more rows than features (129 with a classifier). Returns {distance, mean_term, covariance_term,
              samples, reference, features}; 0 for identical sets, lower is closer.
              """, impl: frechetDistance),
    Builtin("precision_recall", params: [Param("samples", .tensor), Param("reference", .tensor), classifierParam,
                                         Param("k", .int, default: .number(3))],
            doc: """
              Improved precision and recall (Kynkäänniemi et al., 2019) in the classifier's features (or of feature rows
              [N, d] without one): precision is the share of samples inside some reference row's k-NN ball (the
              distance to its k-th nearest reference neighbour), recall the share of reference rows inside some
              sample's k-NN ball. 1 ≤ k < the rows of each set. Returns {precision, recall, k, samples, reference}.
              """, impl: precisionRecall),
    Builtin("class_shares", params: [Param("samples", .tensor), Param("classifier", .handle(ClassifierHandle.self))],
            doc: """
              The share of samples the classifier puts in each class (arg-max of its logits): a model that drops or
              favours classes shows here. Returns {shares, counts, names, samples}; shares sum to 1.
              """, impl: classShares),
  ]

  static func classifier(_ a: Args) throws -> Value {
    let data = try a.dataset("data")
    let test: Dataset
    let train: Dataset
    if a.isNone("test") {
      guard data.labels != nil else { throw a.fail("'data' has no labels; a feature classifier needs a labelled data set") }
      (train, test) = try data.split(fraction: 5.0 / 6.0, seed: 0)
    } else {
      train = data
      test = try a.dataset("test")
    }
    let folder: String?
    switch a["cache"] {
    case .bool(true): folder = FeatureClassifier.defaultCacheFolder()
    case .bool(false): folder = nil
    case .string(let s) where !s.isEmpty: folder = s
    default: throw a.fail("'cache' must be true, false or a folder name, got \(shown(a["cache"]))")
    }
    let lr = try a.positive("lr")
    let settings = ClassifierSettings(epochs: try a.int("epochs"), batchSize: try a.int("batch"), learningRate: lr,
                                      seed: UInt64(try a.int("seed")))
    let c = try FeatureClassifier.make(train: train, test: test, settings: settings, cacheFolder: folder)
    for w in c.warnings { a.write("warning: \(w)\n") }
    let how = c.fromCache ? "loaded from the cache" : "trained on \(c.trainCount) images, \(settings.epochs) epoch\(settings.epochs == 1 ? "" : "s")"
    a.write("classifier of \(data.name): test accuracy \(percent(c.testAccuracy)) on \(test.count) images (\(how))\n")
    return .opaque(ClassifierHandle(c, dataName: data.name))
  }

  /// The classifier's features of a tensor argument, or the tensor itself as feature rows.
  static func features(_ a: Args, _ p: String, _ c: ClassifierHandle?) throws -> Tensor {
    let x = try a.tensor(p)
    guard let c else { return x }
    return try c.classifier.features(x, what: "'\(p)'")
  }

  static func classifierArg(_ a: Args) -> ClassifierHandle? {
    if case .opaque(let c as ClassifierHandle) = a["classifier"] { return c }
    return nil
  }

  /// The first measure with a classifier says once that its numbers belong to that classifier.
  static func caution(_ a: Args, _ c: ClassifierHandle?) {
    guard let c, !c.cautioned else { return }
    c.cautioned = true
    a.write("note: measured in the features of the classifier of \(c.dataName) (key \(c.classifier.key)); compare these numbers "
      + "only with numbers from the same classifier, never with published FIDs\n")
  }

  static func frechetDistance(_ a: Args) throws -> Value {
    let c = classifierArg(a)
    let f = try SampleQuality.frechetDistance(try features(a, "samples", c), try features(a, "reference", c),
                                              names: ("'samples'", "'reference'"))
    caution(a, c)
    return .record(Record([("distance", .number(f.distance)), ("mean_term", .number(f.meanTerm)),
                           ("covariance_term", .number(f.covarianceTerm)), ("samples", .number(Double(f.samples))),
                           ("reference", .number(Double(f.reference))), ("features", .number(Double(f.features)))]))
  }

  static func precisionRecall(_ a: Args) throws -> Value {
    let c = classifierArg(a)
    let s = try features(a, "samples", c), r = try features(a, "reference", c)
    let pr = try SampleQuality.precisionRecall(samples: s, reference: r, k: try a.int("k"))
    caution(a, c)
    return .record(Record([("precision", .number(pr.precision)), ("recall", .number(pr.recall)), ("k", .number(Double(pr.k))),
                           ("samples", .number(Double(pr.samples))), ("reference", .number(Double(pr.reference)))]))
  }

  static func classShares(_ a: Args) throws -> Value {
    guard let c = classifierArg(a) else { throw a.fail("needs a classifier") }
    let predicted = try c.classifier.predict(try a.tensor("samples"), what: "'samples'")
    var counts = [Int](repeating: 0, count: c.classifier.classes)
    for p in predicted { counts[p] += 1 }
    caution(a, c)
    let names = c.classifier.classNames ?? (0..<c.classifier.classes).map { String($0) }
    return .record(Record([("shares", .list(counts.map { .number(Double($0) / Double(predicted.count)) })),
                           ("counts", .list(counts.map { .number(Double($0)) })), ("names", .list(names.map { .string($0) })),
                           ("samples", .number(Double(predicted.count)))]))
  }
}
