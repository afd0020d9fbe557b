// Optimizer updates over a parameter's values: memory-bound loops, written
// once here so each element is read and written in a single pass.
#include "fovea_kernels.h"
#include "vector.h"


CLONES
void fovea_adam_update(float *restrict w, const float *restrict g, float *restrict m, float *restrict v, size_t n,
                       float beta1, float beta2, float alpha, float epsilon) {
    const float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
    for (size_t i = 0; i < n; i++) {
        const float gi = g[i];
        const float mi = beta1 * m[i] + c1 * gi;
        const float vi = beta2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] -= alpha * mi / (__builtin_sqrtf(vi) + epsilon);
    }
}
