// The attention chunk kernel (attend.h) at the x86 levels: AVX2 + FMA +
// F16C, shared by the AVX2 and AVX-512 levels (head_dim slices are 64-128
// values, so 256-bit vectors already cover a slice in a few registers).
// Every system header comes before the target pragma.
#include "cpu/kernels/attend.h"
#include "cpu/kernels/blocks.h"

#include <immintrin.h>

#include <cmath>
#include <cstring>

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

namespace loom::cpu {
namespace {

inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// d is a multiple of 8 (the op checks head_dim % 8 == 0 before choosing
// this level; kv_type Q8_0 implies d % 32 == 0).
struct X86Ops {
    static void widen(loom_type type, const uint8_t *src, float *dst, int d) {
        if (type == LOOM_TYPE_F32) {
            std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(d));
        } else if (type == LOOM_TYPE_F16) {
            for (int i = 0; i < d; i += 8)
                _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(src + 2 * i))));
        } else {   // Q8_0
            const auto *b = reinterpret_cast<const BlockQ8_0 *>(src);
            for (int i = 0; i < d; i += kQK, ++b) {
                const __m256 s = _mm256_set1_ps(_cvtsh_ss(b->d));
                for (int j = 0; j < kQK; j += 8) {
                    const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(b->qs + j));
                    _mm256_storeu_ps(dst + i + j, _mm256_mul_ps(s, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q))));
                }
            }
        }
    }
    static float dot(const float *a, const float *b, int d) {
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        int i = 0;
        for (; i + 16 <= d; i += 16) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        }
        if (i < d) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        return hsum8(_mm256_add_ps(s0, s1));
    }
    static void axpy(float p, const float *x, float *y, int d) {
        const __m256 pv = _mm256_set1_ps(p);
        for (int i = 0; i < d; i += 8)
            _mm256_storeu_ps(y + i, _mm256_fmadd_ps(pv, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    }
    static void scale(float *y, float f, int d) {
        const __m256 fv = _mm256_set1_ps(f);
        for (int i = 0; i < d; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(fv, _mm256_loadu_ps(y + i)));
    }
};

#include "cpu/kernels/attend_impl.h"

} // namespace

void attend_chunk_avx2(const AttendChunk &a) { attend_chunk<X86Ops>(a); }

} // namespace loom::cpu

#pragma GCC pop_options
