// Weight gradients against central differences, for losses of the LatentEBM layer's models.
import Engine
import Testing

/// Checks autodiff's gradients `grads` of `loss` in `parameters` against central differences
/// (step 1e-2 in Float32, evaluated in Double), at `probes` random entries of each tensor: within
/// 2e-2 absolute plus 2e-2 relative, which a wrong term (a factor, a sign, a missing path) exceeds
/// by far at these sizes while Float32 rounding of a loss near 10 stays under it.
func expectWeightGradientsMatchFiniteDifferences(
  _ parameters: [Tensor], _ grads: [Tensor], probes: Int = 6, rng: inout RandomGenerator, loss: () throws -> Double,
  sourceLocation: SourceLocation = #_sourceLocation
) throws {
  for (k, (p, g)) in zip(parameters, grads).enumerated() {
    for _ in 0..<min(probes, p.count) {
      let i = rng.int(below: p.count), h: Float = 1e-2
      let original = p.scalars[i]
      func set(_ v: Float) { p.withUnsafeMutableBufferPointer { $0[i] = v } }
      set(original + h); let up = try loss()
      set(original - h); let down = try loss()
      set(original)
      let numeric = (up - down) / Double(2 * h), a = Double(g.scalars[i])
      #expect(abs(numeric - a) <= 2e-2 + 2e-2 * abs(a), "parameter \(k)[\(i)]: autodiff \(a), finite differences \(numeric)",
              sourceLocation: sourceLocation)
    }
  }
}
