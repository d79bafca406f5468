// exp, the logistic sigmoid and the LSTM cell over arrays, in lanes the compiler can vectorize
// (glibc's expf is a call per value). exp is Cody–Waite range reduction, x = n·ln 2 + r with
// |r| ≤ ln 2 / 2, and Cephes' degree-6 polynomial for e^r, scaled by 2ⁿ through the exponent bits:
// within 2 ulp of the true value for x in [−87.3, 88.7]; 0 below (no subnormal results), +∞ above,
// NaN for NaN. Results do not depend on the vector width (the same operations in each lane).
#ifndef LEBM_FASTEXP_H
#define LEBM_FASTEXP_H

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = exp(x[i] − m) for i in 0..<n.
void lebm_exp_shifted(const float *x, float m, float *y, long n);

/// One LSTM cell row, hidden size h. `a` holds the gates' pre-activations [i, f, g, o] (4h
/// values) and is overwritten with the activated gates σ(i), σ(f), tanh(g), σ(o); then
/// c[j] = f·c_prev[j] + i·g and h_out[j] = o·tanh(c[j]). tanh(x) is computed as 2σ(2x) − 1.
void lebm_lstm_cell(float *a, const float *c_prev, float *c, float *h_out, long h);

/// y[i] = tanh(x[i]) as 2σ(2x) − 1, for i in 0..<n.
void lebm_tanh(const float *x, float *y, long n);

/// One row of softmax cross-entropy over v logits: returns log Σ exp(row) − row[target] (the
/// log-sum-exp shifted by the largest logit) and replaces the row by its gradient,
/// softmax(row) − onehot(target). NaN logits make the result NaN.
float lebm_softmax_xent(float *row, long v, long target);

/// One LSTM cell row's backward pass (hidden size h), from the activated gates `a` [i, f, g, o],
/// the cell c_t and c_{t−1}, and ∂L/∂h_t from above (`dh_out`): with dh = ∂L/∂h_t from the next
/// step and dc = ∂L/∂c_t from the next step, writes the gates' pre-activation gradients `da`
/// (4h) and replaces dc by ∂L/∂c_{t−1}. dh is read, not written (the caller's δA·W_hh follows).
void lebm_lstm_cell_backward(const float *a, const float *c, const float *c_prev, const float *dh_out,
                             const float *dh, float *dc, float *da, long h);

#ifdef __cplusplus
}
#endif
#endif
