// The attention chunk kernel (attend.h) at the AVX-512 level: 16-lane
// vectors, 32 registers, and the heads of a GQA group (6-7 for Qwen2) served
// by one load of each key and value row instead of one load per head.
//
// Scores: the block's keys are transposed once into kt [d][kAttendBlock]
// (16x16 in-register transposes, about 4 shuffles per 16 values, widening
// f16 / q8_0 on the way; a prompt's widened copy comes packed by the op,
// attend_key_packer), so a head's 32 scores are two 16-lane accumulators fed
// by a broadcast of q[h][i] per key column: no horizontal sums, and masking,
// scaling and the max work on whole vectors. Up to 8 heads at a time (16
// accumulators + 2 key vectors) share each kt row.
// Values: every head's output slice of 32 floats (2 registers) for up to 8
// heads (16 accumulators) stays in registers across the block's cells, each
// value slice loaded once for those heads (attend_bench: 5-15% less CPU
// time than 4 heads x 64 floats, which loads each value twice for a group
// of 6 or 7).
// d % 16 == 8 (d is a multiple of 8 here) is a masked last vector.
// Every system header comes before the target pragma.
#include "cpu/kernels/attend.h"
#include "cpu/kernels/blocks.h"

#include "cpu/kernels/isa_target.h"

#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

LOOM_AVX512_BEGIN("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl")

namespace loom::cpu {
namespace {

#include "cpu/kernels/x86_common.h"

#include "cpu/kernels/x86_exp.h"
#include "cpu/kernels/x86_exp512.h"

#include "cpu/kernels/attend_impl.h"
#include "cpu/kernels/x86_transpose16.h"

constexpr int kScoreHeads = 8;   // heads per pass over kt: 2 x 8 accumulators
constexpr int kValueHeads = 8;   // heads per pass over the values: 8 x 2 accumulators
constexpr int kValueVecs = 2;    // 16-lane vectors per output slice

// The first n lanes.
inline __mmask16 lanes(int n) {
    return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n > 0 ? n : 0)) - 1u);
}

// kt[i][c] = k[c][i] for the block's cells c < n that are not masked; 0 in
// the lanes of the others below 16 * ceil(n / 16) (their rows are never
// read), nothing written above (score_heads reads no lane past n).
// load(row, j0, cols) widens values j0 .. j0 + cols of a cache row (cols <=
// 16; zeros beyond).
template <class Load>
void pack_block(Load load, const uint8_t *k, size_t stride, int n, const float *mask, int d, float *kt) {
    for (int c0 = 0; c0 < n; c0 += 16) {
        unsigned live = 0;
        for (int r = 0; r < 16 && c0 + r < n; r++)
            if (mask[c0 + r] != -INFINITY) live |= 1u << r;
        for (int i0 = 0; i0 < d; i0 += 16) {
            const int w = d - i0 < 16 ? d - i0 : 16;
            __m512 r[16];
            for (int j = 0; j < 16; j++)
                r[j] = (live >> j) & 1 ? load(k + static_cast<size_t>(c0 + j) * stride, i0, w) : _mm512_setzero_ps();
            transpose16(r);
            for (int j = 0; j < w; j++) _mm512_store_ps(kt + static_cast<size_t>(i0 + j) * kAttendBlock + c0, r[j]);
        }
    }
}

// pack_block's loads per cache type (types, not functions, so they inline).
struct LoadF32 {
    __m512 operator()(const uint8_t *row, int j0, int cols) const {
        return _mm512_maskz_loadu_ps(lanes(cols), reinterpret_cast<const float *>(row) + j0);
    }
};
struct LoadF16 {
    __m512 operator()(const uint8_t *row, int j0, int cols) const {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(lanes(cols), reinterpret_cast<const uint16_t *>(row) + j0));
    }
};
struct LoadQ8_0 {   // cols is 16: d % 32 == 0
    __m512 operator()(const uint8_t *row, int j0, int /*cols*/) const {
        const auto *b = reinterpret_cast<const BlockQ8_0 *>(row) + j0 / kQK;
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b->qs + j0 % kQK));
        return _mm512_mul_ps(_mm512_set1_ps(half(b->d)), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)));
    }
};

// Scores of H heads against the 32 cells of kt (row i at kt + i*ldt; lanes
// outside `live` read as 0), then mask / scale / max.
template <int H>
void score_heads(const float *q, int d, const float *kt, size_t ldt, const __mmask16 live[2], float scale,
                 const __m512 m[2], float *s, float *best) {
    __m512 acc[H][2];
    for (int h = 0; h < H; h++) acc[h][0] = acc[h][1] = _mm512_setzero_ps();
    for (int i = 0; i < d; i++) {
        const __m512 k0 = _mm512_maskz_loadu_ps(live[0], kt + static_cast<size_t>(i) * ldt);
        const __m512 k1 = _mm512_maskz_loadu_ps(live[1], kt + static_cast<size_t>(i) * ldt + 16);
        for (int h = 0; h < H; h++) {
            const __m512 qv = _mm512_set1_ps(q[static_cast<size_t>(h) * d + i]);
            acc[h][0] = _mm512_fmadd_ps(qv, k0, acc[h][0]);
            acc[h][1] = _mm512_fmadd_ps(qv, k1, acc[h][1]);
        }
    }
    const __m512 neg_inf = _mm512_set1_ps(-INFINITY), sv = _mm512_set1_ps(scale);
    for (int h = 0; h < H; h++) {
        __m512 mx = neg_inf;
        for (int x = 0; x < 2; x++) {
            const __mmask16 dead = _mm512_cmp_ps_mask(m[x], neg_inf, _CMP_EQ_OQ);
            const __m512 v = _mm512_mask_blend_ps(dead, _mm512_fmadd_ps(acc[h][x], sv, m[x]), neg_inf);
            _mm512_storeu_ps(s + h * kAttendBlock + 16 * x, v);
            mx = _mm512_max_ps(mx, v);
        }
        best[h] = _mm512_reduce_max_ps(mx);
    }
}

// out[h] (+)= the H heads' weighted rows of v over the block's live cells,
// for R vectors of output (the last one `last` lanes).
template <int H, int R>
void sum_values(const float *p, const float *v, int n, size_t ld, const float *mask, float *y, int d,
                __mmask16 last) {
    __m512 acc[H][R];
    for (int h = 0; h < H; h++) {
        for (int r = 0; r + 1 < R; r++) acc[h][r] = _mm512_loadu_ps(y + static_cast<size_t>(h) * d + 16 * r);
        acc[h][R - 1] = _mm512_maskz_loadu_ps(last, y + static_cast<size_t>(h) * d + 16 * (R - 1));
    }
    for (int c = 0; c < n; c++) {
        if (mask[c] == -INFINITY) continue;
        const float *vc = v + static_cast<size_t>(c) * ld;
        __m512 x[R];
        for (int r = 0; r + 1 < R; r++) x[r] = _mm512_loadu_ps(vc + 16 * r);
        x[R - 1] = _mm512_maskz_loadu_ps(last, vc + 16 * (R - 1));
        for (int h = 0; h < H; h++) {
            const __m512 pv = _mm512_set1_ps(p[h * kAttendBlock + c]);
            for (int r = 0; r < R; r++) acc[h][r] = _mm512_fmadd_ps(pv, x[r], acc[h][r]);
        }
    }
    for (int h = 0; h < H; h++) {
        for (int r = 0; r + 1 < R; r++) _mm512_storeu_ps(y + static_cast<size_t>(h) * d + 16 * r, acc[h][r]);
        _mm512_mask_storeu_ps(y + static_cast<size_t>(h) * d + 16 * (R - 1), last, acc[h][R - 1]);
    }
}

// A slice of w <= 16 * kValueVecs outputs (the last one of d % 32 != 0 is
// 8, 16 or 24 wide).
template <int H>
void sum_values_slice(const float *p, const float *v, int n, size_t ld, const float *mask, float *y, int d, int w) {
    static_assert(kValueVecs == 2, "one case per slice width in vectors");
    const __mmask16 last = lanes(w - 16 * ((w - 1) / 16));
    if (w > 16) sum_values<H, 2>(p, v, n, ld, mask, y, d, last);
    else sum_values<H, 1>(p, v, n, ld, mask, y, d, last);
}

// Splits g heads into the fewest tiles of at most `most`, sizes as even as
// possible (at most 8: 14 -> 7 + 7, 12 -> 6 + 6 rather than 8 + 4).
template <class F>
void head_tiles(int g, int most, F &&f) {
    const int tiles = (g + most - 1) / most;
    for (int t = 0, h = 0; t < tiles; t++) {
        const int size = (g - h) / (tiles - t);
        f(h, size);
        h += size;
    }
}

// d is a multiple of 8 (the op checks head_dim % 8 == 0 before choosing
// this level; kv_type Q8_0 implies d % 32 == 0).
struct Avx512Ops {
    static constexpr bool kPacksKeys = true;
    static const float *pack_keys(loom_type type, const uint8_t *k, size_t stride, int n, const float *mask, int d,
                                  float *spare) {
        float *kt = reinterpret_cast<float *>((reinterpret_cast<uintptr_t>(spare) + 63) & ~uintptr_t(63));
        if (type == LOOM_TYPE_F32) pack_block(LoadF32{}, k, stride, n, mask, d, kt);
        else if (type == LOOM_TYPE_F16) pack_block(LoadF16{}, k, stride, n, mask, d, kt);
        else pack_block(LoadQ8_0{}, k, stride, n, mask, d, kt);
        return kt;
    }
    static void widen(loom_type type, const uint8_t *src, float *dst, int d) {
        if (type == LOOM_TYPE_F32) {
            std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(d));
        } else if (type == LOOM_TYPE_F16) {
            int i = 0;
            for (; i + 16 <= d; i += 16)
                _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(src + 2 * i))));
            if (i < d)
                _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(src + 2 * i))));
        } else {   // Q8_0
            const auto *b = reinterpret_cast<const BlockQ8_0 *>(src);
            for (int i = 0; i < d; i += kQK, ++b) {
                const __m512 s = _mm512_set1_ps(half(b->d));
                for (int j = 0; j < kQK; j += 16) {
                    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b->qs + j));
                    _mm512_storeu_ps(dst + i + j, _mm512_mul_ps(s, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q))));
                }
            }
        }
    }
    // kt: packed by the op once for all its rows (a prompt's widened copy),
    // or by pack_keys for this block.
    static void scores(const float *q, int g, const float * /*k*/, const float *kt, int n, int d, size_t /*ld*/,
                       size_t kt_ld, float scale, const float *mask, float *s, float *best) {
        const __mmask16 live[2] = {lanes(n), lanes(n - 16)};
        const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
        const __m512 m[2] = {_mm512_mask_loadu_ps(neg_inf, live[0], mask), _mm512_mask_loadu_ps(neg_inf, live[1], mask + 16)};
        head_tiles(g, kScoreHeads, [&](int h, int size) {
            const float *qh = q + static_cast<size_t>(h) * d;
            float *sh = s + h * kAttendBlock;
            switch (size) {
            case 1: score_heads<1>(qh, d, kt, kt_ld, live, scale, m, sh, best + h); break;
            case 2: score_heads<2>(qh, d, kt, kt_ld, live, scale, m, sh, best + h); break;
            case 3: score_heads<3>(qh, d, kt, kt_ld, live, scale, m, sh, best + h); break;
            case 4: score_heads<4>(qh, d, kt, kt_ld, live, scale, m, sh, best + h); break;
            case 5: score_heads<5>(qh, d, kt, kt_ld, live, scale, m, sh, best + h); break;
            case 6: score_heads<6>(qh, d, kt, kt_ld, live, scale, m, sh, best + h); break;
            case 7: score_heads<7>(qh, d, kt, kt_ld, live, scale, m, sh, best + h); break;
            default: score_heads<8>(qh, d, kt, kt_ld, live, scale, m, sh, best + h); break;
            }
        });
    }
    // All kAttendBlock lanes: the scores past n are -inf, so their weights are 0.
    static float exp_sum(float *s, int /*n*/, float m) {
        const __m512 mv = _mm512_set1_ps(m);
        const __m512 e0 = exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(s), mv));
        const __m512 e1 = exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(s + 16), mv));
        _mm512_storeu_ps(s, e0);
        _mm512_storeu_ps(s + 16, e1);
        return _mm512_reduce_add_ps(_mm512_add_ps(e0, e1));
    }
    static void scale(float *y, float f, int d) {
        const __m512 fv = _mm512_set1_ps(f);
        int i = 0;
        for (; i + 16 <= d; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(fv, _mm512_loadu_ps(y + i)));
        if (i < d) _mm512_mask_storeu_ps(y + i, lanes(d - i), _mm512_mul_ps(fv, _mm512_maskz_loadu_ps(lanes(d - i), y + i)));
    }
    static void weighted_sum(const float *p, int g, const float *v, int n, int d, size_t ld, const float *mask, float *y) {
        head_tiles(g, kValueHeads, [&](int h, int size) {
            for (int j = 0; j < d; j += 16 * kValueVecs) {
                const int w = d - j < 16 * kValueVecs ? d - j : 16 * kValueVecs;
                const float *ph = p + h * kAttendBlock;
                float *yh = y + static_cast<size_t>(h) * d + j;
                switch (size) {
                case 1: sum_values_slice<1>(ph, v + j, n, ld, mask, yh, d, w); break;
                case 2: sum_values_slice<2>(ph, v + j, n, ld, mask, yh, d, w); break;
                case 3: sum_values_slice<3>(ph, v + j, n, ld, mask, yh, d, w); break;
                case 4: sum_values_slice<4>(ph, v + j, n, ld, mask, yh, d, w); break;
                case 5: sum_values_slice<5>(ph, v + j, n, ld, mask, yh, d, w); break;
                case 6: sum_values_slice<6>(ph, v + j, n, ld, mask, yh, d, w); break;
                case 7: sum_values_slice<7>(ph, v + j, n, ld, mask, yh, d, w); break;
                default: sum_values_slice<8>(ph, v + j, n, ld, mask, yh, d, w); break;
                }
            }
        });
    }
};

} // namespace

void attend_chunk_avx512(const AttendChunk &a) { attend_chunk<Avx512Ops>(a); }

void attend_pack_keys_avx512(const float *k, int n, int w, size_t ld, float *kt, size_t ldt) {
    const __mmask16 cells = lanes(n);
    for (int j0 = 0; j0 < w; j0 += 16) {
        const int cols = w - j0 < 16 ? w - j0 : 16;
        __m512 r[16];
        for (int c = 0; c < 16; c++)
            r[c] = _mm512_maskz_loadu_ps(c < n ? lanes(cols) : 0, k + static_cast<size_t>(c) * ld + j0);
        transpose16(r);
        for (int j = 0; j < cols; j++) _mm512_mask_storeu_ps(kt + static_cast<size_t>(j0 + j) * ldt, cells, r[j]);
    }
}

} // namespace loom::cpu

LOOM_AVX512_END
