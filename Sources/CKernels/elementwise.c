// Element-wise loops: LeakyReLU, Adam. See include/elementwise.h.
#pragma STDC FP_CONTRACT OFF
#include "elementwise.h"
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// AVX2 and baseline versions, chosen when the program loads (the same arithmetic in each).
#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

CLONES void lebm_leaky_forward(const float *x, float *y, float s, long n) {
  // x and y are the same buffer or disjoint: each y[i] depends on x[i] alone.
#pragma clang loop vectorize(assume_safety)
  for (long i = 0; i < n; i++) { float v = x[i]; y[i] = v > 0 ? v : s * v; }
}

CLONES void lebm_leaky_backward(const float *v, const float *dy, float *dx, float s, long n) {
#pragma clang loop vectorize(assume_safety)
  for (long i = 0; i < n; i++) { float g = dy[i]; dx[i] = v[i] > 0 ? g : s * g; }
}

// One value's update, as the header states it.
static inline void adam_one(const lebm_adam_constants *c, float g, float p, float m, float v, float *mn, float *vn, float *pn) {
  float gj = c->wd == 0 ? g : g + c->wd * p;
  float a = c->b1 * m, b = (1 - c->b1) * gj;
  *mn = a + b;
  float d = c->b2 * v, e = (1 - c->b2) * gj;
  e = e * gj;
  *vn = d + e;
  float q = sqrtf(*vn) / c->bc2_sqrt;
  q = q + c->eps;
  float num = c->step_size * *mn;
  *pn = p - num / q;
}

#if defined(__x86_64__)
static int has_avx(void) {
  static int known = -1;
  if (known < 0) { __builtin_cpu_init(); known = __builtin_cpu_supports("avx") ? 1 : 0; }
  return known;
}

// Eight values' updates in the registers (the same operations as adam_one, lane by lane).
#define ADAM8(G, P, M, V, MN, VN, PN)                                                          \
  do {                                                                                         \
    __m256 gj_ = c->wd == 0 ? (G) : _mm256_add_ps((G), _mm256_mul_ps(_mm256_set1_ps(c->wd), (P))); \
    MN = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(c->b1), (M)), _mm256_mul_ps(_mm256_set1_ps(1 - c->b1), gj_)); \
    VN = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(c->b2), (V)),                                \
                       _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(1 - c->b2), gj_), gj_));     \
    __m256 q_ = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(VN), _mm256_set1_ps(c->bc2_sqrt)), _mm256_set1_ps(c->eps)); \
    PN = _mm256_sub_ps((P), _mm256_div_ps(_mm256_mul_ps(_mm256_set1_ps(c->step_size), MN), q_)); \
  } while (0)

__attribute__((target("avx"))) static long adam_step_avx(const lebm_adam_constants *c, long n, float *p, const float *g, float *m, float *v) {
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 mn, vn, pn;
    ADAM8(_mm256_loadu_ps(g + i), _mm256_loadu_ps(p + i), _mm256_loadu_ps(m + i), _mm256_loadu_ps(v + i), mn, vn, pn);
    _mm256_storeu_ps(m + i, mn); _mm256_storeu_ps(v + i, vn); _mm256_storeu_ps(p + i, pn);
  }
  return i;
}

__attribute__((target("avx"))) static long adam_probe_avx(const lebm_adam_constants *c, long n, const float *p, const float *g, const float *m, const float *v, float *largest, int *finite) {
  __m256 big = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
  const __m256 sign = _mm256_set1_ps(-0.0f);
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 mn, vn, pn;
    ADAM8(_mm256_loadu_ps(g + i), _mm256_loadu_ps(p + i), _mm256_loadu_ps(m + i), _mm256_loadu_ps(v + i), mn, vn, pn);
    // x − x is 0 for finite x and NaN for ±∞ or NaN; NaN survives the sums.
    bad = _mm256_add_ps(bad, _mm256_add_ps(_mm256_add_ps(_mm256_sub_ps(mn, mn), _mm256_sub_ps(vn, vn)), _mm256_sub_ps(pn, pn)));
    big = _mm256_max_ps(big, _mm256_andnot_ps(sign, pn));
  }
  float b[8], l[8];
  _mm256_storeu_ps(b, bad); _mm256_storeu_ps(l, big);
  for (int k = 0; k < 8; k++) {
    if (b[k] != 0) *finite = 0;
    if (l[k] > *largest) *largest = l[k];
  }
  return i;
}
#endif

void lebm_adam_step(const lebm_adam_constants *c, long n, float *p, const float *g, float *m, float *v) {
  long i = 0;
#if defined(__x86_64__)
  if (has_avx()) i = adam_step_avx(c, n, p, g, m, v);
#endif
  for (; i < n; i++) adam_one(c, g[i], p[i], m[i], v[i], &m[i], &v[i], &p[i]);
}

float lebm_adam_probe(const lebm_adam_constants *c, long n, const float *p, const float *g, const float *m, const float *v, int *finite) {
  float largest = 0;
  long i = 0;
#if defined(__x86_64__)
  if (has_avx()) i = adam_probe_avx(c, n, p, g, m, v, &largest, finite);
#endif
  for (; i < n; i++) {
    float mn, vn, pn;
    adam_one(c, g[i], p[i], m[i], v[i], &mn, &vn, &pn);
    if (!isfinite(mn) || !isfinite(vn) || !isfinite(pn)) *finite = 0;
    float a = fabsf(pn);
    if (a > largest) largest = a;
  }
  return largest;
}
