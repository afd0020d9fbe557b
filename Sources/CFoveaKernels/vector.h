// Shared by the kernels' C files (private to CFoveaKernels).
#ifndef FOVEA_KERNELS_VECTOR_H
#define FOVEA_KERNELS_VECTOR_H

// Each kernel is compiled three times, x86-64-v4 (AVX-512 F, BW, CD, DQ, VL),
// x86-64-v3 (AVX2 + FMA) and baseline x86-64; the loader picks the clone
// the CPU runs.
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define INLINE static inline __attribute__((always_inline))

// GCC/Clang vector extension: one AVX-512 register in the x86-64-v4 clone,
// two AVX2 or four SSE registers in the others. Vectors cross helpers only
// inlined (INLINE) or by pointer: by value their ABI would differ between
// the clones. LOAD/STORE take any float address.
typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
#define LOAD(p) (*(const v16u *)(p))
#define STORE(p, v) (*(v16u *)(p) = (v))

#endif
