// Reductions stay accurate at any length: a Float32 accumulator stops growing at 2²⁴ and loses
// digits long before, so every sum is accumulated in Float64. Checked against Float64 sums
// computed here, at up to 10⁸ values.
import Glibc
import Testing
@testable import Engine

@Suite struct ReductionAccuracyTests {
  /// Σ x in Float64, the reference.
  func reference(_ t: Tensor) -> (sum: Double, sumSquares: Double) {
    var s = 0.0, q = 0.0
    t.withUnsafeBufferPointer { p in for v in p { s += Double(v); q += Double(v) * Double(v) } }
    return (s, q)
  }

  /// |a − b| ≤ tolerance · |b|.
  func close(_ a: Float, _ b: Double, _ tolerance: Double = 1e-6) -> Bool {
    abs(Double(a) - b) <= tolerance * abs(b)
  }

  @Test func constantsPast2To24AreCountedExactly() throws {
    // The reproduction: 2·10⁷ ones gave sum 16 777 216, mean 0.8389, variance 0.0262,
    // norm 4096 and logsumexp of zeros 16.6355.
    let ones = try Tensor.full([20_000_000], 1), zeros = try Tensor.zeros([20_000_000])
    #expect(try ones.sum().item() == 20_000_000)
    #expect(try ones.mean().item() == 1)
    #expect(try ones.variance().item() == 0)
    #expect(close(try ones.norm().item(), 20_000_000.0.squareRoot()))
    #expect(close(try zeros.logsumexp().item(), log(20_000_000.0)))
    // mean(flatten(full([60000, 784], 0.5))) gave 0.1783.
    let half = try Tensor.full([60_000, 784], 0.5)
    #expect(try half.reshaped([60_000 * 784]).mean().item() == 0.5)
    #expect(try half.mean().item() == 0.5)
    #expect(try half.sum(axes: [0]).scalars.allSatisfy { $0 == 30_000 })
    #expect(try half.sum(axes: [1]).scalars.allSatisfy { $0 == 392 })
  }

  @Test func aHundredMillionRandomValuesAgreeWithFloat64() throws {
    var rng = RandomGenerator(seed: 11)
    let n = 100_000_000
    let x = try Tensor.rand([n], using: &rng)
    let (s, q) = reference(x)
    let mean = s / Double(n)
    #expect(close(try x.sum().item(), s))
    #expect(close(try x.mean().item(), mean))
    #expect(close(try x.norm().item(), q.squareRoot()))
    #expect(close(try x.variance().item(), q / Double(n) - mean * mean, 1e-5))
    // logsumexp: Σ exp(xᵢ) with xᵢ in [0, 1); its reference from the same values.
    var e = 0.0
    x.withUnsafeBufferPointer { p in for v in p { e += Double(expf(v)) } }
    #expect(close(try x.logsumexp().item(), log(e)))
  }

  @Test func stridedAxesAgreeWithFloat64() throws {
    // Sums down a long axis with values beside it (inner > 1) take the strided path.
    var rng = RandomGenerator(seed: 12)
    let rows = 25_000_000
    let x = try Tensor.rand([rows, 4], using: &rng)
    var ref = [Double](repeating: 0, count: 4)
    x.withUnsafeBufferPointer { p in for i in 0..<rows { for j in 0..<4 { ref[j] += Double(p[i * 4 + j]) } } }
    let sums = try x.sum(axes: [0]).scalars, means = try x.mean(axes: [0]).scalars
    for j in 0..<4 {
      #expect(close(sums[j], ref[j]))
      #expect(close(means[j], ref[j] / Double(rows)))
    }
  }

  @Test func smallReductionsKeepTheirValues() throws {
    let t = try Tensor(shape: [2, 3, 5], scalars: (0..<30).map { Float($0) - 7.5 })
    var expected: [Float] = []
    for o in 0..<2 {
      for j in 0..<5 {
        var s: Float = 0
        for k in 0..<3 { s += Float(o * 15 + k * 5 + j) - 7.5 }
        expected.append(s)
      }
    }
    #expect(try t.sum(axes: [1]).scalars == expected)
    #expect(try t.mean(axes: [0, 2]).scalars == [2, 7, 12])  // 7.5 + 5k + 2 − 7.5
    #expect(try Tensor.zeros([0, 3]).mean(axes: [0]).scalars.allSatisfy(\.isNaN))
    #expect(try Tensor.zeros([0, 3]).sum(axes: [0]).scalars == [0, 0, 0])
  }
}
