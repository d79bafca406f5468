// A small CNN trained on a labelled image set, whose penultimate layer gives the features the
// sample-quality measures (SampleQuality.swift) compare; cached by a hash of the data and settings.
import Datasets
import Engine
import Glibc
import Support

/// How a ``FeatureClassifier`` is trained. Every field enters the cache key.
public struct ClassifierSettings: Equatable, Sendable {
  /// Passes over the training examples (default 2).
  public var epochs: Int = 2
  /// Examples per Adam step (default 64).
  public var batchSize: Int = 64
  /// Adam's learning rate (betas 0.9, 0.999; default 1e-3).
  public var learningRate: Float = 1e-3
  /// The seed of the initial weights and of the batch order (default 0).
  public var seed: UInt64 = 0
  public init(epochs: Int = 2, batchSize: Int = 64, learningRate: Float = 1e-3, seed: UInt64 = 0) {
    self.epochs = epochs; self.batchSize = batchSize; self.learningRate = learningRate; self.seed = seed
  }
}

/// A feature classifier (docs/method.md, "Sample quality"): on `[N, C, H, W]` images,
///
///     conv 4×4 s2 p1 (C → 32), ReLU, conv 4×4 s2 p1 (32 → 64), ReLU, flatten,
///     linear (64·⌊⌊H/2⌋/2⌋·⌊⌊W/2⌋/2⌋ → 128), ReLU  ─ the features φ(x) ∈ ℝ¹²⁸ ─  linear (128 → K),
///
/// trained with softmax cross-entropy by Adam from a fixed seed. ``features(_:)`` gives φ, the
/// penultimate layer, in which ``SampleQuality`` measures distances; the numbers those give are
/// comparable only between calls that use the same classifier.
public final class FeatureClassifier {
  /// Bumped whenever the architecture or the training changes, so older cache files are not used.
  public static let version = "lebm-classifier-1"
  /// The width of φ.
  public static let featureSize = 128

  /// `[C, H, W]` of the images it takes.
  public let imageShape: [Int]
  /// The number of classes K.
  public let classes: Int
  /// Class names when the data set gave them.
  public let classNames: [String]?
  let body: Sequential
  let head: Linear
  /// Held-out accuracy, the share of test images whose arg-max class is the label.
  public internal(set) var testAccuracy: Double = 0
  /// How many examples it was trained and tested on.
  public internal(set) var trainCount = 0, testCount = 0
  /// Seconds spent training (0 when it came from the cache).
  public internal(set) var trainingSeconds: Double = 0
  /// Whether it was read from the cache rather than trained.
  public internal(set) var fromCache = false
  /// The cache file, when one was read or written.
  public internal(set) var cachePath: String?
  /// The hash of data and settings that names the cache file.
  public internal(set) var key = ""
  /// What happened to the cache that the user should hear about (a corrupt file retrained, a
  /// folder that could not be written).
  public internal(set) var warnings: [String] = []

  /// A classifier with fresh weights from `seed`.
  /// - Throws: if the images are not `[C, H, W]` with H, W ≥ 4, or fewer than 2 classes.
  public init(imageShape: [Int], classes: Int, classNames: [String]? = nil, seed: UInt64) throws {
    guard imageShape.count == 3, imageShape.allSatisfy({ $0 >= 1 }), imageShape[1] >= 4, imageShape[2] >= 4 else {
      throw LatentEBMError.shape("the examples must be images [C, H, W] at least 4 × 4, got \(formatShape(imageShape))")
    }
    guard classes >= 2 else { throw LatentEBMError.invalidArgument("needs at least 2 classes, got \(classes)") }
    self.imageShape = imageShape
    self.classes = classes
    self.classNames = classNames
    var rng = RandomGenerator(seed: seed)
    // A 4×4 convolution with stride 2 and padding 1 maps a side of n to ⌊(n − 2)/2⌋ + 1 = ⌊n/2⌋.
    let h2 = imageShape[1] / 2 / 2, w2 = imageShape[2] / 2 / 2
    body = Sequential([
      try Conv2d(imageShape[0], 32, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.relu),
      try Conv2d(32, 64, kernelSize: 4, stride: 2, padding: 1, using: &rng), ActivationLayer(.relu),
      Reshape([64 * h2 * w2]),
      try Linear(64 * h2 * w2, Self.featureSize, using: &rng), ActivationLayer(.relu),
    ])
    head = try Linear(Self.featureSize, classes, using: &rng)
  }

  /// Every weight, by name, in a fixed order (the cache file's tensors).
  public var namedParameters: [(String, Tensor)] {
    body.namedParameters.map { ("body.\($0.0)", $0.1) } + head.namedParameters.map { ("head.\($0.0)", $0.1) }
  }

  func checkImages(_ x: Tensor, _ what: String) throws {
    guard x.rank == 4, Array(x.shape.dropFirst()) == imageShape else {
      throw LatentEBMError.shape("\(what) must be images [N, \(imageShape.map(String.init).joined(separator: ", "))] as the classifier "
        + "was trained on, got \(formatShape(x.shape))")
    }
    guard x.shape[0] >= 1 else { throw LatentEBMError.shape("\(what) has no images") }
  }

  /// φ(x), the penultimate layer: `[N, 128]`, 500 images at a time, without gradients.
  public func features(_ x: Tensor, what: String = "the images") throws -> Tensor {
    try checkImages(x, what)
    return try blocks(x) { b in try withoutGradients { try body(b) } }
  }

  /// The logits, `[N, K]`.
  public func logits(_ x: Tensor, what: String = "the images") throws -> Tensor {
    try checkImages(x, what)
    return try blocks(x) { b in try withoutGradients { try head(body(b)) } }
  }

  /// The arg-max class of each image.
  public func predict(_ x: Tensor, what: String = "the images") throws -> [Int] {
    let l = try logits(x, what: what)
    return try l.argmax(axis: 1).scalars.map { Int($0) }
  }

  /// The share of `data`'s images whose predicted class is their label.
  public func accuracy(_ data: Dataset) throws -> Double {
    guard let labels = data.labels else { throw LatentEBMError.invalidArgument("\(data.name) has no labels") }
    let p = try predict(data.x, what: data.name)
    return Double(zip(p, labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
  }

  private func blocks(_ x: Tensor, _ body: (Tensor) throws -> Tensor) throws -> Tensor {
    var parts: [Tensor] = []
    var start = 0
    while start < x.shape[0] {
      let end = min(x.shape[0], start + 500)
      parts.append(try body(x.slice(axis: 0, start: start, end: end)))
      start = end
    }
    return parts.count == 1 ? parts[0] : try Tensor.concatenate(parts, axis: 0)
  }

  // MARK: - Training

  /// Trains on `train` by Adam on the mean softmax cross-entropy (``Tensor/crossEntropy(logits:targets:mask:reduction:)``),
  /// batches in an order drawn from the seed, then measures the accuracy on `test`.
  func fit(_ train: Dataset, test: Dataset, settings: ClassifierSettings) throws {
    guard let trainLabels = train.labels else { throw LatentEBMError.invalidArgument("\(train.name) has no labels") }
    let start = monotonicSeconds()
    let adam = try Adam(namedParameters.map(\.1), learningRate: settings.learningRate)
    for epoch in 0..<settings.epochs {
      for batch in try train.batches(size: settings.batchSize, shuffle: true, seed: settings.seed &+ UInt64(epoch) &+ 1) {
        try Interrupt.check()
        let y = Tensor(batch.indices.map { Float(trainLabels[$0]) })
        let loss = try Tensor.crossEntropy(logits: try head(body(batch.x)), targets: y, reduction: .mean)
        try adam.step(try gradients(of: loss, wrt: adam.parameters))
      }
    }
    trainingSeconds = monotonicSeconds() - start
    trainCount = train.count
    testCount = test.count
    testAccuracy = try accuracy(test)
  }

  // MARK: - Making one, through the cache

  /// The classifier of a labelled image set: read from the cache when a file for the same data and
  /// settings is there and intact, otherwise trained on `train` (tested on `test`) and written there.
  ///
  /// The cache file is `classifier-<key>.safetensors` in `cacheFolder` (see ``defaultCacheFolder()``),
  /// where the key is a 64-bit FNV-1a hash of ``version``, the settings, both sets' images and
  /// labels. Its metadata holds a hash of the weights' bits: a file that does not read, does not
  /// match, or holds a non-finite weight is retrained, with a line in ``warnings``. A folder that
  /// cannot be written only costs the cache, also with a warning.
  /// - Parameters:
  ///   - cacheFolder: nil trains without reading or writing any file.
  public static func make(train: Dataset, test: Dataset, settings: ClassifierSettings = ClassifierSettings(),
                          cacheFolder: String?) throws -> FeatureClassifier {
    for d in [train, test] {
      guard d.labels != nil else {
        throw LatentEBMError.invalidArgument("\(d.name) has no labels; a feature classifier needs a labelled data set "
          + "(fashion_mnist, idx with labels, cifar10, a png_folder of class folders)")
      }
      guard d.x.rank == 4 else {
        throw LatentEBMError.shape("\(d.name) must hold images [N, C, H, W], got \(formatShape(d.x.shape))")
      }
    }
    guard train.exampleShape == test.exampleShape else {
      throw LatentEBMError.shape("the test images \(formatShape(test.exampleShape)) differ from the training images \(formatShape(train.exampleShape))")
    }
    guard train.count >= 2, test.count >= 1 else {
      throw LatentEBMError.invalidArgument("needs at least 2 training and 1 test image, got \(train.count) and \(test.count)")
    }
    guard settings.epochs >= 1, settings.batchSize >= 1, settings.learningRate > 0, settings.learningRate.isFinite else {
      throw LatentEBMError.invalidArgument("epochs and batch must be ≥ 1 and the learning rate positive")
    }
    let seen = Set(train.labels! + test.labels!)
    let classes = max(train.classes ?? 0, (seen.max() ?? 0) + 1)
    let names = train.classNames?.count == classes ? train.classNames : nil

    var h = FNV64()
    h.add(version); h.add("\(settings.epochs) \(settings.batchSize) \(settings.learningRate) \(settings.seed) \(classes)")
    for d in [train, test] {
      h.add(d.x.shape.map(String.init).joined(separator: ","))
      d.x.withUnsafeBufferPointer { h.add($0) }
      h.add(d.labels!.map(String.init).joined(separator: ","))
    }
    let key = h.hex

    var warnings: [String] = []
    let path = cacheFolder.map { joinPath($0, "classifier-\(key).safetensors") }
    if let path, fileExists(path) {
      do {
        let c = try load(path, key: key, imageShape: train.exampleShape, classes: classes, classNames: names)
        c.testAccuracy = try c.accuracy(test)
        c.fromCache = true
        return c
      } catch {
        warnings.append("the cached classifier \(path) is corrupt (\(error)); trained it again")
      }
    }
    let c = try FeatureClassifier(imageShape: train.exampleShape, classes: classes, classNames: names, seed: settings.seed)
    try c.fit(train, test: test, settings: settings)
    c.key = key
    if let folder = cacheFolder, let path {
      do {
        try makeFolders(folder)
        try c.save(path)
        c.cachePath = path
      } catch {
        warnings.append("could not write the classifier's cache in \(folder): \(error); it will be trained again next time")
      }
    }
    c.warnings = warnings
    return c
  }

  /// The folder classifiers are cached in: `$LEBM_CACHE`, else `$XDG_CACHE_HOME/lebm`, else
  /// `~/.cache/lebm`; nil when none of them is set.
  public static func defaultCacheFolder() -> String? {
    if let c = environmentValue("LEBM_CACHE"), !c.isEmpty { return c }
    if let x = environmentValue("XDG_CACHE_HOME"), !x.isEmpty { return joinPath(x, "lebm") }
    if let home = environmentValue("HOME"), !home.isEmpty { return joinPath(joinPath(home, ".cache"), "lebm") }
    return nil
  }

  func weightsHash() -> String {
    var h = FNV64()
    for (name, t) in namedParameters { h.add(name); t.withUnsafeBufferPointer { h.add($0) } }
    return h.hex
  }

  func save(_ path: String) throws {
    let meta = ["format": Self.version, "key": key, "classes": String(classes),
                "image_shape": imageShape.map(String.init).joined(separator: ","),
                "train_count": String(trainCount), "test_count": String(testCount),
                "training_seconds": String(trainingSeconds), "weights_fnv64": weightsHash()]
    try Safetensors.write(namedParameters, metadata: meta, to: path)
  }

  static func load(_ path: String, key: String, imageShape: [Int], classes: Int, classNames: [String]?) throws -> FeatureClassifier {
    let (tensors, meta) = try Safetensors.read(path)
    guard meta["format"] == version, meta["key"] == key else { throw LatentEBMError.checkpoint(path: path, problem: "not this data's classifier") }
    let c = try FeatureClassifier(imageShape: imageShape, classes: classes, classNames: classNames, seed: 0)
    let params = c.namedParameters
    guard tensors.count == params.count else { throw LatentEBMError.checkpoint(path: path, problem: "\(tensors.count) tensors, expected \(params.count)") }
    for (name, p) in params {
      guard let t = tensors[name] else { throw LatentEBMError.checkpoint(path: path, problem: "no tensor '\(name)'") }
      guard t.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) else {
        throw LatentEBMError.checkpoint(path: path, problem: "'\(name)' holds a value that is not finite")
      }
      try assign(p, from: t)
    }
    guard meta["weights_fnv64"] == c.weightsHash() else {
      throw LatentEBMError.checkpoint(path: path, problem: "the weights do not match their recorded hash")
    }
    c.key = key
    c.cachePath = path
    c.trainCount = Int(meta["train_count"] ?? "") ?? 0
    c.testCount = Int(meta["test_count"] ?? "") ?? 0
    return c
  }
}

private func joinPath(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }
private func fileExists(_ path: String) -> Bool {
  var st = stat()
  return stat(path, &st) == 0
}

/// 64-bit FNV-1a over bytes, strings and Float32 words.
struct FNV64 {
  private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
  mutating func add(_ bytes: some Sequence<UInt8>) {
    for b in bytes { value = (value ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
  }
  mutating func add(_ s: String) { add(s.utf8); add([0]) }
  /// Float32 values by their bits, a word at a time (each word folded in as one step).
  mutating func add(_ floats: UnsafeBufferPointer<Float>) {
    var v = value
    for f in floats { v = (v ^ UInt64(f.bitPattern)) &* 0x0000_0100_0000_01b3 }
    value = v
  }
  var hex: String {
    let s = String(value, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
  }
}
