// Int8 convolution for quantized inference (TFLite's integer scheme):
// asymmetric int8 input (zero point zp_in), symmetric per-output-channel int8
// weights, int32 bias, int32 accumulation, then each channel's real
// multiplier (input scale × weight scale / output scale), rounding half away
// from zero, the output zero point and a clamp. NHWC in and out, weights
// [filters][kh][kw][c]; padding reads the input zero point (real 0).
#include "fovea_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void fovea_q8_conv(const int8_t *x, long n, long h, long w, long c, int zp_in,
                   const int8_t *weights, const int32_t *bias, long kh, long kw, long stride,
                   long pad_top, long pad_left, long out_h, long out_w, long filters,
                   const double *multiplier, int zp_out, int qmin, int qmax, int8_t *y) {
    const long k = kh * kw * c;
    int16_t *patch = malloc(sizeof(int16_t) * (size_t)k);
    for (long img = 0; img < n; img++) {
        const int8_t *xi = x + img * h * w * c;
        for (long oy = 0; oy < out_h; oy++) {
            for (long ox = 0; ox < out_w; ox++) {
                long p = 0;
                for (long ky = 0; ky < kh; ky++) {
                    long iy = oy * stride + ky - pad_top;
                    for (long kx = 0; kx < kw; kx++) {
                        long ix = ox * stride + kx - pad_left;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                            memset(patch + p, 0, sizeof(int16_t) * (size_t)c);
                        } else {
                            const int8_t *src = xi + (iy * w + ix) * c;
                            for (long ch = 0; ch < c; ch++) patch[p + ch] = (int16_t)(src[ch] - zp_in);
                        }
                        p += c;
                    }
                }
                int8_t *out = y + ((img * out_h + oy) * out_w + ox) * filters;
                for (long f = 0; f < filters; f++) {
                    const int8_t *wf = weights + f * k;
                    int32_t acc = 0;
                    for (long i = 0; i < k; i++) acc += (int32_t)patch[i] * (int32_t)wf[i];
                    acc += bias[f];
                    double v = round((double)acc * multiplier[f]) + zp_out;
                    if (v < qmin) v = qmin;
                    if (v > qmax) v = qmax;
                    out[f] = (int8_t)v;
                }
            }
        }
    }
    free(patch);
}
