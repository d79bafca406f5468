// Packed-B matrix products: R × 16 AVX2/FMA micro-kernels (R ≤ 6 rows of A, 2R accumulators)
// over 16-column panels of B. See include/packed_gemm.h.
#include "packed_gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

int lebm_packed_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

long lebm_packed_size(int k, int n) { return (long)((n + 15) / 16) * 16 * k; }

// Packs the k × n matrix whose entry (kk, j) is w[kk * sk + j * sn], reading w along whichever
// index is contiguous.
static void pack_strided(const float *w, int k, int n, long sk, long sn, float *packed) {
  int panels = (n + 15) / 16;
  for (int p = 0; p < panels; p++) {
    float *dst = packed + (long)p * k * 16;
    for (int c = 0; c < 16; c++) {
      int j = p * 16 + c;
      if (j >= n) { for (int kk = 0; kk < k; kk++) dst[kk * 16 + c] = 0; continue; }
      if (sk == 1) { for (int kk = 0; kk < k; kk++) dst[kk * 16 + c] = w[kk + j * sn]; continue; }
    }
    if (sk != 1)
      for (int kk = 0; kk < k; kk++)
        for (int c = 0; c < 16 && p * 16 + c < n; c++) dst[kk * 16 + c] = w[kk * sk + (p * 16 + c) * sn];
  }
}

void lebm_pack_transposed(const float *w, int n, int k, float *packed) { pack_strided(w, k, n, 1, k, packed); }

void lebm_pack(const float *w, int k, int n, float *packed) { pack_strided(w, k, n, n, 1, packed); }

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

// A kernel for R rows (R = 1…6, a constant, so the unused accumulators and rows compile away):
// 2R accumulators of 8 lanes, one broadcast of A per row and two loads of B per step of k.
#define ROW(r, acc0, acc1)                                                                     \
  if (R > r) {                                                                                 \
    x = _mm256_broadcast_ss(a + (r) * lda + kk);                                               \
    acc0 = _mm256_fmadd_ps(x, b0, acc0);                                                       \
    acc1 = _mm256_fmadd_ps(x, b1, acc1);                                                       \
  }

#define DEFINE_KERNEL(NAME, ROWS)                                                               \
  __attribute__((target("avx2,fma")))                                                          \
  static void NAME(int k, const float *a, int lda, const float *b, float *c, int ldc, int nc, int accumulate) { \
    enum { R = ROWS };                                                                         \
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;  \
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;                   \
    for (int kk = 0; kk < k; kk++) {                                                           \
      __m256 b0 = _mm256_load_ps(b + kk * 16), b1 = _mm256_load_ps(b + kk * 16 + 8), x;        \
      ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21)                                       \
      ROW(3, c30, c31) ROW(4, c40, c41) ROW(5, c50, c51)                                       \
    }                                                                                          \
    STORE_ROW(c, c00, c01);                                                                    \
    if (R > 1) STORE_ROW(c + ldc, c10, c11);                                                   \
    if (R > 2) STORE_ROW(c + 2 * ldc, c20, c21);                                               \
    if (R > 3) STORE_ROW(c + 3 * ldc, c30, c31);                                               \
    if (R > 4) STORE_ROW(c + 4 * ldc, c40, c41);                                               \
    if (R > 5) STORE_ROW(c + 5 * ldc, c50, c51);                                               \
  }

DEFINE_KERNEL(kernel1, 1)
DEFINE_KERNEL(kernel2, 2)
DEFINE_KERNEL(kernel3, 3)
DEFINE_KERNEL(kernel4, 4)
DEFINE_KERNEL(kernel5, 5)
DEFINE_KERNEL(kernel6, 6)

typedef void (*Kernel)(int, const float *, int, const float *, float *, int, int, int);
static const Kernel kernels[7] = {0, kernel1, kernel2, kernel3, kernel4, kernel5, kernel6};

// C (+)= A B over the k-rows [k0, k0 + kb) of B, whose panels hold `depth` rows each.
__attribute__((target("avx2,fma")))
static void gemm_block(int m, int n, int kb, int depth, const float *a, int lda, const float *packed, float *c, int ldc, int accumulate) {
  int panels = (n + 15) / 16;
  for (int p = 0; p < panels; p++) {
    const float *b = packed + (long)p * depth * 16;
    int nc = n - p * 16 < 16 ? n - p * 16 : 16;
    // Blocks of six rows, ending in fours where six would leave one or two (a kernel of four
    // rows keeps both FMA units as busy as one of six; one of one or two waits on latency).
    for (int i = 0; i < m;) {
      int left = m - i, r = left >= 10 || left == 6 ? 6 : left >= 7 ? 4 : left;
      kernels[r](kb, a + (long)i * lda, lda, b, c + (long)i * ldc + p * 16, ldc, nc, accumulate);
      i += r;
    }
  }
}

// Past this depth the sum over k runs in blocks of K_BLOCK rows (a block of a 16-column panel
// is 16 KB, at home in L1 while every row block of A passes over it), each block's partial sums
// added to C in order. Shallower products (every MLP layer up to 1024 inputs) run unblocked.
enum { K_BLOCK = 256, K_UNBLOCKED = 1024 };

__attribute__((target("avx2,fma")))
void lebm_packed_gemm(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc, int accumulate) {
  if (k <= K_UNBLOCKED) { gemm_block(m, n, k, k, a, lda, packed, c, ldc, accumulate); return; }
  for (int k0 = 0; k0 < k; k0 += K_BLOCK) {
    int kb = k - k0 < K_BLOCK ? k - k0 : K_BLOCK;
    gemm_block(m, n, kb, k, a + k0, lda, packed + (long)k0 * 16, c, ldc, accumulate || k0 > 0);
  }
}

__attribute__((target("avx2,fma")))
void lebm_dot_rows(int m, int k, const float *a, int lda, const float *w, float *y, int accumulate) {
  for (int i = 0; i < m; i++) {
    const float *row = a + (long)i * lda;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    int kk = 0;
    for (; kk + 16 <= k; kk += 16) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + kk), _mm256_loadu_ps(w + kk), s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(row + kk + 8), _mm256_loadu_ps(w + kk + 8), s1);
    }
    float t[8], s = 0;
    _mm256_storeu_ps(t, _mm256_add_ps(s0, s1));
    for (int j = 0; j < 8; j++) s += t[j];
    for (; kk < k; kk++) s += row[kk] * w[kk];
    y[i] = accumulate ? y[i] + s : s;
  }
}

#else
int lebm_packed_available(void) { return 0; }
long lebm_packed_size(int k, int n) { return (long)((n + 15) / 16) * 16 * k; }
void lebm_pack_transposed(const float *w, int n, int k, float *packed) { (void)w; (void)n; (void)k; (void)packed; }
void lebm_pack(const float *w, int k, int n, float *packed) { (void)w; (void)k; (void)n; (void)packed; }
void lebm_dot_rows(int m, int k, const float *a, int lda, const float *w, float *y, int accumulate) {
  (void)m; (void)k; (void)a; (void)lda; (void)w; (void)y; (void)accumulate;
}
void lebm_packed_gemm(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc, int accumulate) {
  (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)c; (void)ldc; (void)accumulate;
}
#endif
