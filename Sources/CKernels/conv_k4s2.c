// im2col and col2im for 4×4 kernels at stride 2, padding 1. See include/conv_k4s2.h.
//
// Along an axis, large-plane index i = 2·o − 1 + k (o on the small plane, k the tap). So a large
// row's even entries 2j come from taps 1 (o = j) and 3 (o = j − 1), its odd entries 2j + 1 from
// taps 0 (o = j + 1) and 2 (o = j).
//
// cols never overlaps x: the pointers are `restrict`, so the row loops vectorise (the even and
// odd entries as interleaved loads and stores).
#pragma STDC FP_CONTRACT OFF
#include "conv_k4s2.h"

void lebm_im2col_k4s2p1(const float *restrict x, int batch, int channels, int c, int oh, int ow, float *restrict cols) {
  long h = 2L * oh, w = 2L * ow, plane = (long)oh * ow, rowLen = (long)batch * plane;
  for (int ky = 0; ky < 4; ky++) {
    float *r0 = cols + (long)((c * 4 + ky) * 4) * rowLen;
    float *r1 = r0 + rowLen, *r2 = r1 + rowLen, *r3 = r2 + rowLen;
    for (int n = 0; n < batch; n++) {
      const float *src = x + ((long)n * channels + c) * h * w;
      for (int oy = 0; oy < oh; oy++) {
        long iy = 2L * oy - 1 + ky, at = (long)n * plane + (long)oy * ow;
        float *restrict d0 = r0 + at, *restrict d1 = r1 + at, *restrict d2 = r2 + at, *restrict d3 = r3 + at;
        if (iy < 0 || iy >= h) {
          for (int ox = 0; ox < ow; ox++) { d0[ox] = 0; d1[ox] = 0; d2[ox] = 0; d3[ox] = 0; }
          continue;
        }
        const float *restrict s = src + iy * w;
        for (int ox = 0; ox < ow; ox++) { d1[ox] = s[2 * ox]; d2[ox] = s[2 * ox + 1]; }
        d0[0] = 0;
        for (int ox = 1; ox < ow; ox++) d0[ox] = s[2 * ox - 1];
        for (int ox = 0; ox < ow - 1; ox++) d3[ox] = s[2 * ox + 2];
        d3[ow - 1] = 0;
      }
    }
  }
}

// The first (set = 1) or second (set = 0) contribution to a large row d from one small-plane row
// (taps kx = 0…3 in rows t0…t3): d[2j] (+)= t1[j] + t3[j − 1], d[2j + 1] (+)= t0[j + 1] + t2[j].
// The first is written as 0 + sum, the value the zeroed row plus the sum had. Each j writes its
// even and odd entry together (a vectorisable pair of stores); j = 0 and ow − 1 miss a tap.
#define TAPS_LOOP(OP)                                                                            \
  do {                                                                                           \
    if (ow == 1) { d[0] OP t1[0]; d[1] OP t2[0]; break; }                                       \
    d[0] OP t1[0];                                                                               \
    d[1] OP t0[1] + t2[0];                                                                       \
    for (int j = 1; j < ow - 1; j++) {                                                           \
      float e = t1[j] + t3[j - 1], o = t0[j + 1] + t2[j];                                        \
      d[2 * j] OP e;                                                                             \
      d[2 * j + 1] OP o;                                                                         \
    }                                                                                            \
    d[2 * ow - 2] OP t1[ow - 1] + t3[ow - 2];                                                    \
    d[2 * ow - 1] OP t2[ow - 1];                                                                 \
  } while (0)
#define SET_ZERO_PLUS = 0.0f +
static inline void add_taps(const float *restrict t0, const float *restrict t1, const float *restrict t2,
                            const float *restrict t3, int ow, float *restrict d, int set) {
  if (set) TAPS_LOOP(SET_ZERO_PLUS);
  else TAPS_LOOP(+=);
}

static inline void col2im(const float *restrict cols, int batch, int channels, int c, int oh, int ow, float *restrict x,
                          const float *bias, int leaky, float slope) {
  long h = 2L * oh, w = 2L * ow, plane = (long)oh * ow, rowLen = (long)batch * plane;
  float b = bias ? bias[c] : 0;
  for (int n = 0; n < batch; n++) {
    float *dst = x + ((long)n * channels + c) * h * w;
    for (long iy = 0; iy < h; iy++) {
      float *restrict d = dst + iy * w;
      // Rows: iy = 2·oy − 1 + ky, so ky ≡ iy + 1 (mod 2): taps ky and ky + 2 (oy one lower).
      int first = 1;
      for (int ky = (int)((iy + 1) % 2); ky < 4; ky += 2) {
        long oy = (iy + 1 - ky) / 2;
        if (oy < 0 || oy >= oh) continue;
        const float *t0 = cols + (long)((c * 4 + ky) * 4) * rowLen + (long)n * plane + oy * ow;
        add_taps(t0, t0 + rowLen, t0 + 2 * rowLen, t0 + 3 * rowLen, ow, d, first);
        first = 0;
      }
      if (first) for (long i = 0; i < w; i++) d[i] = 0;
      if (bias) for (long i = 0; i < w; i++) d[i] = d[i] + b;
      if (leaky) for (long i = 0; i < w; i++) { float v = d[i]; d[i] = v > 0 ? v : slope * v; }
    }
  }
}

void lebm_col2im_k4s2p1(const float *cols, int batch, int channels, int c, int oh, int ow, float *x) {
  col2im(cols, batch, channels, c, oh, ow, x, 0, 0, 0);
}

void lebm_col2im_k4s2p1_epilogue(const float *cols, int batch, int channels, int c, int oh, int ow, float *x,
                                 const float *bias, int leaky, float slope) {
  col2im(cols, batch, channels, c, oh, ow, x, bias, leaky, slope);
}
