import CKernels
import Glibc

/// What one LSTM layer's forward pass keeps for its backward pass, and that pass:
/// backpropagation through time.
///
/// With `δh_t = ∂L/∂h_t` (from the output at step t plus what step t + 1 sends back) and
/// `δc_t = ∂L/∂c_t` (from step t + 1, or from the final state at t = T), each step from T down to 1
/// computes, with `τ_t = tanh(c_t)`,
///
///     δc_t  += δh_t ⊙ o_t ⊙ (1 − τ_t²)
///     δa_o   = δh_t ⊙ τ_t ⊙ o_t(1 − o_t)
///     δa_i   = δc_t ⊙ g_t ⊙ i_t(1 − i_t)
///     δa_f   = δc_t ⊙ c_{t−1} ⊙ f_t(1 − f_t)
///     δa_g   = δc_t ⊙ i_t ⊙ (1 − g_t²)
///     δc_{t−1} = δc_t ⊙ f_t,   δh_{t−1} += δA_t · W_hh
///
/// (`δA_t = [δa_i, δa_f, δa_g, δa_o]`, `[B, 4H]`; the element-wise part is the C kernel
/// `lebm_lstm_cell_backward`, which ``DecoderLikelihoodPlan`` shares; one GEMM per step). After the loop the
/// weight gradients are each one GEMM over all steps at once, `δA` being `[B·T, 4H]`:
///
///     ∂L/∂X = δA · W_ih,   ∂L/∂W_ih = δAᵀ · X,   ∂L/∂W_hh = δAᵀ · H_prev,
///     ∂L/∂b_ih = ∂L/∂b_hh = Σ_rows δA,   ∂L/∂h_0 = δh_0,   ∂L/∂c_0 = δc_0,
///
/// where `H_prev` stacks `h_{t−1}` in `δA`'s row order (`h_0` for the first step).
struct LSTMTape {
  let x: Tensor, h0: Tensor, c0: Tensor
  let weights: LSTM.LayerWeights
  /// The activated gates `[i, f, g, o]` of every step, `[B·T, 4H]` (row `n·T + t`).
  let gates: Tensor
  /// `c_t` for every step, `[B, T, H]`.
  let cells: Tensor
  /// The forward result `[B, T + 1, H]`: `h_1 … h_T`, then `c_T`.
  let y: Tensor

  /// The gradients of `[x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh]` (nil where `need` is
  /// false) from `g = ∂L/∂y`, `[B, T + 1, H]`.
  func backward(_ g: Tensor, _ need: [Bool]) -> [Tensor?] {
    let (b, t, inp) = (x.shape[0], x.shape[1], x.shape[2])
    let hid = h0.shape[1], g4 = 4 * hid
    let dA = Tensor(sameSizeAs: gates.shape)
    let dh = Tensor(sameSizeAs: h0.shape), dc = Tensor(sameSizeAs: c0.shape)
    let dap = dA.storage.pointer, dhp = dh.storage.pointer, dcp = dc.storage.pointer
    let ap = gates.storage.pointer, cp = cells.storage.pointer, gp = g.storage.pointer
    let c0p = c0.storage.pointer, whh = weights.weightHH.storage.pointer
    dhp.update(repeating: 0, count: dh.count)
    for n in 0..<b { (dcp + n * hid).update(from: gp + (n * (t + 1) + t) * hid, count: hid) }  // ∂L/∂c_T
    for s in stride(from: t - 1, through: 0, by: -1) {
      parallelChunks(b, minimum: lstmCellRows(hid)) { rows in
        for n in rows {
          let r = n * t + s
          lebm_lstm_cell_backward(ap + r * g4, cp + r * hid, s == 0 ? c0p + n * hid : cp + (r - 1) * hid,
                                  gp + (n * (t + 1) + s) * hid, dhp + n * hid, dcp + n * hid, dap + r * g4, hid)
        }
      }
      // δh_{t−1} = δA_t · W_hh: [B, 4H] (rows of step s, T·4H apart) × [4H, H].
      sgemm(false, false, m: b, n: hid, k: g4, dap + s * g4, lda: t * g4, whh, ldb: hid, dhp, ldc: hid)
    }
    var out = [Tensor?](repeating: nil, count: 7)
    if need[0] {
      let dx = Tensor(sameSizeAs: x.shape)
      sgemm(false, false, m: b * t, n: inp, k: g4, dap, lda: g4, weights.weightIH.storage.pointer, ldb: inp,
            dx.storage.pointer, ldc: inp)
      out[0] = dx
    }
    if need[1] { out[1] = dh }
    if need[2] { out[2] = dc }
    if need[3] {
      let dw = Tensor(sameSizeAs: weights.weightIH.shape)
      sgemm(true, false, m: g4, n: inp, k: b * t, dap, lda: g4, x.storage.pointer, ldb: inp, dw.storage.pointer, ldc: inp)
      out[3] = dw
    }
    if need[4] {
      // H_prev in δA's row order: row n·T + s holds h_s (h_0 for s = 0); h_s sits at y[n, s − 1].
      let hPrev = Tensor(sameSizeAs: [b * t, hid])
      let pp = hPrev.storage.pointer, yp = y.storage.pointer, h0p = h0.storage.pointer
      for n in 0..<b {
        (pp + n * t * hid).update(from: h0p + n * hid, count: hid)
        if t > 1 { (pp + (n * t + 1) * hid).update(from: yp + n * (t + 1) * hid, count: (t - 1) * hid) }
      }
      let dw = Tensor(sameSizeAs: weights.weightHH.shape)
      sgemm(true, false, m: g4, n: hid, k: b * t, dap, lda: g4, pp, ldb: hid, dw.storage.pointer, ldc: hid)
      out[4] = dw
    }
    if need[5] || need[6] {
      let db = Tensor(sameSizeAs: [g4])
      Tensor.sumBlocks(dap, into: db.storage.pointer, outer: 1, n: b * t, inner: g4, scale: 1)
      if need[5] { out[5] = db }
      if need[6] { out[6] = need[5] ? db.copy() : db }
    }
    return out
  }
}
