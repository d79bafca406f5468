// exp, sigmoid, tanh and the LSTM cell over arrays. See include/fastexp.h.
#pragma STDC FP_CONTRACT OFF
#include "fastexp.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

static inline float fast_exp(float x) {
  const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
  float xc = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
  float n = floorf(xc * log2e + 0.5f);
  float r = xc - n * ln2_hi;
  r = r - n * ln2_lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  // 2ⁿ through the exponent bits; n reaches 128 just below 88.7, one past the largest exponent,
  // so that case scales by 2¹²⁷ and then by 2.
  float extra = n > 127.0f ? 2.0f : 1.0f;
  n = n > 127.0f ? 127.0f : n;
  int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  y = y * scale;
  y = y * extra;
  y = x < -87.3f ? 0.0f : y;
  y = x > 88.7f ? INFINITY : y;
  return x != x ? x : y;
}

static inline float fast_sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }
static inline float fast_tanh(float x) { return 2.0f * fast_sigmoid(2.0f * x) - 1.0f; }

CLONES void lebm_exp_shifted(const float *x, float m, float *y, long n) {
#pragma clang loop vectorize(assume_safety)
  for (long i = 0; i < n; i++) y[i] = fast_exp(x[i] - m);
}

CLONES void lebm_tanh(const float *x, float *y, long n) {
#pragma clang loop vectorize(assume_safety)
  for (long i = 0; i < n; i++) y[i] = fast_tanh(x[i]);
}

CLONES void lebm_lstm_cell(float *a, const float *c_prev, float *c, float *h_out, long h) {
  float *ai = a, *af = a + h, *ag = a + 2 * h, *ao = a + 3 * h;
#pragma clang loop vectorize(assume_safety)
  for (long j = 0; j < h; j++) {
    float i = fast_sigmoid(ai[j]), f = fast_sigmoid(af[j]), g = fast_tanh(ag[j]), o = fast_sigmoid(ao[j]);
    ai[j] = i; af[j] = f; ag[j] = g; ao[j] = o;
    float cj = f * c_prev[j] + i * g;
    c[j] = cj;
    h_out[j] = o * fast_tanh(cj);
  }
}

CLONES float lebm_softmax_xent(float *row, long v, long target) {
  // The largest finite-or-infinite logit, 8 lanes at a time (NaN never wins a comparison).
  float lanes[8];
  for (int l = 0; l < 8; l++) lanes[l] = -INFINITY;
  long i = 0;
  for (; i + 8 <= v; i += 8)
    for (int l = 0; l < 8; l++) lanes[l] = row[i + l] > lanes[l] ? row[i + l] : lanes[l];
  float m = -INFINITY;
  for (int l = 0; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
  for (; i < v; i++) m = row[i] > m ? row[i] : m;
  if (!(m > -INFINITY && m < INFINITY)) m = 0.0f;
  float picked = row[target];
  float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (i = 0; i + 8 <= v; i += 8)
    for (int l = 0; l < 8; l++) {
      float e = fast_exp(row[i + l] - m);
      row[i + l] = e;
      sums[l] += e;
    }
  double sum = 0;
  for (; i < v; i++) { float e = fast_exp(row[i] - m); row[i] = e; sum += e; }
  for (int l = 0; l < 8; l++) sum += sums[l];
  float r = (float)(1.0 / sum);
#pragma clang loop vectorize(assume_safety)
  for (i = 0; i < v; i++) row[i] *= r;
  row[target] -= 1.0f;
  return m + (float)log(sum) - picked;
}

CLONES void lebm_lstm_cell_backward(const float *a, const float *c, const float *c_prev, const float *dh_out,
                                    const float *dh, float *dc, float *da, long h) {
  const float *ai = a, *af = a + h, *ag = a + 2 * h, *ao = a + 3 * h;
#pragma clang loop vectorize(assume_safety)
  for (long j = 0; j < h; j++) {
    float i = ai[j], f = af[j], g = ag[j], o = ao[j];
    float tc = fast_tanh(c[j]);
    float dht = dh_out[j] + dh[j];
    float dct = dc[j] + dht * o * (1.0f - tc * tc);
    da[j] = dct * g * i * (1.0f - i);
    da[h + j] = dct * c_prev[j] * f * (1.0f - f);
    da[2 * h + j] = dct * i * (1.0f - g * g);
    da[3 * h + j] = dht * tc * o * (1.0f - o);
    dc[j] = dct * f;
  }
}
