import Testing
@testable import Engine

/// Checks the autodiff gradient of `f` at `inputs` against central finite differences.
///
/// The scalar checked is `L = Σ r ⊙ f(inputs)` with a fixed random `r`, so every output entry
/// matters. The differences are taken in Float32 with h = 1e-2 and L summed in Double: the
/// truncation error is O(h²·f‴) ≈ 1e-4 and the rounding error ≈ 1e-7·|L|/h ≈ 1e-5·|L|, so
/// `|analytic − numeric| ≤ 5e-3 + 2e-2·|numeric|` separates a wrong rule (errors of order 1)
/// from noise.
func checkGradients(
  _ name: String, _ inputs: [Tensor], atol: Double = 5e-3, rtol: Double = 2e-2,
  sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) throws -> Tensor
) throws {
  var rng = RandomGenerator(seed: 99)
  let tracked = inputs.map { $0.copy().requiringGrad() }
  let y = try f(tracked)
  let r = try Tensor.randn(y.shape, using: &rng)
  let loss = try (y * r).sum()
  let analytic = try gradients(of: loss, wrt: tracked)

  func value(_ xs: [Tensor]) throws -> Double {
    let out = try withoutGradients { try f(xs) }
    var s = 0.0
    for (a, b) in zip(out.scalars, r.scalars) { s += Double(a) * Double(b) }
    return s
  }
  let h: Float = 1e-2
  for (k, x) in inputs.enumerated() {
    let a = analytic[k].scalars
    #expect(analytic[k].shape == x.shape, "\(name): gradient \(k) has shape \(analytic[k].shape), input \(x.shape)", sourceLocation: sourceLocation)
    for i in 0..<x.count {
      let plus = inputs.map { $0.copy() }, minus = inputs.map { $0.copy() }
      plus[k].storage.pointer[i] += h
      minus[k].storage.pointer[i] -= h
      let numeric = (try value(plus) - value(minus)) / Double(2 * h)
      let ok = abs(Double(a[i]) - numeric) <= atol + rtol * abs(numeric)
      #expect(ok, "\(name): ∂/∂input\(k)[\(i)] autodiff \(a[i]) vs finite difference \(numeric)", sourceLocation: sourceLocation)
      if !ok { return }
    }
  }
}

/// A tensor of `shape` with values drawn uniformly from `range`, reproducibly.
func sample(_ shape: [Int], _ range: ClosedRange<Float> = -1...1, seed: UInt64 = 1) -> Tensor {
  var rng = RandomGenerator(seed: seed)
  return try! Tensor.rand(shape, lo: range.lowerBound, hi: range.upperBound, using: &rng)
}
