// How tensors print: one number style per tensor, aligned rows, edges past 1,000 values, the
// statistics line, and the one-line form for containers.
import Testing

@testable import Engine

@Suite struct TensorPrintingTests {
  func t(_ shape: [Int], _ values: [Float]) throws -> Tensor { try Tensor(shape: shape, scalars: values) }

  @Test func oneStylePerTensor() throws {
    #expect(try t([3], [1, 2, 3]).description == "tensor([1, 2, 3])")
    #expect(try t([3], [1, 0.5, 1.0 / 3]).description == "tensor([1.0000, 0.5000, 0.3333])")
    #expect(try t([2], [1.5, 2]).description == "tensor([1.5, 2.0])")
    #expect(try t([2], [-0.25, 10]).description == "tensor([-0.25, 10.00])")
    #expect(try t([2], [1e-5, 1]).description == "tensor([1.0000e-05, 1.0000e+00])")
    #expect(try t([2], [2e8, 1]).description == "tensor([2.0000e+08, 1.0000e+00])")
    #expect(try t([2], [-0.00001, 0.5]).description == "tensor([-1.0000e-05,  5.0000e-01])")
    #expect(try t([4], [1, .nan, .infinity, -.infinity]).description == "tensor([   1,  nan,  inf, -inf])")
    #expect(try t([], [2.5]).description == "tensor(2.5)")
    #expect(try t([0, 3], []).description == "tensor([], shape [0, 3])")
  }

  @Test func rowsAlignAndBlocksAreSeparated() throws {
    #expect(try t([3, 2], [1, -2, 30, 4, 5, 6]).description == "tensor([[ 1, -2],\n        [30,  4],\n        [ 5,  6]])")
    let cube = try t([2, 1, 2], [1, 2, 3, 4])
    #expect(cube.description == "tensor([[[1, 2]],\n\n        [[3, 4]]])")
    // A long row wraps under its first value.
    let row = Tensor((0..<30).map { Float($0) })
    let lines = row.description.split(separator: "\n")
    #expect(lines.count == 2 && lines.allSatisfy { $0.count <= 80 })
    #expect(lines[1].hasPrefix("        "))
  }

  @Test func pastAThousandValuesOnlyTheEdgesAndTheStatistics() throws {
    let full = Tensor([Float](repeating: 1, count: 1000))
    #expect(!full.description.contains("…") && !full.description.contains("shape"))
    let big = try Tensor(shape: [50, 50], scalars: (0..<2500).map { Float($0) })
    let lines = big.description.split(separator: "\n").map(String.init)
    #expect(lines.count == 8)
    #expect(lines[0] == "tensor([[   0,    1,    2, …,   47,   48,   49],")
    #expect(lines[3] == "        …,")
    #expect(lines[6] == "        [2450, 2451, 2452, …, 2497, 2498, 2499]])")
    // mean 1249.5, population std √((2500² − 1)/12) = 721.69
    #expect(lines[7] == "shape [50, 50]  mean 1249.5  std 721.6878  min 0  max 2499")
    var values = [Float](repeating: 2, count: 2000)
    values[0] = .nan; values[1] = .infinity
    #expect(Tensor(values).statisticsLine == "shape [2000]  mean 2  std 0  min 2  max 2  nan 1  inf 1")
  }

  @Test func inContainersOneLine() throws {
    #expect(try t([2, 2], [1, 2, 3, 4]).inlineDescription == "tensor([[1, 2], [3, 4]])")
    #expect(Tensor([Float](repeating: 0, count: 13)).inlineDescription == "tensor(shape [13], mean 0, std 0, min 0, max 0)")
  }
}
