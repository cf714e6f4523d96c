// The attention chunk kernel (attend.h) at the AVX2 level (AVX2 + FMA +
// F16C), one head at a time; the AVX-512 level has its own, attend_avx512.cpp.
// Every system header comes before the target pragma.
#include "cpu/kernels/attend.h"
#include "cpu/kernels/blocks.h"

#include "cpu/kernels/isa_target.h"

#include <immintrin.h>

#include <cmath>
#include <cstring>

LOOM_ISA_BEGIN("avx2,fma,f16c")

namespace loom::cpu {
namespace {

#include "cpu/kernels/x86_common.h"

#include "cpu/kernels/x86_exp.h"

#include "cpu/kernels/attend_impl.h"

// d is a multiple of 8 (the op checks head_dim % 8 == 0 before choosing
// this level; kv_type Q8_0 implies d % 32 == 0).
struct X86Ops : PerHead<X86Ops> {
    static void widen(loom_type type, const uint8_t *src, float *dst, int d) {
        if (type == LOOM_TYPE_F32) {
            std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(d));
        } else if (type == LOOM_TYPE_F16) {
            for (int i = 0; i < d; i += 8)
                _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(src + 2 * i))));
        } else {   // Q8_0
            const auto *b = reinterpret_cast<const BlockQ8_0 *>(src);
            for (int i = 0; i < d; i += kQK, ++b) {
                const __m256 s = _mm256_set1_ps(half(b->d));
                for (int j = 0; j < kQK; j += 8) {
                    const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(b->qs + j));
                    _mm256_storeu_ps(dst + i + j, _mm256_mul_ps(s, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q))));
                }
            }
        }
    }
    // Eight cells at a time: one accumulator per cell over d, then one
    // transpose-and-add of the eight into a vector of their sums (instead
    // of a horizontal sum per cell).
    static float head_scores(const float *q, const float *k, int n, int d, size_t ld, float scale, const float *mask,
                             float *s) {
        const __m256 neg_inf = _mm256_set1_ps(-INFINITY), sv = _mm256_set1_ps(scale);
        __m256 mx = neg_inf;
        int c = 0;
        for (; c + 8 <= n; c += 8) {
            __m256 acc[8];
            for (int r = 0; r < 8; r++) acc[r] = _mm256_setzero_ps();
            const float *kc = k + static_cast<size_t>(c) * ld;
            for (int i = 0; i < d; i += 8) {
                const __m256 qv = _mm256_loadu_ps(q + i);
                for (int r = 0; r < 8; r++)
                    acc[r] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kc + static_cast<size_t>(r) * ld + i), acc[r]);
            }
            const __m256 m = _mm256_loadu_ps(mask + c);
            const __m256 v = _mm256_blendv_ps(_mm256_fmadd_ps(sum8(acc), sv, m), neg_inf,
                                              _mm256_cmp_ps(m, neg_inf, _CMP_EQ_OQ));
            _mm256_storeu_ps(s + c, v);
            mx = _mm256_max_ps(mx, v);
        }
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        float best = _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
        for (; c < n; c++) {
            s[c] = mask[c] == -INFINITY ? -INFINITY : scale * dot(q, k + static_cast<size_t>(c) * ld, d) + mask[c];
            best = s[c] > best ? s[c] : best;
        }
        return best;
    }
    // Lane r = the sum of a[r]'s lanes.
    static __m256 sum8(const __m256 a[8]) {
        const __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
        const __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
        return _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20), _mm256_permute2f128_ps(s0123, s4567, 0x31));
    }
    static float dot(const float *a, const float *b, int d) {
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        int i = 0;
        for (; i + 16 <= d; i += 16) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        }
        if (i < d) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        return hsum(_mm256_add_ps(s0, s1));
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
    // 64 outputs at a time held in 8 registers across the block's cells.
    static void head_weighted_sum(const float *p, const float *v, int n, int d, size_t ld, float *y) {
        int j = 0;
        for (; j + 64 <= d; j += 64) {
            __m256 acc[8];
            for (int r = 0; r < 8; r++) acc[r] = _mm256_loadu_ps(y + j + 8 * r);
            for (int c = 0; c < n; c++) {
                if (p[c] == 0.0f) continue;
                const __m256 pv = _mm256_set1_ps(p[c]);
                const float *vc = v + static_cast<size_t>(c) * ld + j;
                for (int r = 0; r < 8; r++) acc[r] = _mm256_fmadd_ps(pv, _mm256_loadu_ps(vc + 8 * r), acc[r]);
            }
            for (int r = 0; r < 8; r++) _mm256_storeu_ps(y + j + 8 * r, acc[r]);
        }
        if (j < d)
            for (int c = 0; c < n; c++)
                if (p[c] != 0.0f) axpy(p[c], v + static_cast<size_t>(c) * ld + j, y + j, d - j);
    }
    static float exp_sum(float *s, int n, float m) {
        const __m256 mv = _mm256_set1_ps(m);
        __m256 sum = _mm256_setzero_ps();
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(s + i), mv));
            _mm256_storeu_ps(s + i, e);
            sum = _mm256_add_ps(sum, e);
        }
        float total = hsum(sum);
        for (; i < n; i++) total += s[i] = std::exp(s[i] - m);
        return total;
    }
};

} // namespace

void attend_chunk_avx2(const AttendChunk &a) { attend_chunk<X86Ops>(a); }

} // namespace loom::cpu

LOOM_ISA_END
