// Sample quality: the Jacobi eigensolver, the Fréchet distance and precision/recall on Gaussian
// clouds with known answers, the Fréchet distance in a classifier's features growing with noise
// and blur, the classifier's accuracy on Fashion-MNIST, its cache (load, corrupt file retrained),
// and bad input as errors.
import Datasets
import Engine
import Foundation
import Support
import Testing

@testable import LatentEBM

@Suite struct SampleQualityTests {
  static func gaussian(_ n: Int, _ d: Int, mean: [Float]? = nil, std: Float = 1, seed: UInt64) throws -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return try Tensor(shape: [n, d], scalars: (0..<(n * d)).map { i in (mean?[i % d] ?? 0) + std * rng.normal() })
  }

  @Test func jacobiFindsTheEigenpairsOfASymmetricMatrix() throws {
    // A = Q diag(λ) Qᵀ with a known spectrum, Q from Gram–Schmidt on random vectors.
    let n = 12
    var rng = RandomGenerator(seed: 3)
    var q = [[Double]]()
    while q.count < n {
      var v = (0..<n).map { _ in Double(rng.normal()) }
      for u in q { let d = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }; v = zip(v, u).map { $0 - d * $1 } }
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      q.append(v.map { $0 / norm })
    }
    let lambda = (0..<n).map { Double($0) - 3.5 }
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += q[k][i] * lambda[k] * q[k][j] } } }
    let (values, vectors) = try SampleQuality.symmetricEigen(a, size: n)
    for (x, y) in zip(values.sorted(), lambda) { #expect(abs(x - y) < 1e-10) }
    // A v = λ v for each column.
    for k in 0..<n {
      for i in 0..<n {
        let av = (0..<n).reduce(0.0) { $0 + a[i * n + $1] * vectors[$1 * n + k] }
        #expect(abs(av - values[k] * vectors[i * n + k]) < 1e-10)
      }
    }
  }

  @Test func frechetDistanceOfGaussiansMatchesItsClosedForm() throws {
    // N(0, I) against N(μ, s² I) in d dimensions: d² = ‖μ‖² + d (1 − s)².
    let d = 6, n = 40_000
    let a = try Self.gaussian(n, d, seed: 1)
    let same = try SampleQuality.frechetDistance(a, a)
    #expect(same.distance < 1e-8)
    let mu: [Float] = [1, 0, -1, 0.5, 0, 0]
    let b = try Self.gaussian(n, d, mean: mu, std: 2, seed: 2)
    let f = try SampleQuality.frechetDistance(a, b)
    let expected = Double(mu.reduce(0) { $0 + $1 * $1 }) + Double(d)
    #expect(abs(f.distance - expected) < 0.05 * expected, "\(f.distance) against \(expected)")
    #expect(abs(f.meanTerm - 2.25) < 0.1 && f.samples == n && f.reference == n && f.features == d)
  }

  @Test func precisionAndRecallOfCloudsWithKnownOverlap() throws {
    // Reference: two far-apart clouds A and B, 1000 rows each. Samples only from A: every sample
    // looks like data (precision ≈ 1) but half the data has no sample near it (recall ≈ ½).
    let d = 8
    let far = [Float](repeating: 20, count: d), farther = [Float](repeating: -20, count: d)
    let reference = try Tensor.concatenate([Self.gaussian(1000, d, seed: 1), Self.gaussian(1000, d, mean: far, seed: 2)])
    let onlyA = try Self.gaussian(1000, d, seed: 3)
    // k-NN balls of finite samples leave some of a cloud's edge uncovered, so even the same
    // distribution on both sides gives a coverage β a little under 1 (about 0.9 for k = 3, d = 8);
    // the known overlaps scale it.
    let p3 = try SampleQuality.precisionRecall(samples: try Tensor.concatenate([Self.gaussian(1000, d, seed: 6), Self.gaussian(1000, d, mean: far, seed: 7)]),
                                               reference: reference, k: 3)
    #expect(p3.precision > 0.85 && p3.recall > 0.85, "\(p3)")
    let beta = (p3.precision + p3.recall) / 2
    let p1 = try SampleQuality.precisionRecall(samples: onlyA, reference: reference, k: 3)
    #expect(abs(p1.precision - beta) < 0.03 && abs(p1.recall - beta / 2) < 0.03, "\(p1), β = \(beta)")
    // Half from A, half from a cloud C no data is near: precision ≈ β/2, recall ≈ β/2.
    let halfOff = try Tensor.concatenate([Self.gaussian(1000, d, seed: 4), Self.gaussian(1000, d, mean: farther, seed: 5)])
    let p2 = try SampleQuality.precisionRecall(samples: halfOff, reference: reference, k: 3)
    #expect(abs(p2.precision - beta / 2) < 0.03 && abs(p2.recall - beta / 2) < 0.03, "\(p2), β = \(beta)")
    // Disjoint: both 0.
    let p4 = try SampleQuality.precisionRecall(samples: try Self.gaussian(500, d, mean: farther, seed: 8), reference: reference, k: 3)
    #expect(p4.precision == 0 && p4.recall == 0)
  }

  @Test func badInputIsAnErrorNotATrap() throws {
    let a = try Self.gaussian(50, 4, seed: 1), b = try Self.gaussian(40, 4, seed: 2)
    func message(_ body: () throws -> Void) -> String {
      do { try body(); return "" } catch { return "\(error)" }
    }
    #expect(message { _ = try SampleQuality.precisionRecall(samples: a, reference: b, k: 0) }.contains("k must be in 1…39"))
    #expect(message { _ = try SampleQuality.precisionRecall(samples: a, reference: b, k: 40) }.contains("k must be in 1…39"))
    #expect(message { _ = try SampleQuality.precisionRecall(samples: a, reference: try Self.gaussian(40, 5, seed: 3)) }.contains("same width"))
    #expect(message { _ = try SampleQuality.frechetDistance(try Self.gaussian(4, 4, seed: 1), b) }.contains("more rows than features"))
    #expect(message { _ = try SampleQuality.frechetDistance(try Tensor.zeros([10]), b) }.contains("feature rows [N, d]"))
    var nan = a.scalars
    nan[7] = .nan
    #expect(message { _ = try SampleQuality.frechetDistance(try Tensor(shape: [50, 4], scalars: nan), b) }.contains("not finite"))
    // The classifier refuses unlabelled data, non-images and images of another shape.
    let images = try Tensor.zeros([20, 1, 8, 8])
    let unlabelled = try Dataset(name: "plain", x: images)
    let labelled = try Dataset(name: "two", x: images, labels: (0..<20).map { $0 % 2 })
    #expect(message { _ = try FeatureClassifier.make(train: unlabelled, test: labelled, cacheFolder: nil) }.contains("plain has no labels"))
    #expect(message { _ = try FeatureClassifier.make(train: try Dataset(name: "pts", x: try Tensor.zeros([20, 2]), labels: (0..<20).map { $0 % 2 }),
                                                     test: labelled, cacheFolder: nil) }.contains("must hold images"))
    #expect(message { _ = try SampleQuality.frechetDistance(try Tensor.zeros([2000, 1025]), try Tensor.zeros([2000, 1025])) }.contains("at most 1024"))
    // Odd and non-square images work (each side halves twice, rounding down).
    let odd = try FeatureClassifier(imageShape: [3, 9, 11], classes: 3, seed: 1)
    #expect(try odd.features(try Tensor.zeros([2, 3, 9, 11])).shape == [2, 128])
    #expect(try odd.logits(try Tensor.zeros([2, 3, 9, 11])).shape == [2, 3])
    let c = try FeatureClassifier(imageShape: [1, 8, 8], classes: 2, seed: 1)
    #expect(message { _ = try c.features(try Tensor.zeros([3, 1, 9, 8])) }.contains("must be images [N, 1, 8, 8]"))
  }

  // MARK: - On Fashion-MNIST

  static let fashionRoot = "/usr/share/datasets/fashion-mnist"
  static var haveFashion: Bool { FileManager.default.fileExists(atPath: fashionRoot + "/t10k-images-idx3-ubyte.gz") }

  /// A classifier trained on the first 6000 training images for 2 epochs (a few seconds), shared.
  static let small: Result<FeatureClassifier, Error> = Result {
    let train = try Dataset.fashionMNIST(split: .train).subset(Array(0..<6000))
    let test = try Dataset.fashionMNIST(split: .test).subset(Array(0..<2000))
    return try FeatureClassifier.make(train: train, test: test, cacheFolder: nil)
  }

  static func boxBlur(_ x: Tensor, passes: Int) throws -> Tensor {
    var v = x.scalars
    let n = x.shape[0], h = x.shape[2], w = x.shape[3]
    for _ in 0..<passes {
      var out = v
      for i in 0..<n {
        for r in 0..<h {
          for c in 0..<w {
            var s: Float = 0, m: Float = 0
            for dr in -1...1 { for dc in -1...1 where (0..<h).contains(r + dr) && (0..<w).contains(c + dc) {
              s += v[i * h * w + (r + dr) * w + c + dc]; m += 1
            } }
            out[i * h * w + r * w + c] = s / m
          }
        }
      }
      v = out
    }
    return try Tensor(shape: x.shape, scalars: v)
  }

  @Test(.enabled(if: haveFashion)) func frechetDistanceGrowsWithNoiseAndBlur() throws {
    let c = try Self.small.get()
    let test = try Dataset.fashionMNIST(split: .test)
    let a = try test.x.slice(axis: 0, start: 0, end: 5000), b = try test.x.slice(axis: 0, start: 5000, end: 10000)
    let fa = try c.features(a)
    let halves = try SampleQuality.frechetDistance(fa, try c.features(b)).distance
    var rng = RandomGenerator(seed: 9)
    let noise = try Tensor(shape: b.shape, scalars: (0..<b.count).map { _ in rng.normal() })
    var noisy: [Double] = []
    for s: Float in [0.25, 0.5, 0.75, 1.0] {
      noisy.append(try SampleQuality.frechetDistance(fa, try c.features(b + noise * s)).distance)
    }
    var blurred: [Double] = []
    for passes in 1...4 { blurred.append(try SampleQuality.frechetDistance(fa, try c.features(try Self.boxBlur(b, passes: passes))).distance) }
    print("Fréchet distance, test halves: \(halves); noise 0.25…1: \(noisy); blur 1…4 passes: \(blurred)")
    #expect(halves < noisy[0] && halves < blurred[0])
    #expect(zip(noisy, noisy.dropFirst()).allSatisfy { $0 < $1 }, "\(noisy)")
    #expect(zip(blurred, blurred.dropFirst()).allSatisfy { $0 < $1 }, "\(blurred)")
    // "Small": the halves are closer than the test set is to one class of itself.
    let shirts = try test.filter(labels: [6]).x
    #expect(halves < 0.05 * (try SampleQuality.frechetDistance(fa, try c.features(shirts)).distance))
  }

  /// The full classifier: 60 000 images, 2 epochs (18 s of training in the debug test build on two
  /// idle cores, about a minute beside the other tests).
  @Test(.enabled(if: haveFashion)) func classifierReaches88PercentOnFashionMNIST() throws {
    let start = monotonicSeconds()
    let c = try FeatureClassifier.make(train: try Dataset.fashionMNIST(split: .train), test: try Dataset.fashionMNIST(split: .test),
                                       cacheFolder: nil)
    print("Fashion-MNIST classifier: test accuracy \(c.testAccuracy) after \(c.trainingSeconds) s of training (\(monotonicSeconds() - start) s in all)")
    #expect(c.testAccuracy >= 0.88)
  }

  // MARK: - The cache

  @Test(.enabled(if: haveFashion)) func theCacheLoadsAndACorruptFileIsTrainedAgain() throws {
    let folder = try makeTemporaryDirectory(prefix: "lebm-classifier-cache")
    defer { try? removeTree(folder) }
    let train = try Dataset.fashionMNIST(split: .test).subset(Array(0..<600))
    let test = try Dataset.fashionMNIST(split: .test).subset(Array(600..<800))
    let settings = ClassifierSettings(epochs: 1, seed: 4)
    let first = try FeatureClassifier.make(train: train, test: test, settings: settings, cacheFolder: folder)
    #expect(!first.fromCache && first.warnings.isEmpty && first.trainingSeconds > 0)
    let path = try #require(first.cachePath)
    #expect(path.hasPrefix(folder) && path.contains(first.key))
    // A second call loads: the same weights, the same accuracy, no training.
    let second = try FeatureClassifier.make(train: train, test: test, settings: settings, cacheFolder: folder)
    #expect(second.fromCache && second.trainingSeconds == 0 && second.key == first.key)
    #expect(second.testAccuracy == first.testAccuracy)
    for ((_, p), (_, q)) in zip(first.namedParameters, second.namedParameters) { #expect(p.scalars == q.scalars) }
    // Same call without a cache: the same classifier (fixed seed).
    let again = try FeatureClassifier.make(train: train, test: test, settings: settings, cacheFolder: nil)
    for ((_, p), (_, q)) in zip(first.namedParameters, again.namedParameters) { #expect(p.scalars == q.scalars) }
    // Other settings, another key.
    let other = try FeatureClassifier.make(train: train, test: test, settings: ClassifierSettings(epochs: 1, seed: 5), cacheFolder: nil)
    #expect(other.key != first.key)

    // A flipped bit in the weights (the file still parses): the hash catches it, and it is trained again.
    var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[bytes.count - 5] ^= 0x10
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let third = try FeatureClassifier.make(train: train, test: test, settings: settings, cacheFolder: folder)
    #expect(!third.fromCache && third.warnings.count == 1 && third.warnings[0].contains("corrupt"), "\(third.warnings)")
    #expect(third.testAccuracy == first.testAccuracy)
    // A truncated file, and garbage: the same.
    try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
    let fourth = try FeatureClassifier.make(train: train, test: test, settings: settings, cacheFolder: folder)
    #expect(!fourth.fromCache && fourth.warnings.first?.contains("corrupt") == true)
    // The retrained file was written back, and now loads.
    #expect(try FeatureClassifier.make(train: train, test: test, settings: settings, cacheFolder: folder).fromCache)
  }
}
