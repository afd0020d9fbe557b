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

// ---- Direct convolution (direct_conv.c): stride 1, few input channels ----
// NHWC x (images x in_h x in_w x in_c), kernel [kh][kw][in_c][filters],
// y (images x out_h x out_w x filters); zero padding pad_top/pad_left.

/// y = conv(x, kernel) + bias (bias may be NULL), then max(0, .) if relu != 0.
void fovea_conv_direct_forward(const float *x, int images, int in_h, int in_w, int in_c,
                               const float *kernel, int kh, int kw, int filters,
                               int pad_top, int pad_left, int out_h, int out_w,
                               const float *bias, int relu, float *y);

/// kernel_grad += dLoss/dKernel and bias_grad += dLoss/dBias (may be NULL)
/// for output gradient `grad` (images x out_h x out_w x filters).
void fovea_conv_direct_filter_grad(const float *x, int images, int in_h, int in_w, int in_c,
                                   const float *grad, int kh, int kw, int filters,
                                   int pad_top, int pad_left, int out_h, int out_w,
                                   float *kernel_grad, float *bias_grad);

#ifdef __cplusplus
}
#endif
#endif
