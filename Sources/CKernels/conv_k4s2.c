// im2col and col2im for 4×4 kernels at stride 2, padding 1. See include/conv_k4s2.h.
//
// Along an axis, large-plane index i = 2·o − 1 + k (o on the small plane, k the tap). So a large
// row's even entries 2j come from taps 1 (o = j) and 3 (o = j − 1), its odd entries 2j + 1 from
// taps 0 (o = j + 1) and 2 (o = j).
#include "conv_k4s2.h"

void lebm_im2col_k4s2p1(const float *x, int batch, int channels, int c, int oh, int ow, float *cols) {
  long h = 2L * oh, w = 2L * ow, plane = (long)oh * ow, rowLen = (long)batch * plane;
  for (int ky = 0; ky < 4; ky++) {
    float *r0 = cols + (long)((c * 4 + ky) * 4) * rowLen;
    float *r1 = r0 + rowLen, *r2 = r1 + rowLen, *r3 = r2 + rowLen;
    for (int n = 0; n < batch; n++) {
      const float *src = x + ((long)n * channels + c) * h * w;
      for (int oy = 0; oy < oh; oy++) {
        long iy = 2L * oy - 1 + ky, at = (long)n * plane + (long)oy * ow;
        float *d0 = r0 + at, *d1 = r1 + at, *d2 = r2 + at, *d3 = r3 + at;
        if (iy < 0 || iy >= h) {
          for (int ox = 0; ox < ow; ox++) { d0[ox] = 0; d1[ox] = 0; d2[ox] = 0; d3[ox] = 0; }
          continue;
        }
        const float *s = src + iy * w;
        for (int ox = 0; ox < ow; ox++) { d1[ox] = s[2 * ox]; d2[ox] = s[2 * ox + 1]; }
        d0[0] = 0;
        for (int ox = 1; ox < ow; ox++) d0[ox] = s[2 * ox - 1];
        for (int ox = 0; ox < ow - 1; ox++) d3[ox] = s[2 * ox + 2];
        d3[ow - 1] = 0;
      }
    }
  }
}

// Adds the contribution of one small-plane row (taps kx = 0…3 in rows t0…t3) to a large row d:
// d[2j] += t1[j] + t3[j − 1], d[2j + 1] += t0[j + 1] + t2[j].
static void add_taps(const float *t0, const float *t1, const float *t2, const float *t3, int ow, float *d) {
  d[0] += t1[0];
  for (int j = 1; j < ow; j++) d[2 * j] += t1[j] + t3[j - 1];
  for (int j = 0; j < ow - 1; j++) d[2 * j + 1] += t0[j + 1] + t2[j];
  d[2 * ow - 1] += t2[ow - 1];
}

void lebm_col2im_k4s2p1(const float *cols, int batch, int channels, int c, int oh, int ow, float *x) {
  long h = 2L * oh, w = 2L * ow, plane = (long)oh * ow, rowLen = (long)batch * plane;
  for (int n = 0; n < batch; n++) {
    float *dst = x + ((long)n * channels + c) * h * w;
    for (long iy = 0; iy < h; iy++) {
      float *d = dst + iy * w;
      for (long i = 0; i < w; i++) d[i] = 0;
      // Rows: iy = 2·oy − 1 + ky, so ky ≡ iy + 1 (mod 2): taps ky and ky + 2 (oy one lower).
      for (int ky = (int)((iy + 1) % 2); ky < 4; ky += 2) {
        long oy = (iy + 1 - ky) / 2;
        if (oy < 0 || oy >= oh) continue;
        const float *t0 = cols + (long)((c * 4 + ky) * 4) * rowLen + (long)n * plane + oy * ow;
        add_taps(t0, t0 + rowLen, t0 + 2 * rowLen, t0 + 3 * rowLen, ow, d);
      }
    }
  }
}
