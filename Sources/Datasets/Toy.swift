import Engine
import Glibc

/// The toy 2-D data sets: mixtures and shapes that show at a glance whether a model has learned a
/// multi-modal density. All are drawn from a seeded ``RandomGenerator`` and mostly fit in [−2, 2]².
public enum Toy {
  /// The names ``Dataset/toy(_:n:seed:std:)`` knows.
  public static let names = [
    "8gaussians", "25gaussians", "pinwheel", "swissroll", "moons", "rings", "checkerboard",
  ]

  /// The default noise of each set (the `std` argument's meaning is given in ``Dataset/toy(_:n:seed:std:)``).
  public static let defaultStd: [String: Float] = [
    "8gaussians": 0.1, "25gaussians": 0.05, "pinwheel": 0.1, "swissroll": 0.1, "moons": 0.1, "rings": 0.05,
    "checkerboard": 0,
  ]

  /// The centres of "8gaussians": radius 2, angles 0, π/4, …, 7π/4.
  public static let eightCentres: [(Float, Float)] = (0..<8).map {
    let a = Float($0) * .pi / 4
    return (2 * cosf(a), 2 * sinf(a))
  }

  /// The ring radii of "rings", inner to outer.
  public static let ringRadii: [Float] = [0.5, 1, 1.5, 2]

  /// Draws `n` points of set `name`; returns the points (row-major pairs), labels and class count.
  static func draw(_ name: String, n: Int, std: Float, rng: inout RandomGenerator)
    -> (points: [Float], labels: [Int]?, classes: Int?) {
    var p = [Float](repeating: 0, count: 2 * n)
    var labels = [Int](repeating: 0, count: n)
    var classes: Int? = nil
    func noise() -> Float { std * rng.normal() }
    switch name {
    case "8gaussians":
      classes = 8
      for i in 0..<n {
        let k = rng.int(below: 8)
        labels[i] = k
        p[2 * i] = eightCentres[k].0 + noise(); p[2 * i + 1] = eightCentres[k].1 + noise()
      }
    case "25gaussians":
      // Centres on the integer grid {−2, …, 2}²; label = 5 · column + row.
      classes = 25
      for i in 0..<n {
        let k = rng.int(below: 25)
        labels[i] = k
        p[2 * i] = Float(k / 5 - 2) + noise(); p[2 * i + 1] = Float(k % 5 - 2) + noise()
      }
    case "pinwheel":
      // Five arms (as in FFJORD's pinwheel): radius 1 ± 3·std, tangential std, twist 0.25·e^r; × 1.5.
      classes = 5
      for i in 0..<n {
        let k = rng.int(below: 5)
        labels[i] = k
        let r = 1 + 3 * std * rng.normal(), t = std * rng.normal()
        let a = Float(k) * 2 * .pi / 5 + 0.25 * expf(r)
        p[2 * i] = (r * cosf(a) - t * sinf(a)) * 1.5
        p[2 * i + 1] = (r * sinf(a) + t * cosf(a)) * 1.5
      }
    case "swissroll":
      // t ∈ [1.5π, 4.5π], point (t cos t, t sin t) / 5: one and a half turns out to radius ≈ 2.8.
      for i in 0..<n {
        let t = 1.5 * .pi * (1 + 2 * rng.uniform())
        p[2 * i] = t * cosf(t) / 5 + noise(); p[2 * i + 1] = t * sinf(t) / 5 + noise()
      }
      return (p, nil, nil)
    case "moons":
      // Two interleaved half circles of radius 1 (scikit-learn's make_moons), centred on the origin.
      classes = 2
      for i in 0..<n {
        let k = rng.int(below: 2), a = Float.pi * rng.uniform()
        labels[i] = k
        if k == 0 {
          p[2 * i] = cosf(a) - 0.5 + noise(); p[2 * i + 1] = sinf(a) - 0.25 + noise()
        } else {
          p[2 * i] = 1 - cosf(a) - 0.5 + noise(); p[2 * i + 1] = 0.5 - sinf(a) - 0.25 + noise()
        }
      }
    case "rings":
      classes = ringRadii.count
      for i in 0..<n {
        let k = rng.int(below: ringRadii.count), a = 2 * Float.pi * rng.uniform()
        labels[i] = k
        p[2 * i] = ringRadii[k] * cosf(a) + noise(); p[2 * i + 1] = ringRadii[k] * sinf(a) + noise()
      }
    default:  // "checkerboard": uniform on the 8 dark squares of a 4 × 4 board over [−2, 2]².
      for i in 0..<n {
        let x = 4 * rng.uniform() - 2
        let row = rng.int(below: 2) * 2 + (Int((x + 2).rounded(.down)) % 2 == 0 ? 0 : 1)
        let y = Float(min(row, 3)) - 2 + rng.uniform()
        p[2 * i] = x + noise(); p[2 * i + 1] = y + noise()
      }
      return (p, nil, nil)
    }
    return (p, labels, classes)
  }
}

extension Dataset {
  /// `n` points `[n, 2]` from the toy set `name`, drawn with `seed` (the same seed, the same points).
  ///
  /// - "8gaussians": centres evenly spaced on the circle of radius 2, isotropic std (default 0.1);
  ///   labels the centre 0–7, counterclockwise from (2, 0).
  /// - "25gaussians": centres on the 5 × 5 integer grid over [−2, 2]², std default 0.05; label 0–24.
  /// - "pinwheel": five spiralling arms; std (default 0.1) is the spread across an arm, three times it
  ///   along; label the arm.
  /// - "swissroll": the 2-D swiss roll `(t cos t, t sin t) / 5`, t ∈ [1.5π, 4.5π], plus N(0, std²),
  ///   std default 0.1; no labels.
  /// - "moons": two interleaved half circles of radius 1, centred, std default 0.1; label the moon.
  /// - "rings": four concentric circles of radius 0.5, 1, 1.5, 2, std default 0.05; label the ring.
  /// - "checkerboard": uniform on the dark squares of a 4 × 4 board over [−2, 2]², plus N(0, std²)
  ///   when std is given (default 0); no labels.
  /// - Throws: ``DatasetError/unknownToy(name:known:)`` listing the known names, or
  ///   ``DatasetError/invalidArgument(op:message:)`` for a negative `n` or a negative or non-finite std.
  public static func toy(_ name: String, n: Int, seed: UInt64 = 0, std: Float? = nil) throws -> Dataset {
    let key = name.lowercased()
    guard Toy.names.contains(key), let std0 = Toy.defaultStd[key] else {
      throw DatasetError.unknownToy(name: name, known: Toy.names)
    }
    guard n >= 0, n <= 1 << 28 else {
      throw DatasetError.invalidArgument(op: "toy", message: "n must be in 0...\(1 << 28), got \(n)")
    }
    let s = std ?? std0
    guard s.isFinite, s >= 0 else {
      throw DatasetError.invalidArgument(op: "toy", message: "std must be finite and 0 or more, got \(s)")
    }
    var rng = RandomGenerator(seed: seed)
    let (points, labels, classes) = Toy.draw(key, n: n, std: s, rng: &rng)
    let x = try Tensor(shape: [n, 2], scalars: points)
    return try Dataset(name: key, x: x, labels: labels, classes: classes)
  }
}
