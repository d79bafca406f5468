import Testing
import Engine
import Glibc
@testable import LatentEBM

/// The measures the toy examples report. The quick-start's own numbers are checked by running it at
/// its full settings (`ExamplesTests.quickStartAtFullSettings`).
@Suite struct ToyModesTests {
  /// mmdFloor is the expected MMD² of two independent samples: compare it with the mean over a
  /// few pairs of fresh samples of the same sizes.
  @Test func mmdFloorMatchesTwoIndependentSamples() throws {
    var rng = RandomGenerator(seed: 9)
    let reference = try eightGaussians(1000, using: &rng)
    let floor = try mmdFloor(reference, n: 300, m: 500)
    var total: Float = 0
    for _ in 0..<8 { total += try mmd(eightGaussians(300, using: &rng), eightGaussians(500, using: &rng)) }
    let observed = total / 8
    #expect(abs(observed - floor) <= 0.25 * floor, "floor \(floor), observed mean \(observed)")
  }

  @Test func modeCoverageCountsNearestCentresWithinTheRadius() throws {
    let centres = try Tensor(shape: [2, 2], scalars: [0, 0, 1, 0])
    let x = try Tensor(shape: [4, 2], scalars: [0.1, 0, 0.9, 0, 0.5, 0, 5, 5])
    let (near, counts) = try modeCoverage(x, centres: centres, radius: 0.3)
    #expect(near == 0.5)
    #expect(counts == [1, 1])
  }
}

/// The centres of "8gaussians", row-major (radius 2, angles kπ/4), as ``eightGaussians`` draws them.
enum Toy8 {
  static let centres: [Float] = (0..<8).flatMap { k -> [Float] in
    let a = Float(k) * Float.pi / 4
    return [2 * cosf(a), 2 * sinf(a)]
  }
}
