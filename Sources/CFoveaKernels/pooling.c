// 2x2 max pooling with stride 2 and no padding (the pooling of nearly every
// classic CNN), forward and backward, 16 channels per vector.
#include "fovea_kernels.h"
#include "vector.h"
#include <string.h>


typedef int v16i __attribute__((vector_size(64)));

// b where mask, else a (mask lanes all ones or all zeros). A macro: vector
// arguments of a shared helper would change ABI between the clones.
#define select16(mask, b, a) ((v16)((((v16i)(b)) & (mask)) | (((v16i)(a)) & ~(mask))))

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
        // Rows and columns no window covers (odd sizes) get zero.
        for (int iy = 2 * out_h; iy < in_h; iy++) memset(di + (size_t)iy * row, 0, row * sizeof(float));
        if (2 * out_w < in_w)
            for (int iy = 0; iy < 2 * out_h; iy++)
                memset(di + (size_t)iy * row + (size_t)(2 * out_w) * c, 0,
                       (size_t)(in_w - 2 * out_w) * c * sizeof(float));
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
