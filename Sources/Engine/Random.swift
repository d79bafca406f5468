import Glibc

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64). The same seed gives
/// the same stream on every machine and at every thread count: the engine draws its random numbers
/// on one thread, in order.
public struct RandomGenerator: Sendable {
  private var s: (UInt64, UInt64, UInt64, UInt64)

  /// A generator whose whole stream is fixed by `seed`.
  public init(seed: UInt64) {
    var x = seed
    func splitmix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s = (splitmix(), splitmix(), splitmix(), splitmix())
  }

  /// The full state, for checkpoints.
  public var state: [UInt64] { [s.0, s.1, s.2, s.3] }

  /// Restores a state saved from ``state``.
  public init(state: [UInt64]) throws {
    guard state.count == 4, state.contains(where: { $0 != 0 }) else {
      throw TensorError.invalidArgument(op: "rng", message: "a generator state is 4 numbers, not all zero")
    }
    s = (state[0], state[1], state[2], state[3])
  }

  @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// The next 64 random bits.
  @inline(__always) public mutating func next() -> UInt64 {
    let result = RandomGenerator.rotl(s.1 &* 5, 7) &* 9
    let t = s.1 << 17
    s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3; s.2 ^= t
    s.3 = RandomGenerator.rotl(s.3, 45)
    return result
  }

  /// A uniform Float in [0, 1).
  @inline(__always) public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

  /// A uniform integer in `0..<n` (n > 0).
  public mutating func int(below n: Int) -> Int { Int(next() % UInt64(Swift.max(n, 1))) }

  /// A standard normal Float, by the ziggurat method (Marsaglia & Tsang 2000, in Doornik's
  /// 2005 form with 128 layers): one 64-bit draw gives the layer (low 7 bits) and a uniform
  /// u ∈ (−1, 1) (high 53 bits); about 99 % of draws return `u · x[i]` at once, the rest take the
  /// exact rejection test at the layer's edge, or sample the tail beyond r = 3.4426 as
  /// Marsaglia's `r + a` with `a ~ Exp(r)` accepted when `2b > a²`. The distribution is N(0, 1)
  /// exactly (to Double rounding), with no cut-off in the tails.
  @inline(__always) public mutating func normal() -> Float { normal(Ziggurat.table) }

  @inline(__always) private mutating func normal(_ t: Ziggurat.Table) -> Float {
    while true {
      let bits = next()
      let i = Int(bits & 0x7F)
      let u = 2 * (Double(bits >> 11) * (1.0 / 9_007_199_254_740_992.0)) - 1
      if abs(u) < t.ratio[i] { return Float(u * t.x[i]) }
      if let z = edge(u, layer: i) { return z }
    }
  }

  /// The ziggurat's slow path for `u` in layer `i`: a value, or nil to draw again.
  private mutating func edge(_ u: Double, layer i: Int) -> Float? {
    let t = Ziggurat.table
    if i == 0 {
      // The tail beyond r (Marsaglia 1964).
      var a = 0.0, b = 0.0
      repeat {
        a = -Glibc.log(openUniform()) / Ziggurat.r
        b = -Glibc.log(openUniform())
      } while b + b < a * a
      return Float(u < 0 ? -(Ziggurat.r + a) : Ziggurat.r + a)
    }
    let x = u * t.x[i]
    let f0 = Glibc.exp(-0.5 * (t.x[i] * t.x[i] - x * x)), f1 = Glibc.exp(-0.5 * (t.x[i + 1] * t.x[i + 1] - x * x))
    return f1 + openUniform() * (f0 - f1) < 1 ? Float(x) : nil
  }

  /// A uniform Double in (0, 1).
  @inline(__always) private mutating func openUniform() -> Double {
    (Double(next() >> 11) + 0.5) * (1.0 / 9_007_199_254_740_992.0)
  }

  /// Fills `p[0..<n]` with standard normals.
  public mutating func fillNormal(_ p: UnsafeMutablePointer<Float>, count n: Int) {
    let t = Ziggurat.table
    for i in 0..<n { p[i] = normal(t) }
  }

  /// A random permutation of `0..<n` (Fisher–Yates).
  public mutating func permutation(_ n: Int) -> [Int] {
    var a = Array(0..<n)
    if n > 1 { for i in stride(from: n - 1, to: 0, by: -1) { a.swapAt(i, int(below: i + 1)) } }
    return a
  }
}

/// The engine's default generator, reseeded by ``seed(_:)``.
nonisolated(unsafe) public var defaultGenerator = RandomGenerator(seed: 0)

/// Reseeds the default generator.
public func seed(_ value: UInt64) { defaultGenerator = RandomGenerator(seed: value) }

extension Tensor {
  /// Standard normal values: N(0, 1) in every entry.
  public static func randn(_ shape: [Int], using rng: inout RandomGenerator) throws -> Tensor {
    let t = try Tensor(uninitialized: shape, op: "randn")
    rng.fillNormal(t.storage.pointer, count: t.count)
    return t
  }
  /// Uniform values in [lo, hi).
  public static func rand(_ shape: [Int], lo: Float = 0, hi: Float = 1, using rng: inout RandomGenerator) throws -> Tensor {
    let t = try Tensor(uninitialized: shape, op: "rand")
    for i in 0..<t.count { t.storage.pointer[i] = lo + (hi - lo) * rng.uniform() }
    return t
  }
  public static func randn(_ shape: [Int]) throws -> Tensor { try randn(shape, using: &defaultGenerator) }
  public static func rand(_ shape: [Int], lo: Float = 0, hi: Float = 1) throws -> Tensor {
    try rand(shape, lo: lo, hi: hi, using: &defaultGenerator)
  }
}

/// The 128 layers of the normal ziggurat (Doornik 2005): x[i] the layers' right edges (x[0] the
/// base strip's width v/f(r), x[1] = r, x[128] = 0) and ratio[i] = x[i+1]/x[i].
enum Ziggurat {
  static let r = 3.442619855899, area = 9.91256303526217e-3
  struct Table: Sendable { let x: [Double], ratio: [Double] }
  static let table: Table = {
    var x = [Double](repeating: 0, count: 129)
    var f = Glibc.exp(-0.5 * r * r)
    x[0] = area / f
    x[1] = r
    for i in 2..<128 {
      x[i] = (-2 * Glibc.log(area / x[i - 1] + f)).squareRoot()
      f = Glibc.exp(-0.5 * x[i] * x[i])
    }
    return Table(x: x, ratio: (0..<128).map { x[$0 + 1] / x[$0] })
  }()
}
