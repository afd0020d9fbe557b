// Reports the instruction set the multi-versioned kernels run with, and
// keeps the per-thread flag FoveaEngine's parallelFor uses to run nested
// loops inline.
#include "fovea_kernels.h"

const char *fovea_kernels_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
#endif
    return "generic";
}

static _Thread_local int parallel_depth;

int fovea_parallel_depth(void) { return parallel_depth; }
void fovea_set_parallel_depth(int depth) { parallel_depth = depth; }
