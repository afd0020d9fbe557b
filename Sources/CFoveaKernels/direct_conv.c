// Direct convolution for layers with few input channels (a model's first
// layer on gray images): im2col + GEMM would multiply matrices only
// kh*kw*C (e.g. 9) deep, which no GEMM runs fast, so these loops keep a
// block of output channels in vector registers and stream the taps through.
// Layout as in FoveaEngine: NHWC activations, kernels [kh][kw][C][F].
#include "fovea_kernels.h"
#include <string.h>

#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
// Output channels per register block and output pixels per step: 4 pixels
// x 32 channels is 8 AVX-512 (16 AVX2) accumulators, each weight vector
// loaded once per tap for the four pixels.
#define FBLOCK 32
#define PBLOCK 4

// GCC/Clang vector extension: one AVX-512 register in the x86-64-v4 clone,
// two AVX2 or four SSE registers in the others.
typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
#define LOAD(p) (*(const v16u *)(p))
#define STORE(p, v) (*(v16u *)(p) = (v))

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

CLONES
void fovea_conv_direct_forward(const float *restrict x, int images, int in_h, int in_w, int in_c,
                               const float *restrict kernel, int kh, int kw, int filters,
                               int pad_top, int pad_left, int out_h, int out_w,
                               const float *restrict bias, int relu, float *restrict y) {
    const size_t in_image = (size_t)in_h * in_w * in_c;
    const size_t out_image = (size_t)out_h * out_w * filters;
    for (int n = 0; n < images; n++) {
        const float *xi = x + n * in_image;
        float *yi = y + n * out_image;
        for (int oy = 0; oy < out_h; oy++) {
            // Kernel rows that land inside the image for this output row.
            const int ky0 = clampi(pad_top - oy, 0, kh), ky1 = clampi(in_h + pad_top - oy, 0, kh);
            for (int ox0 = 0; ox0 < out_w; ox0 += PBLOCK) {
                const int np = out_w - ox0 < PBLOCK ? out_w - ox0 : PBLOCK;
                // Interior pixel groups take every kernel column for all PBLOCK pixels.
                const int interior = np == PBLOCK && ox0 - pad_left >= 0 && ox0 + PBLOCK - 1 - pad_left + kw <= in_w;
                for (int f0 = 0; f0 < filters; f0 += FBLOCK) {
                    const int nf = filters - f0 < FBLOCK ? filters - f0 : FBLOCK;
                    float acc[PBLOCK][FBLOCK];
                    for (int p = 0; p < PBLOCK; p++)
                        for (int j = 0; j < FBLOCK; j++) acc[p][j] = (bias && j < nf) ? bias[f0 + j] : 0.0f;
                    if (interior && nf == FBLOCK) {
                        v16 a0 = LOAD(acc[0]), a1 = LOAD(acc[0] + 16), b0 = LOAD(acc[1]), b1 = LOAD(acc[1] + 16);
                        v16 c0 = LOAD(acc[2]), c1 = LOAD(acc[2] + 16), d0 = LOAD(acc[3]), d1 = LOAD(acc[3] + 16);
                        for (int ky = ky0; ky < ky1; ky++) {
                            const float *row = xi + ((size_t)(oy + ky - pad_top) * in_w + (ox0 - pad_left)) * in_c;
                            for (int kx = 0; kx < kw; kx++) {
                                for (int c = 0; c < in_c; c++) {
                                    const float *w = kernel + ((size_t)(ky * kw + kx) * in_c + c) * filters + f0;
                                    const v16 w0 = LOAD(w), w1 = LOAD(w + 16);
                                    const float *px = row + kx * in_c + c;
                                    const float x0 = px[0], x1 = px[in_c], x2 = px[2 * in_c], x3 = px[3 * in_c];
                                    a0 += x0 * w0; a1 += x0 * w1;
                                    b0 += x1 * w0; b1 += x1 * w1;
                                    c0 += x2 * w0; c1 += x2 * w1;
                                    d0 += x3 * w0; d1 += x3 * w1;
                                }
                            }
                        }
                        STORE(acc[0], a0); STORE(acc[0] + 16, a1); STORE(acc[1], b0); STORE(acc[1] + 16, b1);
                        STORE(acc[2], c0); STORE(acc[2] + 16, c1); STORE(acc[3], d0); STORE(acc[3] + 16, d1);
                    } else {
                        for (int p = 0; p < np; p++) {
                            const int ox = ox0 + p;
                            const int kx0 = clampi(pad_left - ox, 0, kw), kx1 = clampi(in_w + pad_left - ox, 0, kw);
                            for (int ky = ky0; ky < ky1; ky++) {
                                for (int kx = kx0; kx < kx1; kx++) {
                                    const float *px = xi + ((size_t)(oy + ky - pad_top) * in_w + (ox + kx - pad_left)) * in_c;
                                    for (int c = 0; c < in_c; c++) {
                                        const float *w = kernel + ((size_t)(ky * kw + kx) * in_c + c) * filters + f0;
                                        const float v = px[c];
                                        for (int j = 0; j < nf; j++) acc[p][j] += v * w[j];
                                    }
                                }
                            }
                        }
                    }
                    for (int p = 0; p < np; p++) {
                        float *out = yi + ((size_t)oy * out_w + ox0 + p) * filters + f0;
                        if (relu) {
                            for (int j = 0; j < nf; j++) out[j] = acc[p][j] > 0.0f ? acc[p][j] : 0.0f;
                        } else {
                            for (int j = 0; j < nf; j++) out[j] = acc[p][j];
                        }
                    }
                }
            }
        }
    }
}

CLONES
void fovea_conv_direct_filter_grad(const float *restrict x, int images, int in_h, int in_w, int in_c,
                                   const float *restrict grad, int kh, int kw, int filters,
                                   int pad_top, int pad_left, int out_h, int out_w,
                                   float *restrict kernel_grad, float *restrict bias_grad) {
    const size_t in_image = (size_t)in_h * in_w * in_c;
    const size_t out_image = (size_t)out_h * out_w * filters;
    // One block of FBLOCK output channels at a time; its kh*kw*C rows of
    // kernel gradient stay in L1 while every output pixel streams past.
    for (int f0 = 0; f0 < filters; f0 += FBLOCK) {
        const int nf = filters - f0 < FBLOCK ? filters - f0 : FBLOCK;
        float bsum[FBLOCK] = {0};
        for (int n = 0; n < images; n++) {
            const float *xi = x + n * in_image;
            const float *gi = grad + n * out_image;
            for (int oy = 0; oy < out_h; oy++) {
                const int ky0 = clampi(pad_top - oy, 0, kh), ky1 = clampi(in_h + pad_top - oy, 0, kh);
                for (int ox = 0; ox < out_w; ox++) {
                    const float *g = gi + ((size_t)oy * out_w + ox) * filters + f0;
                    const int kx0 = clampi(pad_left - ox, 0, kw), kx1 = clampi(in_w + pad_left - ox, 0, kw);
                    if (nf == FBLOCK) {
                        const v16 g0 = LOAD(g), g1 = LOAD(g + 16);
                        STORE(bsum, LOAD(bsum) + g0);
                        STORE(bsum + 16, LOAD(bsum + 16) + g1);
                        for (int ky = ky0; ky < ky1; ky++) {
                            for (int kx = kx0; kx < kx1; kx++) {
                                const float *px = xi + ((size_t)(oy + ky - pad_top) * in_w + (ox + kx - pad_left)) * in_c;
                                float *dk = kernel_grad + ((size_t)(ky * kw + kx) * in_c) * filters + f0;
                                for (int c = 0; c < in_c; c++) {
                                    const float v = px[c];
                                    float *d = dk + c * filters;
                                    STORE(d, LOAD(d) + v * g0);
                                    STORE(d + 16, LOAD(d + 16) + v * g1);
                                }
                            }
                        }
                    } else {
                        for (int j = 0; j < nf; j++) bsum[j] += g[j];
                        for (int ky = ky0; ky < ky1; ky++) {
                            for (int kx = kx0; kx < kx1; kx++) {
                                const float *px = xi + ((size_t)(oy + ky - pad_top) * in_w + (ox + kx - pad_left)) * in_c;
                                float *dk = kernel_grad + ((size_t)(ky * kw + kx) * in_c) * filters + f0;
                                for (int c = 0; c < in_c; c++) {
                                    const float v = px[c];
                                    for (int j = 0; j < nf; j++) dk[c * filters + j] += v * g[j];
                                }
                            }
                        }
                    }
                }
            }
        }
        if (bias_grad)
            for (int j = 0; j < nf; j++) bias_grad[f0 + j] += bsum[j];
    }
}
