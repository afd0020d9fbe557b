// 2x2 max pooling with stride 2 and no padding (the pooling of nearly every
// classic CNN), forward and backward, 16 channels per vector.
#include "fovea_kernels.h"
#include "vector.h"
#include <string.h>


typedef int v16i __attribute__((vector_size(64)));

// b where mask, else a (mask lanes all ones or all zeros). A macro: vector
// arguments of a shared helper would change ABI between the clones.
#define select16(mask, b, a) ((v16)((((v16i)(b)) & (mask)) | (((v16i)(a)) & ~(mask))))

// Rows and columns of one image's input gradient that no window covers
// (odd sizes) get zero.
INLINE void clear_uncovered(float *di, int in_h, int in_w, int c, int out_h, int out_w) {
    const size_t row = (size_t)in_w * c;
    for (int iy = 2 * out_h; iy < in_h; iy++) memset(di + (size_t)iy * row, 0, row * sizeof(float));
    if (2 * out_w < in_w)
        for (int iy = 0; iy < 2 * out_h; iy++)
            memset(di + (size_t)iy * row + (size_t)(2 * out_w) * c, 0, (size_t)(in_w - 2 * out_w) * c * sizeof(float));
}

CLONES
void fovea_maxpool2x2_forward(const float *restrict x, int images, int in_h, int in_w, int c,
                              int out_h, int out_w, float *restrict y) {
    const size_t row = (size_t)in_w * c;
    const int vend = c & ~15;
    for (int n = 0; n < images; n++) {
        const float *xi = x + (size_t)n * in_h * row;
        float *yi = y + (size_t)n * out_h * out_w * c;
        for (int oy = 0; oy < out_h; oy++) {
            for (int ox = 0; ox < out_w; ox++) {
                const float *a = xi + (size_t)(2 * oy) * row + (size_t)(2 * ox) * c;
                const float *b = a + c, *cc = a + row, *d = cc + c;
                float *out = yi + ((size_t)oy * out_w + ox) * c;
                // The same comparisons as MaxPooling2D's Swift loops: a later
                // cell wins only when strictly greater.
                for (int j = 0; j < vend; j += 16) {
                    const v16 va = LOAD(a + j), vb = LOAD(b + j), vc = LOAD(cc + j), vd = LOAD(d + j);
                    const v16 ab = select16(vb > va, vb, va), cd = select16(vd > vc, vd, vc);
                    STORE(out + j, select16(cd > ab, cd, ab));
                }
                for (int j = vend; j < c; j++) {
                    const float ab = b[j] > a[j] ? b[j] : a[j], cd = d[j] > cc[j] ? d[j] : cc[j];
                    out[j] = cd > ab ? cd : ab;
                }
            }
        }
    }
}

CLONES
void fovea_maxpool2x2_backward(const float *restrict x, const float *restrict y, const float *restrict grad,
                               int images, int in_h, int in_w, int c, int out_h, int out_w,
                               float *restrict dx) {
    const size_t row = (size_t)in_w * c;
    const int vend = c & ~15;
    for (int n = 0; n < images; n++) {
        const float *xi = x + (size_t)n * in_h * row;
        float *di = dx + (size_t)n * in_h * row;
        const float *yi = y + (size_t)n * out_h * out_w * c, *gi = grad + (size_t)n * out_h * out_w * c;
        clear_uncovered(di, in_h, in_w, c, out_h, out_w);
        for (int oy = 0; oy < out_h; oy++) {
            for (int ox = 0; ox < out_w; ox++) {
                const size_t at = (size_t)(2 * oy) * row + (size_t)(2 * ox) * c;
                const float *a = xi + at, *b = a + c, *cc = a + row, *d = cc + c;
                float *da = di + at, *db = da + c, *dc = da + row, *dd = dc + c;
                const float *best = yi + ((size_t)oy * out_w + ox) * c, *g = gi + ((size_t)oy * out_w + ox) * c;
                // The gradient goes to the first cell (row-major) equal to the maximum.
                for (int j = 0; j < vend; j += 16) {
                    const v16 m = LOAD(best + j), gv = LOAD(g + j), zero = {0};
                    const v16i ha = LOAD(a + j) == m;
                    const v16i hb = (LOAD(b + j) == m) & ~ha;
                    const v16i hc = (LOAD(cc + j) == m) & ~(ha | hb);
                    const v16i hd = (LOAD(d + j) == m) & ~(ha | hb | hc);
                    STORE(da + j, select16(ha, gv, zero));
                    STORE(db + j, select16(hb, gv, zero));
                    STORE(dc + j, select16(hc, gv, zero));
                    STORE(dd + j, select16(hd, gv, zero));
                }
                for (int j = vend; j < c; j++) {
                    const float m = best[j];
                    float pending = g[j];
                    da[j] = a[j] == m ? pending : 0; if (a[j] == m) pending = 0;
                    db[j] = b[j] == m ? pending : 0; if (b[j] == m) pending = 0;
                    dc[j] = cc[j] == m ? pending : 0; if (cc[j] == m) pending = 0;
                    dd[j] = d[j] == m ? pending : 0;
                }
            }
        }
    }
}

// The forward above that also records, for every output value, which cell
// of its window the backward would route the gradient to: the first cell
// (row-major: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right) equal
// to the maximum, or 4 when none is (a NaN window), as in
// fovea_maxpool2x2_backward. A training step can then keep these bytes
// instead of the whole input of the pooling.
CLONES
void fovea_maxpool2x2_forward_index(const float *restrict x, int images, int in_h, int in_w, int c,
                                    int out_h, int out_w, float *restrict y, unsigned char *restrict index) {
    typedef unsigned char v16b __attribute__((vector_size(16)));
    typedef unsigned char v16bu __attribute__((vector_size(16), aligned(1)));
    const size_t row = (size_t)in_w * c;
    const int vend = c & ~15;
    for (int n = 0; n < images; n++) {
        const float *xi = x + (size_t)n * in_h * row;
        float *yi = y + (size_t)n * out_h * out_w * c;
        unsigned char *ki = index + (size_t)n * out_h * out_w * c;
        for (int oy = 0; oy < out_h; oy++) {
            for (int ox = 0; ox < out_w; ox++) {
                const float *a = xi + (size_t)(2 * oy) * row + (size_t)(2 * ox) * c;
                const float *b = a + c, *cc = a + row, *d = cc + c;
                const size_t o = ((size_t)oy * out_w + ox) * c;
                for (int j = 0; j < vend; j += 16) {
                    const v16 va = LOAD(a + j), vb = LOAD(b + j), vc = LOAD(cc + j), vd = LOAD(d + j);
                    const v16 ab = select16(vb > va, vb, va), cd = select16(vd > vc, vd, vc);
                    const v16 m = select16(cd > ab, cd, ab);
                    STORE(yi + o + j, m);
                    const v16i ha = va == m, hb = vb == m, hc = vc == m, hd = vd == m;
                    // The first equal cell: fill in from the last one back.
                    const v16i none = (v16i){0} + 4;
                    v16i k = (hd & 3) | (~hd & none);
                    k = (hc & 2) | (~hc & k);
                    k = (hb & 1) | (~hb & k);
                    k = ~ha & k;
                    *(v16bu *)(ki + o + j) = __builtin_convertvector(k, v16b);
                }
                for (int j = vend; j < c; j++) {
                    const float ab = b[j] > a[j] ? b[j] : a[j], cd = d[j] > cc[j] ? d[j] : cc[j];
                    const float m = cd > ab ? cd : ab;
                    yi[o + j] = m;
                    ki[o + j] = a[j] == m ? 0 : b[j] == m ? 1 : cc[j] == m ? 2 : d[j] == m ? 3 : 4;
                }
            }
        }
    }
}

// dx = each gradient value on the cell `index` names in its window, zero
// elsewhere (uncovered rows and columns included): what
// fovea_maxpool2x2_backward gives for the input those indices were taken from.
CLONES
void fovea_maxpool2x2_scatter(const float *restrict grad, const unsigned char *restrict index, int images,
                              int in_h, int in_w, int c, int out_h, int out_w, float *restrict dx) {
    typedef unsigned char v16b __attribute__((vector_size(16)));
    typedef unsigned char v16bu __attribute__((vector_size(16), aligned(1)));
    const size_t row = (size_t)in_w * c;
    const int vend = c & ~15;
    for (int n = 0; n < images; n++) {
        float *di = dx + (size_t)n * in_h * row;
        const float *gi = grad + (size_t)n * out_h * out_w * c;
        const unsigned char *ki = index + (size_t)n * out_h * out_w * c;
        clear_uncovered(di, in_h, in_w, c, out_h, out_w);
        for (int oy = 0; oy < out_h; oy++) {
            for (int ox = 0; ox < out_w; ox++) {
                float *da = di + (size_t)(2 * oy) * row + (size_t)(2 * ox) * c;
                float *db = da + c, *dc = da + row, *dd = dc + c;
                const size_t o = ((size_t)oy * out_w + ox) * c;
                for (int j = 0; j < vend; j += 16) {
                    const v16i k = __builtin_convertvector(*(const v16bu *)(ki + o + j), v16i);
                    const v16 g = LOAD(gi + o + j), zero = {0};
                    STORE(da + j, select16(k == 0, g, zero));
                    STORE(db + j, select16(k == 1, g, zero));
                    STORE(dc + j, select16(k == 2, g, zero));
                    STORE(dd + j, select16(k == 3, g, zero));
                }
                for (int j = vend; j < c; j++) {
                    const float g = gi[o + j];
                    const int k = ki[o + j];
                    da[j] = k == 0 ? g : 0;
                    db[j] = k == 1 ? g : 0;
                    dc[j] = k == 2 ? g : 0;
                    dd[j] = k == 3 ? g : 0;
                }
            }
        }
    }
}
