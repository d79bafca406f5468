// Large matrix products run in blocks of rows with an interrupt check between blocks: the result
// is the unsplit product's, and a stop request ends the product between blocks.
import Testing
@testable import Engine

@Suite(.serialized) struct InterruptibleProductTests {
  /// Runs `body` with products of at least `size` multiply-adds split into blocks of `rows` rows.
  func splitting<R>(size: Int, rows: Int, _ body: () throws -> R) rethrows -> R {
    let saved = (Tensor.interruptibleProductSize, Tensor.interruptibleBlockRows)
    Tensor.interruptibleProductSize = size
    Tensor.interruptibleBlockRows = rows
    defer { (Tensor.interruptibleProductSize, Tensor.interruptibleBlockRows) = saved }
    return try body()
  }

  /// Each entry of `c` is within the rounding bound of any order of summation of `a·b`:
  /// |ĉᵢⱼ − cᵢⱼ| ≤ γₖ Σₖ |aᵢₖ bₖⱼ| with γₖ = k·u / (1 − k·u), u = 2⁻²⁴, against a Float64 product.
  /// OpenBLAS picks its kernels (and so the order of each sum) by CPU and by shape, so products of
  /// different shapes agree to this bound, not bit for bit.
  func expectWithinRoundingBound(_ c: Tensor, _ a: [[Float]], _ b: [[Float]], sourceLocation: SourceLocation = #_sourceLocation) {
    let k = b.count, u = 1.0 / Double(1 << 24), gamma = Double(k) * u / (1 - Double(k) * u)
    let cs = c.scalars, cols = b[0].count
    var worst = 0.0
    for i in 0..<a.count {
      for j in 0..<cols {
        var exact = 0.0, magnitude = 0.0
        for t in 0..<k { let p = Double(a[i][t]) * Double(b[t][j]); exact += p; magnitude += abs(p) }
        worst = max(worst, abs(Double(cs[i * cols + j]) - exact) / (gamma * magnitude))
      }
    }
    #expect(worst <= 1, "an entry is \(worst)× the rounding bound from the exact product", sourceLocation: sourceLocation)
  }

  func rows(_ t: Tensor) -> [[Float]] {
    let s = t.scalars, n = t.shape[1]
    return (0..<t.shape[0]).map { Array(s[($0 * n)..<(($0 + 1) * n)]) }
  }

  @Test func aSplitProductEqualsTheUnsplitOne() throws {
    var rng = RandomGenerator(seed: 3)
    let a = try Tensor.randn([300, 250], using: &rng), b = try Tensor.randn([250, 130], using: &rng)
    let at = try Tensor.randn([250, 300], using: &rng), bt = try Tensor.randn([130, 250], using: &rng)
    let whole = try Tensor.matmul(a, b), wholeT = try Tensor.matmul(at, bt, transposeA: true, transposeB: true)
    let (split, splitT) = try splitting(size: 1, rows: 64) {
      (try Tensor.matmul(a, b), try Tensor.matmul(at, bt, transposeA: true, transposeB: true))
    }
    #expect(split.shape == [300, 130] && splitT.shape == [300, 130])
    let (ra, rb) = (rows(a), rows(b))
    let (rat, rbt) = (rows(try at.transposed()), rows(try bt.transposed()))
    for c in [whole, split] { expectWithinRoundingBound(c, ra, rb) }
    for c in [wholeT, splitT] { expectWithinRoundingBound(c, rat, rbt) }
  }

  @Test func aStopRequestEndsALargeProductBetweenBlocks() throws {
    var rng = RandomGenerator(seed: 4)
    let a = try Tensor.randn([512, 64], using: &rng), b = try Tensor.randn([64, 64], using: &rng)
    let flag = InterruptFlag()
    flag.request()
    #expect(throws: Interrupted.self) {
      try splitting(size: 1, rows: 128) { try Interrupt.interruptible(flag) { try Tensor.matmul(a, b) } }
    }
    // A small product (under the size) does not poll: it completes.
    flag.request()
    let y = try Interrupt.interruptible(flag) { try Tensor.matmul(a, b) }
    #expect(y.shape == [512, 64])
    #expect(flag.isRequested)
  }
}
