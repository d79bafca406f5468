import Engine
import Testing
@testable import Datasets

@Suite struct DatasetTests {
  /// 10 examples `[10, 1, 2, 2]`; example i holds the value i everywhere, label i % 3.
  func sample(_ n: Int = 10) throws -> Dataset {
    let x = try Tensor(shape: [n, 1, 2, 2], scalars: (0..<n).flatMap { Array(repeating: Float($0), count: 4) })
    return try Dataset(name: "s", x: x, labels: (0..<n).map { $0 % 3 }, classes: 3)
  }

  /// The example numbers (first value of each row) of a tensor built like `sample`.
  func ids(_ x: Tensor) -> [Int] {
    let s = x.scalars, w = x.count / max(x.shape[0], 1)
    return (0..<x.shape[0]).map { Int(s[$0 * w]) }
  }

  @Test func initChecksLabels() throws {
    let x = try Tensor.zeros([3, 2])
    #expect(errorMessage { try Dataset(name: "a", x: x, labels: [0, 1]) }?.contains("2 labels for 3") == true)
    #expect(errorMessage { try Dataset(name: "a", x: x, labels: [0, 1, -1]) } != nil)
    #expect(errorMessage { try Dataset(name: "a", x: x, labels: [0, 1, 3], classes: 3) } != nil)
    #expect(errorMessage { try Dataset(name: "a", x: Tensor(scalar: 1)) } != nil)
    let d = try Dataset(name: "a", x: x, labels: [0, 1, 2], classes: 3)
    #expect(d.count == 3 && d.exampleShape == [2])
    #expect(d.description.contains("3 × [2]"))
  }

  @Test func subsetFilterExcluding() throws {
    let d = try sample()
    let s = try d.subset([4, 0, 4])
    #expect(ids(s.x) == [4, 0, 4] && s.labels == [1, 0, 1] && s.x.shape == [3, 1, 2, 2])
    #expect(errorMessage { try d.subset([10]) }?.contains("index 10") == true)
    #expect(errorMessage { try d.subset([-1]) } != nil)
    let f = try d.filter(labels: [0, 2])
    #expect(ids(f.x) == [0, 2, 3, 5, 6, 8, 9])
    #expect(f.labels!.allSatisfy { $0 != 1 })
    let e = try d.excluding(labels: [1])
    #expect(ids(e.x) == ids(f.x) && e.labels == f.labels)
    #expect(e.classes == 3)
    let none = try d.filter(labels: [7])
    #expect(none.count == 0 && none.x.shape == [0, 1, 2, 2])
    let unlabelled = try Dataset(name: "u", x: d.x)
    #expect(errorMessage { try unlabelled.filter(labels: [0]) }?.contains("no labels") == true)
    #expect(errorMessage { try unlabelled.excluding(labels: [0]) } != nil)
  }

  @Test func splitFractionsAndSeeds() throws {
    let d = try sample(100)
    let (a, b) = try d.split(fraction: 0.8, seed: 3)
    #expect(a.count == 80 && b.count == 20)
    #expect(Set(ids(a.x) + ids(b.x)) == Set(0..<100))
    #expect(ids(a.x) != Array(0..<80))  // shuffled
    let (a2, _) = try d.split(fraction: 0.8, seed: 3)
    #expect(ids(a2.x) == ids(a.x))
    let (a3, _) = try d.split(fraction: 0.8, seed: 4)
    #expect(ids(a3.x) != ids(a.x))
    for (i, k) in ids(a.x).enumerated() { #expect(a.labels![i] == k % 3) }
    #expect(try d.split(fraction: 0, seed: 1).train.count == 0)
    #expect(try d.split(fraction: 1, seed: 1).test.count == 0)
    #expect(try d.split(fraction: 0.333, seed: 1).train.count == 33)
    #expect(errorMessage { try d.split(fraction: 1.5, seed: 1) } != nil)
    #expect(errorMessage { try d.split(fraction: .nan, seed: 1) } != nil)
  }

  @Test func batchesInOrder() throws {
    let d = try sample(10)
    let bs = Array(try d.batches(size: 4))
    #expect(bs.map { $0.x.shape[0] } == [4, 4, 2])
    #expect(bs.map { $0.x.shape } == [[4, 1, 2, 2], [4, 1, 2, 2], [2, 1, 2, 2]])
    #expect(bs.flatMap { ids($0.x) } == Array(0..<10))
    #expect(bs.flatMap { $0.y! } == (0..<10).map { $0 % 3 })
    #expect(try d.batches(size: 4).count == 3)
    #expect(Array(try d.batches(size: 20)).map { $0.x.shape[0] } == [10])
    #expect(Array(try d.batches(size: Int.max)).map { $0.x.shape[0] } == [10])
    #expect(try d.batches(size: Int.max).count == 1)
    #expect(errorMessage { try d.batches(size: 0) } != nil)
    let empty = try d.filter(labels: [])
    #expect(Array(try empty.batches(size: 3)).isEmpty)
  }

  @Test func shuffledBatchesCoverEveryIndexOnce() throws {
    let d = try sample(103)
    let a = Array(try d.batches(size: 10, shuffle: true, seed: 5))
    let b = Array(try d.batches(size: 10, shuffle: true, seed: 5))
    let c = Array(try d.batches(size: 10, shuffle: true, seed: 6))
    #expect(a.map { $0.x.shape[0] } == Array(repeating: 10, count: 10) + [3])
    let order = a.flatMap { ids($0.x) }
    #expect(order.sorted() == Array(0..<103))
    #expect(order != Array(0..<103))
    #expect(order == b.flatMap { ids($0.x) })
    #expect(order != c.flatMap { ids($0.x) })
    #expect(a.flatMap { $0.indices } == order)
    for batch in a { #expect(batch.y! == ids(batch.x).map { $0 % 3 }) }
  }

  @Test func flattenedAndNormalized() throws {
    let d = try sample(4)
    let f = try d.flattened()
    #expect(f.x.shape == [4, 4] && f.labels == d.labels)
    #expect(try f.flattened().x.shape == [4, 4])
    let n = try d.normalized(from: 0...3)
    #expect(n.x.scalars.min() == -1 && n.x.scalars.max() == 1)
    let m = try d.normalized(to: 0...1)
    #expect(m.x.scalars[4] == Float(1) / 3)
    #expect(errorMessage { try d.normalized(from: 1...1) } != nil)
    #expect(Scaling.signed([0, 255, 51]) == [-1, 1, Float(51) / 127.5 - 1])
    // The unrolled loop and the tail agree with the plain formula.
    for n in [1003, 10_007] {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 >> 8) }
      #expect(Scaling.signed(bytes) == bytes.map { Float($0) / 127.5 - 1 })
      // From an odd address the word path is skipped; the result is the same.
      let out = bytes.withUnsafeBufferPointer { b in
        [Float](unsafeUninitializedCapacity: n - 1) { d, k in
          Scaling.convert(UnsafeBufferPointer(rebasing: b[1...]), into: d.baseAddress!)
          k = n - 1
        }
      }
      #expect(out == bytes.dropFirst().map { Float($0) / 127.5 - 1 })
    }
  }
}
