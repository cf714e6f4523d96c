// The SwiGLU row at the AVX-512 level: swiglu_x86.cpp's steps over 16
// lanes (exp_nonpositive of x86_exp512.h has the AVX2 constants and steps,
// the division and products are IEEE), so both levels give the same floats
// lane for lane. Every system header comes before the target pragma.
#include "cpu/kernels/swiglu.h"

#include "cpu/kernels/isa_target.h"

#include <immintrin.h>

#include <cmath>

LOOM_AVX512_BEGIN("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl")

namespace loom::cpu {
namespace {

#include "cpu/kernels/x86_exp.h"
#include "cpu/kernels/x86_exp512.h"

} // namespace

// sigmoid(x) from e = exp(-|x|) <= 1 (swiglu_x86.cpp); the tail is one
// masked vector.
void swiglu_avx512(const float *g, const float *u, float *y, int64_t n) {
    const __m512 one = _mm512_set1_ps(1.0f), sign = _mm512_set1_ps(-0.0f);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
        const __m512 x = _mm512_maskz_loadu_ps(m, g + i);
        const __m512 e = exp_nonpositive(_mm512_or_ps(x, sign));
        const __mmask16 neg = _mm512_movepi32_mask(_mm512_castps_si512(x));   // the sign bit, as blendv reads it
        const __m512 s = _mm512_div_ps(_mm512_mask_blend_ps(neg, one, e), _mm512_add_ps(one, e));
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_mul_ps(x, s), _mm512_maskz_loadu_ps(m, u + i)));
    }
}

} // namespace loom::cpu

LOOM_AVX512_END
