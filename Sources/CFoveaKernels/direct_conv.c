// Direct convolution for layers with few input channels (a model's first
// layer on gray or colour images): im2col + GEMM would multiply matrices only
// kh*kw*C (e.g. 9) deep, which no GEMM runs fast. These loops copy each image
// into a zero-padded buffer (so every tap is in range and the inner loops
// have no branches) and keep 32 output channels of several pixels, or of
// several kernel taps, in vector registers.
// Layout as in FoveaEngine: NHWC activations, kernels [kh][kw][C][F].
#include "fovea_kernels.h"
#include "vector.h"
#include <stdlib.h>
#include <string.h>


// Output channels per block (two vectors), output pixels per forward step
// (16 accumulators), kernel taps per kernel-gradient pass (20 accumulators).
#define FBLOCK 32
#define PBLOCK 8
#define TGROUP 10

/// Image n of x, zero-padded to ph x pw (plus `slack` zero floats after it).
static void pad_image(const float *xi, int in_h, int in_w, int in_c, int pad_top, int pad_left,
                      int ph, int pw, size_t slack, float *buf) {
    memset(buf, 0, ((size_t)ph * pw * in_c + slack) * sizeof(float));
    for (int iy = 0; iy < in_h; iy++) {
        const int py = iy + pad_top;
        if (py < 0 || py >= ph) continue;
        int x0 = 0, x1 = in_w;
        if (pad_left < 0) x0 = -pad_left;
        if (x1 + pad_left > pw) x1 = pw - pad_left;
        if (x1 > x0)
            memcpy(buf + ((size_t)py * pw + x0 + pad_left) * in_c, xi + ((size_t)iy * in_w + x0) * in_c,
                   (size_t)(x1 - x0) * in_c * sizeof(float));
    }
}

/// The kernel with its filter dimension rounded up to whole blocks (zeros).
static float *pad_kernel(const float *kernel, int taps, int filters, int fpad) {
    float *k = calloc((size_t)taps * fpad, sizeof(float));
    if (!k) return NULL;
    for (int t = 0; t < taps; t++) memcpy(k + (size_t)t * fpad, kernel + (size_t)t * filters, filters * sizeof(float));
    return k;
}

// One pixel's 32 filters (two vectors) stored, after ReLU if relu != 0; only
// the nf real filters of a tail block.
INLINE void store_block(float *restrict o, const v16 *r0, const v16 *r1, int relu, int nf) {
    v16 v0 = *r0, v1 = *r1;
    if (relu) {
        const v16 zero = {0};
        v0 = __builtin_elementwise_max(v0, zero);
        v1 = __builtin_elementwise_max(v1, zero);
    }
    if (nf == FBLOCK) {
        STORE(o, v0);
        STORE(o + 16, v1);
    } else {
        float tmp[FBLOCK];
        STORE(tmp, v0);
        STORE(tmp + 16, v1);
        memcpy(o, tmp, nf * sizeof(float));
    }
}

// What both forward loops set up per call: the zero-padded image buffer (ph
// x pw), the kernel (a copy with whole 32-filter blocks only when the filter
// count is off the block size: a whole-kernel copy per call cost geron-deep's
// 256-filter layers about 0.1 ms each, most of a single image's time there),
// the bias in whole blocks, and each tap's offset in the padded image.
typedef struct {
    int ph, pw, taps, fpad;
    size_t slack;
    float *buf, *kcopy, *bpad;
    const float *k;
    int *offset;
} forward_setup;

static void free_forward(forward_setup *s) {
    free(s->buf); free(s->kcopy); free(s->bpad); free(s->offset);
}

/// 0, or -1 (everything freed) when memory runs out.
static int setup_forward(forward_setup *s, const float *kernel, const float *bias, int in_c, int kh, int kw,
                         int filters, int out_h, int out_w) {
    s->ph = out_h + kh - 1;
    s->pw = out_w + kw - 1;
    s->taps = kh * kw * in_c;
    s->fpad = (filters + FBLOCK - 1) / FBLOCK * FBLOCK;
    // Every pixel block is exactly as wide as the pixels it computes; the
    // slack only covers vector loads past the last tap.
    s->slack = (size_t)(PBLOCK + kw) * in_c;
    s->buf = malloc(((size_t)s->ph * s->pw * in_c + s->slack) * sizeof(float));
    s->kcopy = s->fpad == filters ? NULL : pad_kernel(kernel, s->taps, filters, s->fpad);
    s->k = s->fpad == filters ? kernel : s->kcopy;
    s->bpad = calloc(s->fpad, sizeof(float));
    s->offset = malloc(s->taps * sizeof(int));
    if (!s->buf || !s->k || !s->bpad || !s->offset) { free_forward(s); return -1; }
    if (bias) memcpy(s->bpad, bias, filters * sizeof(float));
    for (int ky = 0, t = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
            for (int c = 0; c < in_c; c++, t++) s->offset[t] = (ky * s->pw + kx) * in_c + c;
    return 0;
}

// One block of np (1..PBLOCK, a constant after inlining) output pixels of a
// padded row (`base`: their first input position) and 32 filters from f0:
// acc = bias + Σ_t in[t] · w[t], then ReLU, stored for the nf real filters.
INLINE void forward_block(int np, const float *restrict base, const int *restrict offset, int taps, int in_c,
                          const float *restrict w, int fpad, const float *restrict bias, int relu, int nf,
                          float *restrict out, int filters) {
    v16 a0[PBLOCK], a1[PBLOCK];
    const v16 b0 = LOAD(bias), b1 = LOAD(bias + 16);
    for (int p = 0; p < np; p++) { a0[p] = b0; a1[p] = b1; }
    for (int t = 0; t < taps; t++, w += fpad) {
        const v16 w0 = LOAD(w), w1 = LOAD(w + 16);
        const float *px = base + offset[t];
        for (int p = 0; p < np; p++) {
            const float v = px[p * in_c];
            a0[p] += v * w0;
            a1[p] += v * w1;
        }
    }
    for (int p = 0; p < np; p++) store_block(out + (size_t)p * filters, &a0[p], &a1[p], relu, nf);
}

CLONES
int fovea_conv_direct_forward(const float *restrict x, int images, int in_h, int in_w, int in_c,
                              const float *restrict kernel, int kh, int kw, int filters,
                              int pad_top, int pad_left, int out_h, int out_w,
                              const float *restrict bias, int relu, int oy_begin, int oy_end, int ox_end,
                              int f_begin, int f_end, float *restrict y) {
    forward_setup s;
    if (setup_forward(&s, kernel, bias, in_c, kh, kw, filters, out_h, out_w)) return -1;
    const int ph = s.ph, pw = s.pw, fpad = s.fpad;
    const size_t slack = s.slack;
    float *buf = s.buf, *bpad = s.bpad;
    const float *k = s.k;
    const int *offset = s.offset;
    const int fb = f_begin < 0 ? 0 : f_begin;
    const int fe = f_end > filters ? filters : f_end;
    const int xe = ox_end > out_w ? out_w : ox_end;
    for (int n = 0; n < images; n++) {
        pad_image(x + (size_t)n * in_h * in_w * in_c, in_h, in_w, in_c, pad_top, pad_left, ph, pw, slack, buf);
        float *yi = y + (size_t)n * out_h * out_w * filters;
        // Filter blocks outermost: one block's weights (taps x 32 floats)
        // stay in cache while every row of the image passes them; with rows
        // outermost, a small map streamed the whole kernel once per row.
        for (int f0 = fb; f0 < fe; f0 += FBLOCK) {
            const int nf = filters - f0 < FBLOCK ? filters - f0 : FBLOCK;
            for (int oy = oy_begin; oy < oy_end; oy++) {
                // Kernel rows that fall on the zero padding above or below the
                // image add nothing: the taps run over the others only (taps are
                // ordered kernel row first). A 7x7 'same' map skips 2 of 21
                // kernel-row passes: one geron-deep image's 7x7 layers measured
                // 0.159 -> 0.139 and 0.373 -> 0.288 ms (`fovea bench --ab`, medians).
                int ky_lo = pad_top - oy, ky_hi = pad_top + in_h - oy;
                if (ky_lo < 0) ky_lo = 0;
                if (ky_hi > kh) ky_hi = kh;
                if (ky_hi < ky_lo) ky_hi = ky_lo;
                const int t0 = ky_lo * kw * in_c, nt = (ky_hi - ky_lo) * kw * in_c;
                const float *w = k + (size_t)t0 * fpad + f0;
                const int *off = offset + t0;
                for (int ox0 = 0; ox0 < xe; ox0 += PBLOCK) {
                    const int np = xe - ox0 < PBLOCK ? xe - ox0 : PBLOCK;
                    const float *base = buf + ((size_t)oy * pw + ox0) * in_c;
                    float *out = yi + ((size_t)oy * out_w + ox0) * filters + f0;
                    // A row's last block computes only its real pixels (a
                    // 7-wide map wasted an eighth of the work on an 8-wide block).
#define BLOCK(P) forward_block(P, base, off, nt, in_c, w, fpad, bpad + f0, relu, nf, out, filters)
                    switch (np) {
                    case 8: BLOCK(8); break;
                    case 7: BLOCK(7); break;
                    case 6: BLOCK(6); break;
                    case 5: BLOCK(5); break;
                    case 4: BLOCK(4); break;
                    case 3: BLOCK(3); break;
                    case 2: BLOCK(2); break;
                    default: BLOCK(1); break;
                    }
                }
            }
        }
    }
    free_forward(&s);
    return 0;
}
#undef BLOCK

// One block of np (1 or 2, a constant after inlining) outputs of a 2x2
// stride-2 max pooling and 32 filters: the 2 x 2np convolution outputs under
// them stay in registers (16 accumulators for np = 2), then max, bias (the
// same for every cell of a window, so it commutes with the max) and ReLU.
// `base`: the padded input under the block's top-left convolution output;
// `row`: floats between padded rows.
INLINE void pool_block(int np, const float *restrict base, long row, const int *restrict offset, int taps, int in_c,
                       const float *restrict w, int fpad, const float *restrict bias, int relu, int nf,
                       float *restrict out, int filters) {
    v16 a0[2][4], a1[2][4];
    for (int r = 0; r < 2; r++)
        for (int q = 0; q < 2 * np; q++) { a0[r][q] = (v16){0}; a1[r][q] = (v16){0}; }
    for (int t = 0; t < taps; t++, w += fpad) {
        const v16 w0 = LOAD(w), w1 = LOAD(w + 16);
        const float *px = base + offset[t];
        for (int r = 0; r < 2; r++)
            for (int q = 0; q < 2 * np; q++) {
                const float v = px[r * row + q * in_c];
                a0[r][q] += v * w0;
                a1[r][q] += v * w1;
            }
    }
    const v16 b0 = LOAD(bias), b1 = LOAD(bias + 16);
    for (int p = 0; p < np; p++) {
        const v16 m0 = __builtin_elementwise_max(__builtin_elementwise_max(a0[0][2 * p], a0[0][2 * p + 1]),
                                                 __builtin_elementwise_max(a0[1][2 * p], a0[1][2 * p + 1])) + b0;
        const v16 m1 = __builtin_elementwise_max(__builtin_elementwise_max(a1[0][2 * p], a1[0][2 * p + 1]),
                                                 __builtin_elementwise_max(a1[1][2 * p], a1[1][2 * p + 1])) + b1;
        store_block(out + (size_t)p * filters, &m0, &m1, relu, nf);
    }
}

CLONES
int fovea_conv_direct_forward_maxpool2(const float *restrict x, int images, int in_h, int in_w, int in_c,
                                       const float *restrict kernel, int kh, int kw, int filters, int pad_top,
                                       int pad_left, int out_h, int out_w, const float *restrict bias, int relu,
                                       int pooled_h, int pooled_w, int py_begin, int py_end, int f_begin, int f_end,
                                       float *restrict y) {
    if (2 * pooled_h > out_h || 2 * pooled_w > out_w) return -2;
    forward_setup s;
    if (setup_forward(&s, kernel, bias, in_c, kh, kw, filters, out_h, out_w)) return -1;
    const int ph = s.ph, pw = s.pw, taps = s.taps, fpad = s.fpad;
    float *buf = s.buf, *bpad = s.bpad;
    const float *k = s.k;
    const int *offset = s.offset;
    const int fb = f_begin < 0 ? 0 : f_begin;
    const int fe = f_end > filters ? filters : f_end;
    const long row = (long)pw * in_c;
    for (int n = 0; n < images; n++) {
        pad_image(x + (size_t)n * in_h * in_w * in_c, in_h, in_w, in_c, pad_top, pad_left, ph, pw, s.slack, buf);
        float *yi = y + (size_t)n * pooled_h * pooled_w * filters;
        for (int f0 = fb; f0 < fe; f0 += FBLOCK) {
            const int nf = filters - f0 < FBLOCK ? filters - f0 : FBLOCK;
            for (int py = py_begin; py < py_end; py++) {
                for (int px0 = 0; px0 < pooled_w; px0 += 2) {
                    const float *base = buf + ((size_t)(2 * py) * pw + 2 * px0) * in_c;
                    float *out = yi + ((size_t)py * pooled_w + px0) * filters + f0;
                    if (pooled_w - px0 >= 2)
                        pool_block(2, base, row, offset, taps, in_c, k + f0, fpad, bpad + f0, relu, nf, out, filters);
                    else
                        pool_block(1, base, row, offset, taps, in_c, k + f0, fpad, bpad + f0, relu, nf, out, filters);
                }
            }
        }
    }
    free_forward(&s);
    return 0;
}

CLONES
int fovea_conv_direct_filter_grad(const float *restrict x, int images, int in_h, int in_w, int in_c,
                                  const float *restrict grad, int kh, int kw, int filters,
                                  int pad_top, int pad_left, int out_h, int out_w,
                                  float *restrict kernel_grad, float *restrict bias_grad) {
    const int ph = out_h + kh - 1, pw = out_w + kw - 1;
    const int taps = kh * kw * in_c;
    // Taps in whole groups; the extra ones read offset 0 and are discarded.
    const int groups = (taps + TGROUP - 1) / TGROUP;
    const size_t pixels = (size_t)out_h * out_w;
    float *buf = malloc(((size_t)ph * pw * in_c) * sizeof(float));
    int *offset = calloc((size_t)groups * TGROUP, sizeof(int));
    // Gradient rows of a tail filter block, copied out with zeros after them.
    float *gtail = malloc(pixels * FBLOCK * sizeof(float));
    if (!buf || !offset || !gtail) { free(buf); free(offset); free(gtail); return -1; }
    for (int ky = 0, t = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
            for (int c = 0; c < in_c; c++, t++) offset[t] = (ky * pw + kx) * in_c + c;
    for (int n = 0; n < images; n++) {
        pad_image(x + (size_t)n * in_h * in_w * in_c, in_h, in_w, in_c, pad_top, pad_left, ph, pw, 0, buf);
        const float *gi = grad + (size_t)n * pixels * filters;
        for (int f0 = 0; f0 < filters; f0 += FBLOCK) {
            const int nf = filters - f0 < FBLOCK ? filters - f0 : FBLOCK;
            const float *g = gi + f0;
            size_t gstride = filters;
            if (nf < FBLOCK) {
                for (size_t q = 0; q < pixels; q++) {
                    memset(gtail + q * FBLOCK, 0, FBLOCK * sizeof(float));
                    memcpy(gtail + q * FBLOCK, gi + q * filters + f0, nf * sizeof(float));
                }
                g = gtail;
                gstride = FBLOCK;
            }
            for (int grp = 0; grp < groups; grp++) {
                const int *off = offset + grp * TGROUP;
                v16 a0[TGROUP], a1[TGROUP], s0 = {0}, s1 = {0};
                for (int t = 0; t < TGROUP; t++) { a0[t] = (v16){0}; a1[t] = (v16){0}; }
                for (int oy = 0; oy < out_h; oy++) {
                    const float *row = buf + (size_t)oy * pw * in_c;
                    const float *grow = g + (size_t)oy * out_w * gstride;
                    for (int ox = 0; ox < out_w; ox++) {
                        const v16 g0 = LOAD(grow + ox * gstride), g1 = LOAD(grow + ox * gstride + 16);
                        s0 += g0;
                        s1 += g1;
                        const float *px = row + (size_t)ox * in_c;
                        for (int t = 0; t < TGROUP; t++) {
                            const float v = px[off[t]];
                            a0[t] += v * g0;
                            a1[t] += v * g1;
                        }
                    }
                }
                const int tcount = taps - grp * TGROUP < TGROUP ? taps - grp * TGROUP : TGROUP;
                for (int t = 0; t < tcount; t++) {
                    float tmp[FBLOCK];
                    STORE(tmp, a0[t]);
                    STORE(tmp + 16, a1[t]);
                    float *dk = kernel_grad + (size_t)(grp * TGROUP + t) * filters + f0;
                    for (int j = 0; j < nf; j++) dk[j] += tmp[j];
                }
                if (grp == 0 && bias_grad) {
                    float tmp[FBLOCK];
                    STORE(tmp, s0);
                    STORE(tmp + 16, s1);
                    for (int j = 0; j < nf; j++) bias_grad[f0 + j] += tmp[j];
                }
            }
        }
    }
    free(buf); free(offset); free(gtail);
    return 0;
}
