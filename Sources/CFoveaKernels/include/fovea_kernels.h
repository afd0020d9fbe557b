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

#ifdef __cplusplus
}
#endif
#endif
