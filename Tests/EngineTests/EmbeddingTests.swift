// Embedding (Layers/Embedding.swift) and softmax cross-entropy (Tensor+CrossEntropy.swift):
// values against their definitions, gradients against central differences, and bad ids, shapes
// and masks as thrown errors.
import Glibc
import Testing
@testable import Engine

/// Whether the error's message contains `message` (printing it when not, to see what it said).
func says(_ error: any Error, _ message: String) -> Bool {
  let ok = "\(error)".contains(message)
  if !ok { print("the error says: \(error)") }
  return ok
}

@Suite struct EmbeddingTests {
  private func ids(_ shape: [Int], _ values: [Float]) -> Tensor { try! Tensor(shape: shape, scalars: values) }

  @Test func embeddingLooksUpRows() throws {
    var rng = RandomGenerator(seed: 1)
    let e = try Embedding(5, 3, using: &rng)
    let x = ids([2, 3], [4, 0, 4, 1, 2, 3])
    let y = try e(x)
    #expect(y.shape == [2, 3, 3])
    for (p, id) in x.scalars.enumerated() {
      #expect(Array(y.scalars[(p * 3)..<(p * 3 + 3)]) == Array(e.weight.scalars[(Int(id) * 3)..<(Int(id) * 3 + 3)]))
    }
    #expect(e.namedParameters.map(\.0) == ["weight"] && e.weight.shape == [5, 3] && e.description == "Embedding(5, 3)")
    // N(0, 1), as PyTorch: a large table has mean ≈ 0 and variance ≈ 1.
    let big = try Embedding(1000, 100, using: &rng).weight
    let (mean, variance) = (try big.mean().item(), try big.variance().item())
    #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.02)
  }

  /// The weight's gradient is a scatter-add: repeated ids add up, unused rows stay zero.
  @Test func embeddingGradients() throws {
    let w = sample([6, 4], seed: 2)
    let x = ids([3, 4], [1, 5, 1, 0, 2, 2, 2, 5, 0, 1, 3, 1])
    try checkGradients("embedding", [w]) { try Tensor.embedding(x, weight: $0[0]) }
    let tracked = w.copy().requiringGrad()
    let g = try gradients(of: try Tensor.embedding(x, weight: tracked).sum(), wrt: [tracked])[0]
    #expect(g.scalars == [2, 2, 2, 2, 4, 4, 4, 4, 3, 3, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2])
  }

  @Test func badIdsThrowNamingTheFirst() throws {
    let w = sample([10, 2])
    let cases: [(Tensor, String)] = [
      (ids([2, 3], [1, 2, 3, 4, 2.5, 7]), "embedding: id 2.5 at [1, 1] is not a whole number in [0, 10)"),
      (ids([2, 2], [1, 10, 3, 11]), "embedding: id 10 at [0, 1] is not a whole number in [0, 10)"),
      (ids([3], [1, -1, 2]), "embedding: id -1 at [1] is not a whole number in [0, 10)"),
      (ids([1, 2], [.nan, 1]), "embedding: id nan at [0, 0]"),
      (ids([2], [0, .infinity]), "embedding: id inf at [1]"),
    ]
    for (x, message) in cases {
      #expect { try Tensor.embedding(x, weight: w) } throws: { says($0, message) }
    }
    var rng = RandomGenerator(seed: 1)
    #expect { try Embedding((1 << 24) + 1, 1, using: &rng) } throws: {
      "\($0)" == "Embedding: a vocabulary of 16777217 is more than 2^24 = 16777216: ids are Float32 values, exact only below 2^24"
    }
    #expect { try Embedding(0, 3, using: &rng) } throws: { "\($0)".contains("the vocabulary must be positive") }
    #expect { try Embedding(4, 0, using: &rng) } throws: { "\($0)".contains("the dimension must be positive") }
  }

  // MARK: - Cross-entropy

  @Test func crossEntropyIsLogSumExpMinusTheTarget() throws {
    let logits = sample([4, 5], -3...3, seed: 3)
    let y = ids([4], [0, 4, 2, 2])
    let losses = try Tensor.crossEntropy(logits: logits, targets: y)
    for n in 0..<4 {
      let row = logits.scalars[(n * 5)..<(n * 5 + 5)].map(Double.init)
      let want = log(row.map { exp($0) }.reduce(0, +)) - row[Int(y.scalars[n])]
      #expect(abs(Double(losses.scalars[n]) - want) < 1e-5)
    }
    // Stable: logits of 1e4 give the loss of the same logits less 1e4.
    let shifted = try Tensor.crossEntropy(logits: logits + 1e4, targets: y)
    #expect(shifted.isClose(to: losses, tolerance: 5e-3))
    #expect(try Tensor.crossEntropy(logits: logits, targets: y, reduction: .sum).item() == (try losses.sum().item()))
    #expect(abs(try Tensor.crossEntropy(logits: logits, targets: y, reduction: .mean).item() - (try losses.mean().item())) < 1e-6)
  }

  @Test func crossEntropyGradients() throws {
    let logits2 = sample([4, 5], -2...2, seed: 4)
    let y2 = ids([4], [1, 0, 4, 1])
    for r in CrossEntropyReduction.allCases {
      try checkGradients("cross_entropy [N, V] \(r)", [logits2]) { try Tensor.crossEntropy(logits: $0[0], targets: y2, reduction: r) }
    }
    let logits3 = sample([2, 3, 4], -2...2, seed: 5)
    let y3 = ids([2, 3], [3, 0, 2, 1, 1, 0])
    let mask = ids([2, 3], [1, 1, 0, 1, 0, 0])
    for r in CrossEntropyReduction.allCases {
      try checkGradients("cross_entropy [B, T, V] masked \(r)", [logits3]) {
        try Tensor.crossEntropy(logits: $0[0], targets: y3, mask: mask, reduction: r)
      }
      try checkGradients("cross_entropy [B, T, V] \(r)", [logits3]) { try Tensor.crossEntropy(logits: $0[0], targets: y3, reduction: r) }
    }
    // Masked positions add nothing and get no gradient; rows are per-sequence sums.
    let tracked = logits3.copy().requiringGrad()
    let rows = try Tensor.crossEntropy(logits: tracked, targets: y3, mask: mask, reduction: .rows)
    let each = try Tensor.crossEntropy(logits: logits3, targets: y3)
    #expect(rows.shape == [2])
    #expect(abs(rows.scalars[0] - each.scalars[0] - each.scalars[1]) < 1e-6 && abs(rows.scalars[1] - each.scalars[3]) < 1e-6)
    let g = try gradients(of: rows.sum(), wrt: [tracked])[0]
    #expect(g.scalars[8..<12].allSatisfy { $0 == 0 } && g.scalars[16..<24].allSatisfy { $0 == 0 })
    // softmax − onehot sums to zero over each counted row.
    #expect(abs(g.scalars[0..<4].reduce(0, +)) < 1e-6)
    let mean = try Tensor.crossEntropy(logits: logits3, targets: y3, mask: mask, reduction: .mean)
    #expect(abs(try mean.item() - (rows.scalars[0] + rows.scalars[1]) / 3) < 1e-6)
  }

  @Test func crossEntropyBadInputsThrow() throws {
    let logits = sample([2, 3, 4])
    let cases: [(() throws -> Tensor, String)] = [
      ({ try Tensor.crossEntropy(logits: logits, targets: self.ids([2, 3], [0, 1, 2, 3, 4, 0])) }, "cross_entropy: id 4 at [1, 1] is not a whole number in [0, 4)"),
      ({ try Tensor.crossEntropy(logits: logits, targets: self.ids([2, 3], [0, 0.5, 2, 3, 1, 0])) }, "cross_entropy: id 0.5 at [0, 1]"),
      ({ try Tensor.crossEntropy(logits: logits, targets: self.ids([3, 2], [0, 0, 0, 0, 0, 0])) }, "cross_entropy: shapes [2, 3, 4] and [3, 2] do not match (the targets must have the logits' shape without its last axis (the classes))"),
      ({ try Tensor.crossEntropy(logits: logits, targets: self.ids([2, 3], [0, 0, 0, 0, 0, 0]), mask: self.ids([6], [1, 1, 1, 1, 1, 1])) }, "the mask must have the targets' shape"),
      ({ try Tensor.crossEntropy(logits: logits, targets: self.ids([2, 3], [0, 0, 0, 0, 0, 0]), mask: self.ids([2, 3], [1, 1, 0.5, 1, 1, 1])) }, "cross_entropy: the mask holds 0.5 at [0, 2]; it must hold 0 (padding) or 1 (counts)"),
      ({ try Tensor.crossEntropy(logits: Tensor(scalar: 1), targets: Tensor(scalar: 0)) }, "cross_entropy: shapes [] and [] do not match"),
    ]
    for (f, message) in cases {
      #expect { _ = try f() } throws: { says($0, message) }
    }
  }
}
