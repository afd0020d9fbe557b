// Fovea's hand-written numeric kernels (C, called from FoveaEngine).
// Each hot function is compiled several times (AVX-512, AVX2+FMA, baseline
// x86-64) with target_clones and the loader picks the best the CPU runs, so
// the binary stays portable while using the wide vectors this machine has.
#ifndef FOVEA_KERNELS_H
#define FOVEA_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which clone the loader chose, for `fovea bench`: "avx512", "avx2" or "generic".
const char *fovea_kernels_isa(void);

// ---- Winograd F(4x4, 3x3) convolution (winograd.c) ----
// Transforms around the 36 GEMMs M[ξ] = V[ξ] · U[ξ] of a 3x3 stride-1 NHWC
// convolution, and their adjoints for the backward pass. Matrices indexed
// by ξ (0..<36, row-major over the 6x6 tile) are `plane` floats apart:
// U[ξ] is in_c × filters, V[ξ] tiles × in_c, M[ξ] tiles × filters.

/// The shape of one convolution; tiles_h = ceil(out_h / 4), tiles_w = ceil(out_w / 4).
typedef struct {
    int in_h, in_w, in_c, out_h, out_w, filters, pad_top, pad_left, tiles_h, tiles_w;
} fovea_wino_geometry;

/// u[ξ] = (G w Gᵀ)[ξ] from a kernel w[3][3][in_c][filters], for the
/// (channel, filter) pairs begin..<end of the plane = in_c * filters.
void fovea_wino4_transform_kernel(const float *w, long plane, long begin, long end, float *u);
/// dw[3][3][in_c][filters] += Gᵀ du G (the adjoint of the kernel transform),
/// for the pairs begin..<end.
void fovea_wino4_kernel_gradient(const float *du, long plane, long begin, long end, float *dw);
/// v[ξ] rows tile_begin..<tile_end = Bᵀ d B of those tiles of the images at x
/// (zero outside the image); `tiles` is the chunk's tile count.
void fovea_wino4_transform_input(const fovea_wino_geometry *g, const float *x, long tile_begin, long tile_end,
                                 long tiles, float *v);
/// y = Aᵀ m A (+ bias, then ReLU if relu != 0) for those tiles, dropping what
/// falls outside the output.
void fovea_wino4_transform_output(const fovea_wino_geometry *g, const float *m, long tile_begin, long tile_end,
                                  long tiles, const float *bias, int relu, float *y);
/// dm[ξ] rows tile_begin..<tile_end = A dy Aᵀ, the adjoint of the output transform.
void fovea_wino4_output_adjoint(const fovea_wino_geometry *g, const float *dy, long tile_begin, long tile_end,
                                long tiles, float *dm);
/// dx for images image_begin..<image_end = the sum over their tiles of
/// B dv Bᵀ placed on each tile's input window (overwrites those images).
void fovea_wino4_input_adjoint(const fovea_wino_geometry *g, const float *dv, long image_begin, long image_end,
                               long tiles, float *dx);
// ---- end Winograd ----

#ifdef __cplusplus
}
#endif
#endif
