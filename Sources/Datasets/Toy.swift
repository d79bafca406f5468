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
    // Each set draws point i (and its mode's label, for the sets with modes) from the stream.
    func fill(_ point: (inout RandomGenerator) -> (Float, Float, Int)) {
      for i in 0..<n { (p[2 * i], p[2 * i + 1], labels[i]) = point(&rng) }
    }
    switch name {
    case "8gaussians":
      fill { rng in
        let k = rng.int(below: 8)
        return (eightCentres[k].0 + std * rng.normal(), eightCentres[k].1 + std * rng.normal(), k)
      }
      return (p, labels, 8)
    case "25gaussians":
      // Centres on the integer grid {−2, …, 2}²; label = 5 · column + row.
      fill { rng in
        let k = rng.int(below: 25)
        return (Float(k / 5 - 2) + std * rng.normal(), Float(k % 5 - 2) + std * rng.normal(), k)
      }
      return (p, labels, 25)
    case "pinwheel": fill { pinwheel(std: std, &$0) }; return (p, labels, 5)
    case "swissroll":
      // t ∈ [1.5π, 4.5π], point (t cos t, t sin t) / 5: one and a half turns out to radius ≈ 2.8.
      fill { rng in
        let t = 1.5 * .pi * (1 + 2 * rng.uniform())
        return (t * cosf(t) / 5 + std * rng.normal(), t * sinf(t) / 5 + std * rng.normal(), 0)
      }
      return (p, nil, nil)
    case "moons": fill { moon(std: std, &$0) }; return (p, labels, 2)
    case "rings":
      fill { rng in
        let k = rng.int(below: ringRadii.count), a = 2 * Float.pi * rng.uniform()
        return (ringRadii[k] * cosf(a) + std * rng.normal(), ringRadii[k] * sinf(a) + std * rng.normal(), k)
      }
      return (p, labels, ringRadii.count)
    default: fill { checkerboard(std: std, &$0) }; return (p, nil, nil)
    }
  }

  /// Five arms (as in FFJORD's pinwheel): radius 1 ± 3·std, tangential std, twist 0.25·e^r; × 1.5.
  static func pinwheel(std: Float, _ rng: inout RandomGenerator) -> (Float, Float, Int) {
    let k = rng.int(below: 5)
    let r = 1 + 3 * std * rng.normal(), t = std * rng.normal()
    let a = Float(k) * 2 * .pi / 5 + 0.25 * expf(r)
    return ((r * cosf(a) - t * sinf(a)) * 1.5, (r * sinf(a) + t * cosf(a)) * 1.5, k)
  }

  /// Two interleaved half circles of radius 1 (scikit-learn's make_moons), centred on the origin.
  static func moon(std: Float, _ rng: inout RandomGenerator) -> (Float, Float, Int) {
    let k = rng.int(below: 2), a = Float.pi * rng.uniform()
    if k == 0 { return (cosf(a) - 0.5 + std * rng.normal(), sinf(a) - 0.25 + std * rng.normal(), 0) }
    return (1 - cosf(a) - 0.5 + std * rng.normal(), 0.5 - sinf(a) - 0.25 + std * rng.normal(), 1)
  }

  /// Uniform on the 8 dark squares of a 4 × 4 board over [−2, 2]².
  static func checkerboard(std: Float, _ rng: inout RandomGenerator) -> (Float, Float, Int) {
    let x = 4 * rng.uniform() - 2
    let row = rng.int(below: 2) * 2 + (Int((x + 2).rounded(.down)) % 2 == 0 ? 0 : 1)
    let y = Float(min(row, 3)) - 2 + rng.uniform()
    return (x + std * rng.normal(), y + std * rng.normal(), 0)
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
