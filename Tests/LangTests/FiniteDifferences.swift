// Central differences against autodiff, shared by the layer and scripting tests.
import Engine
import Testing

/// Checks `analytic` (the gradient of `loss` with respect to the tensor `p`) at `samples` entries
/// drawn from `rng` against central differences of step `h`, within `absolute + relative·|g|`.
/// Each entry of `p` is changed in place and put back.
func expectCentralDifferences(
  _ label: String, _ p: Tensor, _ analytic: Tensor, samples: Int, h: Float, absolute: Double, relative: Double,
  rng: inout RandomGenerator, loss: () throws -> Double, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  #expect(analytic.shape == p.shape, "\(label)", sourceLocation: sourceLocation)
  for _ in 0..<min(samples, p.count) {
    let i = rng.int(below: p.count)
    let original = p.scalars[i]
    func set(_ v: Float) { p.withUnsafeMutableBufferPointer { $0[i] = v } }
    set(original + h); let up = try loss()
    set(original - h); let down = try loss()
    set(original)
    let numeric = (up - down) / Double(2 * h), a = Double(analytic.scalars[i])
    #expect(abs(numeric - a) <= absolute + relative * abs(a), "\(label)[\(i)]: autodiff \(a), finite differences \(numeric)",
            sourceLocation: sourceLocation)
  }
}
