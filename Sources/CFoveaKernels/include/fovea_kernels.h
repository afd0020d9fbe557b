// Fovea's hand-written numeric kernels (C, called from FoveaEngine).
// Each hot function is compiled several times (AVX-512, AVX2+FMA, baseline
// x86-64) with target_clones and the loader picks the best the CPU runs, so
// the binary stays portable while using the wide vectors this machine has.
#ifndef FOVEA_KERNELS_H
#define FOVEA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which clone the loader chose, for `fovea bench`: "avx512", "avx2" or "generic".
const char *fovea_kernels_isa(void);

/// Per-thread nesting depth of FoveaEngine's parallel loops (a C
/// thread-local: Swift has no cheap one).
int fovea_parallel_depth(void);
void fovea_set_parallel_depth(int depth);

// ---- Worker threads (pool.c) ----
typedef void (*fovea_pool_task)(void *ctx, long chunk);
/// Runs fn(ctx, c) for every c in 0..<chunks on the calling thread and up to
/// threads - 1 spinning workers (started on first use), each chunk once, and
/// returns when all are done. Returns -1 without running anything when
/// there is nothing to split (threads or chunks below 2), no worker could be
/// started, or another thread's job is running: the caller then runs the
/// work itself.
int fovea_pool_run(int threads, long chunks, fovea_pool_task fn, void *ctx);

// ---- Direct convolution (direct_conv.c): stride 1, few input channels ----
// NHWC x (images x in_h x in_w x in_c), kernel [kh][kw][in_c][filters],
// y (images x out_h x out_w x filters); zero padding pad_top/pad_left.

/// y = conv(x, kernel) + bias (bias may be NULL), then max(0, .) if relu != 0,
/// for output rows oy_begin..<oy_end and columns 0..<ox_end of every image
/// (0, out_h, out_w: all of them; cells outside are not written) and
/// filters f_begin..<f_end (f_begin a multiple of 32; 0, filters: all).
/// Both return 0, or -1 when their scratch memory cannot be allocated.
int fovea_conv_direct_forward(const float *x, int images, int in_h, int in_w, int in_c,
                               const float *kernel, int kh, int kw, int filters,
                               int pad_top, int pad_left, int out_h, int out_w,
                               const float *bias, int relu, int oy_begin, int oy_end, int ox_end,
                               int f_begin, int f_end, float *y);

/// kernel_grad += dLoss/dKernel and bias_grad += dLoss/dBias (may be NULL)
/// for output gradient `grad` (images x out_h x out_w x filters).
int fovea_conv_direct_filter_grad(const float *x, int images, int in_h, int in_w, int in_c,
                                   const float *grad, int kh, int kw, int filters,
                                   int pad_top, int pad_left, int out_h, int out_w,
                                   float *kernel_grad, float *bias_grad);

/// The direct forward followed by a 2x2 stride-2 max pooling, at inference:
/// y[n][py][px][f] = max over the window of the convolution, + bias, then
/// ReLU if relu != 0, for pooled rows py_begin..<py_end and filters
/// f_begin..<f_end (f_begin a multiple of 32) of a pooled_h x pooled_w
/// output; the convolution outputs are never stored. -2 when the pooling
/// reads past the convolution's output, -1 out of memory.
int fovea_conv_direct_forward_maxpool2(const float *x, int images, int in_h, int in_w, int in_c,
                                       const float *kernel, int kh, int kw, int filters, int pad_top,
                                       int pad_left, int out_h, int out_w, const float *bias, int relu,
                                       int pooled_h, int pooled_w, int py_begin, int py_end, int f_begin, int f_end,
                                       float *y);

// ---- 2x2 max pooling, stride 2, no padding (pooling.c) ----
// NHWC x (images x in_h x in_w x c), y (images x out_h x out_w x c) with
// 2*out_h <= in_h and 2*out_w <= in_w.

void fovea_maxpool2x2_forward(const float *x, int images, int in_h, int in_w, int c,
                              int out_h, int out_w, float *y);

/// dx (written whole, uncovered cells zero) from output gradient `grad`: each
/// window's gradient goes to its first cell (row-major) equal to the maximum.
void fovea_maxpool2x2_backward(const float *x, const float *y, const float *grad,
                               int images, int in_h, int in_w, int c, int out_h, int out_w, float *dx);
/// fovea_maxpool2x2_forward that also writes, per output value, the window
/// cell fovea_maxpool2x2_backward would send its gradient to (0..3 row-major,
/// 4 for none), so training can keep these bytes instead of x.
void fovea_maxpool2x2_forward_index(const float *x, int images, int in_h, int in_w, int c,
                                    int out_h, int out_w, float *y, unsigned char *index);
/// dx = grad placed on the cells `index` names, zero elsewhere (the same dx
/// as fovea_maxpool2x2_backward on the x the indices came from).
void fovea_maxpool2x2_scatter(const float *grad, const unsigned char *index, int images,
                              int in_h, int in_w, int c, int out_h, int out_w, float *dx);

// ---- Optimizer updates (optimizer.c) ----

/// Keras Adam on n values: m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g²,
/// w -= alpha·m / (√v + ε), alpha being the bias-corrected learning rate.
void fovea_adam_update(float *w, const float *g, float *m, float *v, size_t n,
                       float beta1, float beta2, float alpha, float epsilon);

// ---- Small-depth GEMM (gemm.c) ----
/// c (m x n, row stride ldc) = a (m x k) · b (k x n), or += when accumulate
/// != 0; all row-major. When n is not a multiple of 32, `scratch` must hold
/// k * 32 + 256 floats (else -1 is returned and nothing is written).
int fovea_gemm_nn(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                  float *c, long ldc, int accumulate, float *scratch);
/// The same with a stored transposed: c = or += aᵀ · b, a being k x m (row stride lda).
int fovea_gemm_tn(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                  float *c, long ldc, int accumulate, float *scratch);

// ---- Winograd F(4x4, 3x3) convolution (winograd.c) ----
// Transforms around the 36 GEMMs M[ξ] = V[ξ] · U[ξ] of a 3x3 stride-1 NHWC
// convolution, and their adjoints for the backward pass. Matrices indexed
// by ξ (0..<36, row-major over the 6x6 tile) are `plane` floats apart:
// U[ξ] is in_c × filters, V[ξ] tiles × in_c, M[ξ] tiles × filters.

/// The shape of one convolution; tiles_h = ceil(out_h / 4), tiles_w = ceil(out_w / 4).
typedef struct {
    int in_h, in_w, in_c, out_h, out_w, filters, pad_top, pad_left, tiles_h, tiles_w;
} fovea_wino_geometry;

/// Floats between consecutive ξ planes of the tile (V, dV) and product (M,
/// dM) buffers for `tiles` rows of `width` values: tiles * width plus 16.
/// Without the pad the planes of a chunk (e.g. 256 tiles x 128 channels,
/// 128 KB apart) all start on the same cache sets, and the transforms touch
/// all 36 at once. Measured on this 2-core EPYC (`fovea bench --ab 8`, one
/// process, medians): training step geron-deep 205 -> 195 ms, fovea-emnist
/// 60.7 -> 57.2 ms; 1024-image inference fovea-emnist 123 -> 109 ms,
/// geron-deep even.
static inline long fovea_wino_plane(long tiles, long width) { return tiles * width + 16; }

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
/// The same for filters f_begin..<f_end only (f_begin a multiple of 16).
void fovea_wino4_transform_output_filters(const fovea_wino_geometry *g, const float *m, long tile_begin,
                                          long tile_end, long tiles, long f_begin, long f_end, const float *bias,
                                          int relu, float *y);
/// One image of few Winograd tiles (at most 4: a 7x7 map's 2x2), window
/// 6 for F(4x4, 3x3) (tiles_h/tiles_w in 4x4 output tiles) or 5 for
/// F(3x3, 3x3) (3x3 output tiles, windows from (3ty, 3tx)), with the kernel
/// transformed on the fly (winograd.c says why):
/// The tiles transformed for channels c_begin..<c_end (c_begin a multiple
/// of 16) into the layout the products read, vr[((((i * ⌈in_c/16⌉ + ch / 16)
/// * window + j) * tiles + t) * 16 + ch % 16] for ξ = window * i + j; -1
/// (nothing written) for more tiles, another window or a misaligned start.
int fovea_wino_few_tiles_input(int window, const fovea_wino_geometry *g, const float *x, long c_begin, long c_end,
                               float *vr);
/// The 3x3 kernel w [3][3][c][filters] regrouped for the products, filters
/// f_begin..<f_end (multiples of 16; `filters` one too): packed[((f / 16) * c
/// + ch) * 9 + tap][f % 16], one channel's nine taps of 16 filters adjacent.
void fovea_wino_few_tiles_pack(const float *w, long c, long filters, long f_begin, long f_end, float *packed);
/// m[ξ][t][f] (m laid out [window²][tiles][filters], as the output
/// transforms read it) for filters f_begin..<f_end (multiples of 16): the
/// products of the tiles vr with the packed kernel transformed on the fly;
/// -1 (nothing written) for more than 4 tiles, another window or a
/// misaligned filter range.
int fovea_wino_few_tiles_products(int window, const float *vr, long tiles, long c, const float *packed,
                                  long filters, long f_begin, long f_end, float *m);
/// F(3x3, 3x3) for a batch (inference; windows 5x5 from (3ty, 3tx), 25
/// planes): the kernel transform, as fovea_wino4_transform_kernel, and the
/// input transform, as fovea_wino4_transform_input.
void fovea_wino3_transform_kernel(const float *w, long plane, long begin, long end, float *u);
void fovea_wino3_transform_input(const fovea_wino_geometry *g, const float *x, long tile_begin, long tile_end,
                                 long tiles, float *v);
/// F(3x3, 3x3)'s output transform, y = Aᵀ m A (+ bias, then ReLU if relu !=
/// 0), for tiles tile_begin..<tile_end and filters f_begin..<f_end (f_begin a
/// multiple of 16), dropping what falls outside the output.
void fovea_wino3_transform_output_filters(const fovea_wino_geometry *g, const float *m, long tile_begin,
                                          long tile_end, long tiles, long f_begin, long f_end, const float *bias,
                                          int relu, float *y);
/// dm[ξ] rows tile_begin..<tile_end = A dy Aᵀ, the adjoint of the output transform.
void fovea_wino4_output_adjoint(const fovea_wino_geometry *g, const float *dy, long tile_begin, long tile_end,
                                long tiles, float *dm);
/// dx for images image_begin..<image_end = the sum over their tiles of
/// B dv Bᵀ placed on each tile's input window (overwrites those images).
void fovea_wino4_input_adjoint(const fovea_wino_geometry *g, const float *dv, long image_begin, long image_end,
                               long tiles, float *dx);
// ---- end Winograd ----

// ---- int8 inference (int8_conv.c) ----
/// Int8 convolution: y = clamp(round(multiplier[f] · (Σ (x − zp_in) · w + bias[f])) + zp_out, qmin, qmax),
/// NHWC input/output, weights [filters][kh][kw][c], padding at the input zero point.
/// A dense layer is the 1x1 case on a 1x1 map. The plain loop, kept as the
/// oracle for the fast path below (which gives the same bytes).
void fovea_q8_conv_reference(const int8_t *x, long n, long h, long w, long c, int zp_in,
                             const int8_t *weights, const int32_t *bias, long kh, long kw, long stride,
                             long pad_top, long pad_left, long out_h, long out_w, long filters,
                             const double *multiplier, int zp_out, int qmin, int qmax, int8_t *y);

/// Instruction sets of the fast path: AVX-512 VNNI, AVX2, plain C.
enum { FOVEA_Q8_GENERIC = 0, FOVEA_Q8_AVX2 = 1, FOVEA_Q8_VNNI = 2 };
/// The best one this CPU runs, and a name for each ("avx512-vnni", "avx2", "generic").
int fovea_q8_best_isa(void);
const char *fovea_q8_isa_name(int isa);

/// One convolution's geometry (per image; the filters carry kh, kw, c too).
typedef struct {
    long h, w, c, kh, kw, stride, pad_top, pad_left, out_h, out_w;
} fovea_q8_geometry;

/// Weights [filters][kh][kw][c] packed for the fast path of instruction set
/// `isa` (-1: the best this CPU runs); NULL when out of memory or for an
/// instruction set the CPU lacks. Immutable once made: calls may share it.
typedef struct fovea_q8_filters fovea_q8_filters;
fovea_q8_filters *fovea_q8_filters_pack(const int8_t *weights, long filters, long kh, long kw, long c, int isa);
void fovea_q8_filters_free(fovea_q8_filters *f);
int fovea_q8_filters_isa(const fovea_q8_filters *f);
/// Whether the fast path takes this geometry and these parameters (the
/// zero points and the clamp within what its layouts hold; otherwise use
/// the reference).
int fovea_q8_accepts(const fovea_q8_filters *f, const fovea_q8_geometry *g, int zp_in, int zp_out, int qmin, int qmax);
/// Bytes of the padded input buffer for n images.
size_t fovea_q8_input_bytes(const fovea_q8_filters *f, const fovea_q8_geometry *g, long n);
/// Copies images img_begin..<img_end of x into the padded buffer (border at
/// the input zero point, channels rounded up for the packed filters).
void fovea_q8_prepare_input(const fovea_q8_filters *f, const fovea_q8_geometry *g, const int8_t *x, int zp_in,
                            long img_begin, long img_end, void *padded);
/// Output pixels m_begin..<m_end (counted over the batch, row-major: image,
/// row, column) of y, each `filters` int8 values, from the padded buffer:
/// the same values as fovea_q8_conv_reference. -1 when out of memory.
int fovea_q8_conv_packed(const fovea_q8_filters *f, const fovea_q8_geometry *g, const void *padded, int zp_in,
                         const int32_t *bias, const double *multiplier, int zp_out, int qmin, int qmax,
                         long m_begin, long m_end, int8_t *y);

/// Int8 max pooling, NHWC, window size x size: the largest in-bounds value
/// of each window (-128 when none is), the input's quantization kept.
void fovea_q8_maxpool(const int8_t *x, long n, long h, long w, long c, long size, long stride, long pad_top,
                      long pad_left, long out_h, long out_w, int8_t *y);

#ifdef __cplusplus
}
#endif
#endif
