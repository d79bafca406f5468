// Packed-B matrix products: a 6 × 16 AVX2/FMA micro-kernel (12 accumulators, one broadcast of A
// and two loads of B per step of k) over 16-column panels of B; rows of A in blocks of 6, with
// smaller kernels for the last rows. See include/packed_gemm.h.
#include "packed_gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

int lebm_packed_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

long lebm_packed_size(int k, int n) { return (long)((n + 15) / 16) * 16 * k; }

void lebm_pack_transposed(const float *w, int n, int k, float *packed) {
  int panels = (n + 15) / 16;
  for (int p = 0; p < panels; p++) {
    float *dst = packed + (long)p * k * 16;
    for (int kk = 0; kk < k; kk++)
      for (int c = 0; c < 16; c++) {
        int j = p * 16 + c;
        dst[kk * 16 + c] = j < n ? w[(long)j * k + kk] : 0;
      }
  }
}

void lebm_pack(const float *w, int k, int n, float *packed) {
  int panels = (n + 15) / 16;
  for (int p = 0; p < panels; p++) {
    float *dst = packed + (long)p * k * 16;
    for (int kk = 0; kk < k; kk++)
      for (int c = 0; c < 16; c++) {
        int j = p * 16 + c;
        dst[kk * 16 + c] = j < n ? w[(long)kk * n + j] : 0;
      }
  }
}

// Writes (or adds) the rows' accumulators to C, all 16 columns or the first nc.
#define STORE_ROW(cr, lo, hi)                                                                  \
  do {                                                                                         \
    if (nc == 16) {                                                                            \
      __m256 l = (lo), h = (hi);                                                               \
      if (accumulate) { l = _mm256_add_ps(l, _mm256_loadu_ps(cr)); h = _mm256_add_ps(h, _mm256_loadu_ps((cr) + 8)); } \
      _mm256_storeu_ps(cr, l); _mm256_storeu_ps((cr) + 8, h);                                   \
    } else {                                                                                   \
      float t[16];                                                                             \
      _mm256_storeu_ps(t, lo); _mm256_storeu_ps(t + 8, hi);                                    \
      for (int j = 0; j < nc; j++) (cr)[j] = accumulate ? (cr)[j] + t[j] : t[j];               \
    }                                                                                          \
  } while (0)

__attribute__((target("avx2,fma")))
static void kernel6(int k, const float *a, int lda, const float *b, float *c, int ldc, int nc, int accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda, *a4 = a + 4 * lda, *a5 = a + 5 * lda;
  for (int kk = 0; kk < k; kk++) {
    __m256 b0 = _mm256_load_ps(b + kk * 16), b1 = _mm256_load_ps(b + kk * 16 + 8), x;
    x = _mm256_broadcast_ss(a0 + kk); c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a1 + kk); c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a2 + kk); c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a3 + kk); c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a4 + kk); c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a5 + kk); c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
  }
  STORE_ROW(c, c00, c01);
  STORE_ROW(c + ldc, c10, c11);
  STORE_ROW(c + 2 * ldc, c20, c21);
  STORE_ROW(c + 3 * ldc, c30, c31);
  STORE_ROW(c + 4 * ldc, c40, c41);
  STORE_ROW(c + 5 * ldc, c50, c51);
}

// One row at a time, for the last m mod 6 rows (the same in-order sum over k as kernel6).
__attribute__((target("avx2,fma")))
static void kernel1(int k, const float *a, const float *b, float *c, int nc, int accumulate) {
  __m256 lo = _mm256_setzero_ps(), hi = lo;
  for (int kk = 0; kk < k; kk++) {
    __m256 x = _mm256_broadcast_ss(a + kk);
    lo = _mm256_fmadd_ps(x, _mm256_load_ps(b + kk * 16), lo);
    hi = _mm256_fmadd_ps(x, _mm256_load_ps(b + kk * 16 + 8), hi);
  }
  STORE_ROW(c, lo, hi);
}

__attribute__((target("avx2,fma")))
void lebm_packed_gemm(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc, int accumulate) {
  int panels = (n + 15) / 16;
  for (int p = 0; p < panels; p++) {
    const float *b = packed + (long)p * k * 16;
    int nc = n - p * 16 < 16 ? n - p * 16 : 16;
    int i = 0;
    for (; i + 6 <= m; i += 6) kernel6(k, a + (long)i * lda, lda, b, c + (long)i * ldc + p * 16, ldc, nc, accumulate);
    for (; i < m; i++) kernel1(k, a + (long)i * lda, b, c + (long)i * ldc + p * 16, nc, accumulate);
  }
}

#else
int lebm_packed_available(void) { return 0; }
long lebm_packed_size(int k, int n) { return (long)((n + 15) / 16) * 16 * k; }
void lebm_pack_transposed(const float *w, int n, int k, float *packed) { (void)w; (void)n; (void)k; (void)packed; }
void lebm_pack(const float *w, int k, int n, float *packed) { (void)w; (void)k; (void)n; (void)packed; }
void lebm_packed_gemm(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc, int accumulate) {
  (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)c; (void)ldc; (void)accumulate;
}
#endif
