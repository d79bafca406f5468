// Matrix products against a matrix packed once and used many times: the weights of a network
// while a Langevin chain runs (they do not change for its K steps, so packing them for every
// product, as a general GEMM must, is wasted work). AVX2 and FMA when the CPU has them.
#ifndef LEBM_PACKED_GEMM_H
#define LEBM_PACKED_GEMM_H

#ifdef __cplusplus
extern "C" {
#endif

/// Whether this CPU runs the packed kernels (AVX2 and FMA); when it does not, use a general GEMM.
int lebm_packed_available(void);

/// Floats a packed k × n matrix takes: ceil(n / 16) panels of k × 16 (zero-padded).
long lebm_packed_size(int k, int n);

/// Packs B = Wᵀ from W, row-major [n, k] (a linear layer's weight [out, in], for y = x Wᵀ).
void lebm_pack_transposed(const float *w, int n, int k, float *packed);

/// Packs B = W from W, row-major [k, n] (a linear layer's weight [out, in], for dx = dy W).
void lebm_pack(const float *w, int k, int n, float *packed);

/// C = A B (accumulate = 0) or C += A B (accumulate = 1), with A row-major [m, k] (leading
/// dimension lda), B packed by one of the functions above (k × n), C row-major [m, n] (ldc).
/// Each entry of C is one in-order sum over k (for k > 1024: in-order partial sums over blocks of
/// 256, added to C in order), whatever m: splitting the rows of A among threads does not change a bit.
void lebm_packed_gemm(int m, int n, int k, const float *a, int lda, const float *packed, float *c, int ldc, int accumulate);

/// y[i] = a[i, :] · w (accumulate = 0) or y[i] += a[i, :] · w, for the m rows of A (a layer with
/// one output). Each y[i] depends on its own row only.
void lebm_dot_rows(int m, int k, const float *a, int lda, const float *w, float *y, int accumulate);

#ifdef __cplusplus
}
#endif
#endif
