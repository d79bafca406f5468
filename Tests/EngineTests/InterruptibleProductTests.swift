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

  @Test func aSplitProductEqualsTheUnsplitOne() throws {
    var rng = RandomGenerator(seed: 3)
    let a = try Tensor.randn([700, 300], using: &rng), b = try Tensor.randn([300, 260], using: &rng)
    let at = try Tensor.randn([300, 700], using: &rng), bt = try Tensor.randn([260, 300], using: &rng)
    let whole = try Tensor.matmul(a, b), wholeT = try Tensor.matmul(at, bt, transposeA: true, transposeB: true)
    let (split, splitT) = try splitting(size: 1, rows: 64) {
      (try Tensor.matmul(a, b), try Tensor.matmul(at, bt, transposeA: true, transposeB: true))
    }
    // OpenBLAS sums each result over k in the same order whatever the rows around it: bitwise equal.
    #expect(split.scalars == whole.scalars)
    #expect(splitT.scalars == wholeT.scalars)
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
