// im2col and col2im for the layer every DCGAN-style generator is built of: a 4×4 kernel, stride 2,
// padding 1, between an oh × ow plane and a 2·oh × 2·ow one. The general loops scatter or gather
// with stride 2, one kernel tap at a time; these read or write each row of the large plane once.
#ifndef LEBM_CONV_K4S2_H
#define LEBM_CONV_K4S2_H

#ifdef __cplusplus
extern "C" {
#endif

/// For channel c of x ([batch, channels, 2·oh, 2·ow]), the 16 rows (c·4 + ky)·4 + kx of
/// cols ([channels·16, batch·oh·ow]): cols[.., (n·oh + oy)·ow + ox] = x[n, c, 2·oy − 1 + ky,
/// 2·ox − 1 + kx], 0 outside.
void lebm_im2col_k4s2p1(const float *x, int batch, int channels, int c, int oh, int ow, float *cols);

/// The adjoint, for channel c: x[n, c, iy, ix] = the sum of the cols entries that read it (each
/// takes exactly four: two taps per axis), written, not added.
void lebm_col2im_k4s2p1(const float *cols, int batch, int channels, int c, int oh, int ow, float *x);

/// lebm_col2im_k4s2p1, then on each value written, while its row is in cache: v ← v + bias
/// (when bias is not null), then v ← v > 0 ? v : slope·v (when leaky is not 0). The same
/// arithmetic as those passes run one after the other.
void lebm_col2im_k4s2p1_epilogue(const float *cols, int batch, int channels, int c, int oh, int ow, float *x,
                                 const float *bias, int leaky, float slope);

#ifdef __cplusplus
}
#endif
#endif
