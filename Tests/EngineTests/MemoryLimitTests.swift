import Testing
@testable import Engine

/// The engine's one allocation cap: every way to ask for a huge buffer throws a ``TensorError``
/// that names the operation, the size and the limit, before any memory is taken.
@Suite struct MemoryLimitTests {
  /// The message of the error `body` throws, or "" when it does not throw a `TensorError`.
  func message(_ body: () throws -> Any) -> String {
    do { _ = try body(); return "" } catch let e as TensorError { return e.description } catch { return "" }
  }

  func expectTooLarge(_ body: () throws -> Any, op: String, elements: String,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    let m = message(body)
    #expect(m.hasPrefix("\(op): would need \(elements) elements"), "\(m)", sourceLocation: sourceLocation)
    #expect(m.contains("more than the limit of 2^28 elements"), "\(m)", sourceLocation: sourceLocation)
    #expect(m.contains("LEBM_MAX_ELEMENTS"), "\(m)", sourceLocation: sourceLocation)
  }

  @Test func broadcastResultOverTheLimit() throws {
    let a = try Tensor.zeros([65536, 1]), b = try Tensor.zeros([1, 65536])
    expectTooLarge({ try a + b }, op: "broadcast", elements: "4294967296")
    expectTooLarge({ try a.compare(.less, b) }, op: "broadcast", elements: "4294967296")
  }

  @Test func creationAndLayerWeightsOverTheLimit() throws {
    expectTooLarge({ try Tensor.zeros([100_000, 100_000]) }, op: "zeros", elements: "10000000000")
    expectTooLarge({ try Tensor.randn([1 << 20, 1 << 10]) }, op: "randn", elements: "1073741824")
    expectTooLarge({ try Tensor.arange(0, 1e12) }, op: "arange", elements: "999999995904")
    #expect(try Tensor.arange(3e38, -3e38).count == 0)  // a span below Int.min is empty, not a trap
    #expect(try Tensor.arange(1e30, 0).count == 0)
    expectTooLarge({ try Tensor.linspace(0, 1, count: 1 << 30) }, op: "linspace", elements: "1073741824")
    var rng = RandomGenerator(seed: 1)
    expectTooLarge({ try Linear(100_000, 100_000, using: &rng) }, op: "rand", elements: "10000000000")
    #expect(message { try Tensor.zeros([1 << 40, 1 << 40]) }.contains("more elements than can be counted"))
  }

  @Test func matmulAndConvolutionBuffersOverTheLimit() throws {
    let a = try Tensor.zeros([20_000, 1]), b = try Tensor.zeros([1, 20_000])
    expectTooLarge({ try a.matmul(b) }, op: "matmul", elements: "400000000")
    // im2col for a 33×33 kernel over 4 channels of one 512×512 image: 4·1089 × 262144 values
    // (the column matrix is made one chunk of images at a time; one image is the smallest chunk).
    let x = try Tensor.zeros([1, 4, 512, 512]), w = try Tensor.zeros([1, 4, 33, 33])
    expectTooLarge({ try Tensor.conv2d(x, weight: w, padding: 16) }, op: "conv2d", elements: "1141899264")
  }

  @Test func planBuffersOverTheLimit() throws {
    // A plan for 3000 inputs through a 100000-wide layer needs 3·10⁸ values for that activation.
    var rng = RandomGenerator(seed: 1)
    let layer = try Linear(2, 100_000, using: &rng)
    expectTooLarge({ try InputGradientPlan([layer], inputShape: [3000, 2]) }, op: "plan", elements: "300000000")
  }

  @Test func limitParsesCountsAndPowersOfTwo() {
    #expect(MemoryLimit.parse("1073741824") == 1 << 30)
    #expect(MemoryLimit.parse("2^30") == 1 << 30)
    #expect(MemoryLimit.parse("lots") == nil)
    #expect(MemoryLimit.parse("0") == nil)
    #expect(MemoryLimit.parse("2^70") == nil && MemoryLimit.parse("1180591620717411303424") == nil)
    #expect(MemoryLimit.maxElements == MemoryLimit.defaultElements)
    // What start-up prints (once, on stderr) for a value it cannot use.
    #expect(MemoryLimit.ignoredSettingMessage("lots")
      == "lebm: ignoring LEBM_MAX_ELEMENTS='lots': it must be a count ≥ 1 (such as 1073741824) or a power of two up to 2^62 (such as 2^30); using the default, 2^28 values")
  }
}
