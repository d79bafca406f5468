// Element-wise loops the Swift compiler leaves scalar: LeakyReLU and its derivative (in place
// allowed), and Adam's update (8 lanes with AVX). Each result is the same IEEE single-precision
// arithmetic, in the same order, as the scalar formula (no fused multiply-adds), so a vector and a
// scalar pass agree bit for bit.
#ifndef LEBM_ELEMENTWISE_H
#define LEBM_ELEMENTWISE_H

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = x[i] > 0 ? x[i] : s·x[i] for i in 0..<n (y may be x).
void lebm_leaky_forward(const float *x, float *y, float s, long n);

/// dx[i] = v[i] > 0 ? dy[i] : s·dy[i] for i in 0..<n (dx may be dy; v is x, or y when s ≥ 0).
void lebm_leaky_backward(const float *v, const float *dy, float *dx, float s, long n);

/// Adam's constants for one step: β₁, β₂, ε, the weight decay λ, lr/(1 − β₁ᵗ) and √(1 − β₂ᵗ).
typedef struct { float b1, b2, eps, wd, step_size, bc2_sqrt; } lebm_adam_constants;

/// For i in 0..<n: g ← g + λθ (when λ ≠ 0); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g·g;
/// θ ← θ − (step_size·m)/(√v / bc2_sqrt + ε), written back to p, m and v.
void lebm_adam_step(const lebm_adam_constants *c, long n, float *p, const float *g, float *m, float *v);

/// The same update computed without writing anything: returns max |θ_new| (0 for n = 0) and sets
/// *finite to 0 when some new θ, m or v is not finite (leaves it alone otherwise).
float lebm_adam_probe(const lebm_adam_constants *c, long n, const float *p, const float *g, const float *m, const float *v, int *finite);

#ifdef __cplusplus
}
#endif
#endif
