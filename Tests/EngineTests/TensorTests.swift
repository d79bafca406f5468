import Testing
import Glibc
@testable import Engine

@Suite struct TensorTests {
  @Test func creation() throws {
    #expect(try Tensor.zeros([2, 3]).scalars == [0, 0, 0, 0, 0, 0])
    #expect(try Tensor.ones([2]).scalars == [1, 1])
    #expect(try Tensor.full([1, 2], 7).scalars == [7, 7])
    #expect(try Tensor.arange(0, 5, step: 2).scalars == [0, 2, 4])
    #expect(try Tensor.linspace(0, 1, count: 3).scalars == [0, 0.5, 1])
    #expect(try Tensor(rows: [[1, 2], [3, 4]]).shape == [2, 2])
    #expect(throws: TensorError.self) { try Tensor(shape: [2, 2], scalars: [1, 2, 3]) }
    #expect(throws: TensorError.self) { try Tensor.zeros([-1, 2]) }
    #expect(throws: TensorError.self) { try Tensor.arange(0, 1, step: 0) }
    #expect(throws: TensorError.self) { try Tensor(rows: [[1], [2, 3]]) }
  }

  @Test func broadcastingArithmetic() throws {
    let a = try Tensor(rows: [[1, 2, 3], [4, 5, 6]])
    #expect(try (a + Tensor([10, 20, 30])).scalars == [11, 22, 33, 14, 25, 36])
    #expect(try (a * Tensor(shape: [2, 1], scalars: [1, -1])).scalars == [1, 2, 3, -4, -5, -6])
    #expect(try (a - 1).scalars == [0, 1, 2, 3, 4, 5])
    #expect(try (2 / Tensor([1, 4])).scalars == [2, 0.5])
    #expect(try Tensor([2, 3]).pow(2).scalars == [4, 9])
    #expect(try Tensor([1, 5]).maximum(Tensor([3, 2])).scalars == [3, 5])
  }

  @Test func shapeMismatchesAreErrors() throws {
    let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4, 5])
    do { _ = try a + b; Issue.record("broadcast should fail") } catch let e as TensorError {
      #expect(e.description == "add: shapes [2, 3] and [4, 5] do not match (cannot broadcast)")
    }
    do { _ = try Tensor.matmul(a, b); Issue.record("matmul should fail") } catch let e as TensorError {
      #expect(e.description == "matmul: shapes [2, 3] and [4, 5] do not match (inner sizes 3 and 4 differ)")
    }
    var rng = RandomGenerator(seed: 0)
    let layer = try Linear(5, 2, using: &rng)
    do { _ = try layer(a); Issue.record("layer should fail") } catch let e as TensorError {
      #expect(e.description.contains("input has 3 features, the layer takes 5"))
    }
    #expect(throws: TensorError.self) { try Tensor.matmul(Tensor([1, 2]), a) }
    #expect(throws: TensorError.self) { try a.reshaped([4, 2]) }
    #expect(throws: TensorError.self) { try a.sum(axes: [2]) }
    #expect(throws: TensorError.self) { try a.permuted([0, 0]) }
    #expect(throws: TensorError.self) { try a.gather([5]) }
    #expect(throws: TensorError.self) { try a.value(at: [2, 0]) }
    #expect(throws: TensorError.self) { try Tensor.concatenate([a, b]) }
    #expect(throws: TensorError.self) { try a.item() }
  }

  @Test func matmulAndTransposes() throws {
    let a = try Tensor(rows: [[1, 2], [3, 4], [5, 6]])  // 3×2
    let b = try Tensor(rows: [[1, 0, 2], [0, 1, 3]])    // 2×3
    #expect(try Tensor.matmul(a, b).scalars == [1, 2, 8, 3, 4, 18, 5, 6, 28])
    #expect(try Tensor.matmul(a, a, transposeA: true).scalars == [35, 44, 44, 56])
    #expect(try Tensor.matmul(b, b, transposeB: true).scalars == [5, 6, 6, 10])
  }

  @Test func reductionsAndShapes() throws {
    let a = try Tensor(rows: [[1, 2, 3], [4, 5, 6]])
    #expect(try a.sum().item() == 21)
    #expect(try a.sum(axes: [0]).scalars == [5, 7, 9])
    #expect(try a.mean(axes: [1], keepDims: true).shape == [2, 1])
    #expect(try a.max(axes: [1]).scalars == [3, 6])
    #expect(try a.min().item() == 1)
    #expect(abs(try a.logsumexp(axes: [1]).scalars[0] - 3.40760596) < 1e-5)
    #expect(try a.argmax(axis: 1).scalars == [2, 2])
    #expect(try a.transposed().scalars == [1, 4, 2, 5, 3, 6])
    #expect(try a.slice(axis: 1, start: 1).scalars == [2, 3, 5, 6])
    #expect(try a.slice(axis: 0, start: -1).scalars == [4, 5, 6])
    #expect(try Tensor.concatenate([a, a], axis: 0).shape == [4, 3])
    #expect(try Tensor.stack([a, a], axis: 2).shape == [2, 3, 2])
    #expect(try a.gather([1, 1, 0]).scalars == [4, 5, 6, 4, 5, 6, 1, 2, 3])
    #expect(try a.compare(.greater, Tensor(scalar: 3)).scalars == [0, 0, 0, 1, 1, 1])
    #expect(try Tensor.select(a.compare(.greater, Tensor(scalar: 3)), a, Tensor(scalar: 0)).scalars == [0, 0, 0, 4, 5, 6])
  }

  @Test func randomIsSeededAndDeterministic() throws {
    var r1 = RandomGenerator(seed: 42), r2 = RandomGenerator(seed: 42)
    #expect(try Tensor.randn([100], using: &r1).scalars == Tensor.randn([100], using: &r2).scalars)
    var r3 = RandomGenerator(seed: 43)
    #expect(try Tensor.randn([4], using: &r1).scalars != Tensor.randn([4], using: &r3).scalars)
    let saved = r1.state
    let a = r1.next()
    var r4 = try RandomGenerator(state: saved)
    #expect(r4.next() == a)
    // Moments of N(0, 1) from 100k draws: standard errors are 0.003 (mean) and 0.0045 (variance).
    let z = try Tensor.randn([100_000], using: &r1)
    #expect(abs(try z.mean().item()) < 0.015)
    #expect(abs(try z.variance().item() - 1) < 0.025)
  }

  @Test func normalDistributionMatchesTheGaussian() throws {
    // 1M ziggurat draws against Φ: the fraction below each of 13 points, including the layers'
    // slow paths (|z| near the edges) and the tail beyond r = 3.44. The standard error of a
    // fraction p is √(p(1−p)/n) ≤ 0.0005; each must be within 5 of them (and the tails within
    // 12 % of their own size). Also the fourth moment (3, s.e. ≈ 0.01) and symmetry.
    var rng = RandomGenerator(seed: 7)
    let n = 1_000_000
    var z = [Float](repeating: 0, count: n)
    z.withUnsafeMutableBufferPointer { rng.fillNormal($0.baseAddress!, count: n) }
    func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
    for x in [-3.0, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3] {
      let p = Double(z.reduce(0) { $0 + (Double($1) < x ? 1 : 0) }) / Double(n)
      let se = (phi(x) * (1 - phi(x)) / Double(n)).squareRoot()
      #expect(abs(p - phi(x)) < 5 * se, "P(z < \(x)) = \(p), want \(phi(x))")
    }
    let beyond = Double(z.reduce(0) { $0 + (abs($1) > 3.5 ? 1 : 0) }) / Double(n)
    #expect(abs(beyond - 2 * phi(-3.5)) < 0.12 * 2 * phi(-3.5) + 5 * (2 * phi(-3.5) / Double(n)).squareRoot())
    #expect(z.contains { abs($0) > 4 })  // no cut-off at the ziggurat's base (r = 3.44)
    let m4 = z.reduce(0.0) { $0 + pow(Double($1), 4) } / Double(n)
    #expect(abs(m4 - 3) < 0.06)
  }

  @Test func gradientOnlyWhereAsked() throws {
    // d/dz of Σ (W z)² through a layer: the answer is 2 Wᵀ W z, and no weight gradient is made.
    var rng = RandomGenerator(seed: 1)
    let layer = try Linear(3, 2, bias: false, using: &rng)
    let z = try Tensor(rows: [[1, 2, 3]]).requiringGrad()
    let g = try gradients(of: try layer(z).square().sum(), wrt: [z])[0]
    let w = layer.weight.detached()
    let want = try Tensor.matmul(Tensor.matmul(try Tensor(rows: [[1, 2, 3]]), w, transposeB: true) * 2, w)
    #expect(g.isClose(to: want, tolerance: 1e-4))
    // A tensor the output does not depend on gets zeros; an untracked one is an error.
    let other = try Tensor.ones([2]).requiringGrad()
    #expect(try gradients(of: try z.sum(), wrt: [other])[0].scalars == [0, 0])
    #expect(throws: TensorError.self) { try gradients(of: try z.sum(), wrt: [Tensor.ones([1])]) }
    #expect(throws: TensorError.self) { try gradients(of: z, wrt: [z]) }
    // withoutGradients records nothing.
    let y = try withoutGradients { try z * 2 }
    #expect(!y.requiresGrad)
  }

  @Test func threadsDoNotChangeElementwiseResults() throws {
    var rng = RandomGenerator(seed: 5)
    let x = try Tensor.randn([200_000], using: &rng)
    let a = try Threads.with(1) { try (x.apply(.gelu) * 3 + x).sum(axes: [0]) }
    let b = try Threads.with(2) { try (x.apply(.gelu) * 3 + x).sum(axes: [0]) }
    #expect(a.scalars == b.scalars)
  }
}
