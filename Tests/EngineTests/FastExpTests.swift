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

  /// One row of softmax cross-entropy: the loss is the log-sum-exp minus the target's logit, the
  /// row becomes softmax − onehot (Double references); an odd length exercises the tail lanes.
  @Test(arguments: [1, 13, 1000])
  func softmaxCrossEntropyRowMatchesDouble(_ v: Int) {
    let logits = (0..<v).map { Float(sin(Double($0) * 0.9) * 30) }
    let target = v / 2
    var row = logits
    let loss = lebm_softmax_xent(&row, v, target)
    let top = logits.map(Double.init).max()!
    let sum = logits.reduce(0) { $0 + Foundation.exp(Double($1) - top) }
    let expected = top + Foundation.log(sum) - Double(logits[target])
    #expect(abs(Double(loss) - expected) <= 1e-5 * max(1, abs(expected)), "loss \(loss) against \(expected)")
    for j in 0..<v {
      let want = Foundation.exp(Double(logits[j]) - top) / sum - (j == target ? 1 : 0)
      #expect(abs(Double(row[j]) - want) <= 1e-6, "∂/∂logit[\(j)] = \(row[j]), exactly \(want)")
    }
    var bad = logits
    bad[0] = .nan
    #expect(lebm_softmax_xent(&bad, v, target).isNaN)
  }

  /// The cell's backward pass against its formulas in Double, and against finite differences of
  /// the forward kernel through one step.
  @Test func lstmCellBackwardMatchesFiniteDifferences() {
    let h = 11
    let pre = (0..<(4 * h)).map { Float(sin(Double($0) * 1.3) * 2) }
    let cPrev = (0..<h).map { Float(cos(Double($0) * 0.7)) }
    let up = (0..<h).map { Float(sin(Double($0) + 0.5)) }, dcNext = (0..<h).map { Float(cos(Double($0) * 2)) }
    // L = Σ up·h_t + Σ dcNext·c_t as a function of the pre-activations and c_{t−1}, in Double.
    func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
    func loss(_ p: [Double], _ cp: [Double]) -> Double {
      var l = 0.0
      for j in 0..<h {
        let i = sigmoid(p[j]), f = sigmoid(p[h + j]), g = Foundation.tanh(p[2 * h + j]), o = sigmoid(p[3 * h + j])
        let c = f * cp[j] + i * g
        l += Double(up[j]) * o * Foundation.tanh(c) + Double(dcNext[j]) * c
      }
      return l
    }
    var a = pre, c = [Float](repeating: 0, count: h), hOut = c
    lebm_lstm_cell(&a, cPrev, &c, &hOut, h)
    let dh = [Float](repeating: 0, count: h)
    var dc = dcNext, da = [Float](repeating: 0, count: 4 * h)
    lebm_lstm_cell_backward(a, c, cPrev, up, dh, &dc, &da, h)
    let p0 = pre.map(Double.init), c0 = cPrev.map(Double.init), eps = 1e-6
    for k in 0..<(4 * h) {
      var plus = p0, minus = p0
      plus[k] += eps; minus[k] -= eps
      let numeric = (loss(plus, c0) - loss(minus, c0)) / (2 * eps)
      #expect(abs(Double(da[k]) - numeric) <= 1e-5 + 1e-5 * abs(numeric), "∂L/∂a[\(k)]: \(da[k]) against \(numeric)")
    }
    for j in 0..<h {
      var plus = c0, minus = c0
      plus[j] += eps; minus[j] -= eps
      let numeric = (loss(p0, plus) - loss(p0, minus)) / (2 * eps)
      #expect(abs(Double(dc[j]) - numeric) <= 1e-5 + 1e-5 * abs(numeric), "∂L/∂c_prev[\(j)]: \(dc[j]) against \(numeric)")
    }
  }
}
