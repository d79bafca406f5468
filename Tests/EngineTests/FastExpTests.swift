// The vectorized exp, tanh and LSTM cell (CKernels/fastexp.c) against the C library in Double.
import CKernels
import Foundation
import Testing

@Suite struct FastExpTests {
  /// exp within 2 ulp over its range, exactly 0 below −87.3, +∞ above 88.7, NaN for NaN.
  @Test func expIsWithinTwoUlpOverItsRange() {
    var xs: [Float] = stride(from: -87.0, through: 88.5, by: 0.0173).map { Float($0) }
    xs += [0, -0.0, 1e-8, -1e-8, .ulpOfOne, 0.5 * Float(M_LN2), -0.5 * Float(M_LN2), 88.7, -87.3]
    var ys = [Float](repeating: 0, count: xs.count)
    lebm_exp_shifted(xs, 0, &ys, xs.count)
    for (x, y) in zip(xs, ys) {
      let exact = Foundation.exp(Double(x)), ulp = Double(Float(exact).ulp)
      #expect(abs(Double(y) - exact) <= 2 * ulp, "exp(\(x)) = \(y), exactly \(exact)")
    }
    let special: [Float] = [-88, -1000, -.infinity, 89, 1000, .infinity, .nan]
    var out = [Float](repeating: 1, count: special.count)
    lebm_exp_shifted(special, 0, &out, special.count)
    #expect(Array(out[0..<3]) == [0, 0, 0])
    #expect(Array(out[3..<6]) == [.infinity, .infinity, .infinity])
    #expect(out[6].isNaN)
    // The shift: exp(x − m).
    var shifted: Float = 0
    lebm_exp_shifted([3], 2, &shifted, 1)
    #expect(abs(Double(shifted) - M_E) <= 2 * Double(Float(M_E).ulp))
  }

  /// tanh as 2σ(2x) − 1: within 3e-7 of tanh everywhere, ±1 at the ends.
  @Test func tanhIsCloseInAbsoluteTerms() {
    let xs: [Float] = stride(from: -20.0, through: 20.0, by: 0.0137).map { Float($0) } + [-.infinity, .infinity]
    var ys = [Float](repeating: 0, count: xs.count)
    lebm_tanh(xs, &ys, xs.count)
    for (x, y) in zip(xs, ys) {
      #expect(abs(Double(y) - Foundation.tanh(Double(x))) <= 3e-7, "tanh(\(x)) = \(y)")
    }
    #expect(ys.last == 1 && ys[ys.count - 2] == -1)
  }

  /// One cell row: the gates activated in place, c = f·c_prev + i·g, h = o·tanh(c).
  @Test func lstmCellMatchesItsFormula() {
    let h = 13
    var a = (0..<(4 * h)).map { Float(sin(Double($0) * 1.7) * 4) }
    let pre = a
    let cPrev = (0..<h).map { Float(cos(Double($0))) }
    var c = [Float](repeating: 0, count: h), hOut = c
    lebm_lstm_cell(&a, cPrev, &c, &hOut, h)
    func sigmoid(_ x: Float) -> Double { 1 / (1 + Foundation.exp(-Double(x))) }
    for j in 0..<h {
      let i = sigmoid(pre[j]), f = sigmoid(pre[h + j]), g = Foundation.tanh(Double(pre[2 * h + j])), o = sigmoid(pre[3 * h + j])
      for (got, want) in [(a[j], i), (a[h + j], f), (a[2 * h + j], g), (a[3 * h + j], o)] {
        #expect(abs(Double(got) - want) <= 3e-7, "gate \(j): \(got) against \(want)")
      }
      let cj = f * Double(cPrev[j]) + i * g
      #expect(abs(Double(c[j]) - cj) <= 1e-6 && abs(Double(hOut[j]) - o * Foundation.tanh(cj)) <= 1e-6, "cell \(j)")
    }
  }
}
