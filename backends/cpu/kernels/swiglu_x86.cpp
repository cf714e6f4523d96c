// The SwiGLU row at the x86 levels (AVX2 + FMA, shared by the AVX-512
// level). Every system header comes before the target pragma.
#include "cpu/kernels/swiglu.h"

#include "cpu/kernels/isa_target.h"

#include <immintrin.h>

#include <cmath>

LOOM_ISA_BEGIN("avx2,fma,f16c")

namespace loom::cpu {
namespace {

#include "cpu/kernels/x86_exp.h"

} // namespace

// sigmoid(x) from e = exp(-|x|) <= 1, which never overflows:
// 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0.
void swiglu_avx2(const float *g, const float *u, float *y, int64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(g + i);
        const __m256 e = exp_nonpositive(_mm256_or_ps(x, sign));
        const __m256 s = _mm256_div_ps(_mm256_blendv_ps(one, e, x), _mm256_add_ps(one, e));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(x, s), _mm256_loadu_ps(u + i)));
    }
    for (; i < n; i++) y[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

} // namespace loom::cpu

LOOM_ISA_END
