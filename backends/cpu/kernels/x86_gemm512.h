// The prompt (several activation rows) path of the legacy types at the
// avx512 level: 16 weight rows in the 16 int32 lanes of a zmm (included
// inside the level's anonymous namespace, after x86_legacy.h and
// x86_lanes.h).
//
// Once per call (per chunk of blocks) the 16 rows are decoded to SIGNED
// int8 and transposed so that vector t of block b holds bytes 4t..4t+3 of
// every row (DecBlock), with the rows' fp16 scales as floats and
// -128 * sum(w) of each row's block. Activations are read in place and made
// unsigned per broadcast (x ^ 0x80 = x + 128), so vpdpbusd(u8 act, s8 w)
// gives sum(w*x) + 128*sum(w) and the seed cancels the second term exactly.
// Per (activation row, block): 8 dword broadcasts + xors, 8 vpdpbusd for
// all 16 rows, one cvt, one mul, one fma; no horizontal sums. (Copying the
// unsigned activations to a buffer first measured 1.2-1.5x slower.)

struct alignas(64) DecBlock {
    __m512i w[8];  // dword t of the 16 rows' block (signed values)
    __m512i base;  // -128 * sum of the row's 32 values
    __m512 d;      // row scales
    __m512 m;      // row mins (the _1 types)
};

constexpr int kGemmChunk = 32; // blocks decoded per pass (24 KiB of stack)
constexpr int kGemmC = 8;      // activation rows per register tile

// Rows [0, n) of blocks [b0, b0 + nbc) -> dec; rows n..15 are zero.
template <class T>
void decode16(const uint8_t *w, size_t ws, int n, int64_t b0, int nbc, DecBlock *dec) {
    using W = typename T::W;
    for (int b = 0; b < nbc; ++b) {
        __m256i q[16];
        alignas(32) uint16_t dh[16] = {}, mh[16] = {};
        for (int r = 0; r < 16; ++r) {
            if (r >= n) {
                q[r] = _mm256_setzero_si256();
                continue;
            }
            const W &blk = reinterpret_cast<const W *>(w + r * ws)[b0 + b];
            LegacyDec o;
            T::decode(blk, o);
            q[r] = _mm256_sub_epi8(o.q, _mm256_set1_epi8(char(T::kOffsetValue)));
            dh[r] = blk.d;
            if constexpr (T::kHasMin) mh[r] = blk.m;
        }
        transpose8x8(q);
        transpose8x8(q + 8);
        DecBlock &o = dec[b];
        __m512i sum = _mm512_setzero_si512();
        for (int t = 0; t < 8; ++t) {
            o.w[t] = _mm512_inserti64x4(_mm512_zextsi256_si512(q[t]), q[8 + t], 1);
            sum = _mm512_dpbusd_epi32(sum, _mm512_set1_epi8(1), o.w[t]);
        }
        o.base = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sum, 7));
        o.d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i *>(dh)));
        o.m = T::kHasMin ? _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i *>(mh)))
                         : _mm512_setzero_ps();
    }
}

// C activation rows (read in place, made unsigned per broadcast) x the 16
// decoded rows over blocks [0, nbc) of the chunk starting at block b0.
// Stores C accumulators of 16 rows (the lanes in `rows`) to out, adding
// what earlier chunks of the same rows stored when `add`. Shared by the
// legacy and K-quant 16-row tiles.
template <int C>
inline void store16(const __m512 *acc, float *out, size_t os, __mmask16 rows, bool add) {
    for (int c = 0; c < C; ++c) {
        float *o = out + c * os;
        __m512 v = acc[c];
        if (add) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(rows, o));
        _mm512_mask_storeu_ps(o, rows, v);
    }
}

template <class T, int C>
void gemm16_tile(int nbc, const DecBlock *dec, const uint8_t *a, size_t as, int64_t b0, float *out, size_t os,
                 __mmask16 rows, bool add) {
    using A = typename T::A;
    __m512 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
    const __m512i flip = _mm512_set1_epi8(char(0x80));
    for (int b = 0; b < nbc; ++b) {
        const DecBlock &o = dec[b];
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
            const A &x = reinterpret_cast<const A *>(a + c * as)[b0 + b];
            __m512i i = o.base;
#pragma GCC unroll 8
            for (int t = 0; t < 8; ++t) {
                int32_t q; // qs sits at offset 2 of the 34-byte block: no int32 pointer
                __builtin_memcpy(&q, x.qs + 4 * t, 4);
                i = _mm512_dpbusd_epi32(i, _mm512_xor_si512(_mm512_set1_epi32(q), flip), o.w[t]);
            }
            acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(o.d, _mm512_set1_ps(half(x.d))), _mm512_cvtepi32_ps(i), acc[c]);
            if constexpr (T::kHasMin) acc[c] = _mm512_fmadd_ps(o.m, _mm512_set1_ps(half(x.s)), acc[c]);
        }
    }
    store16<C>(acc, out, os, rows, add);
}

// The 16-rows-in-lanes prompt driver of both families. F gives the block
// family: Dec (a decoded block of 16 rows), kValues (values per block),
// kChunk (blocks decoded at once), decode(w, ws, n, b0, nbc, dec) and
// tile<C>(nbc, dec, a, as, b0, out, os, rows, add). Weight rows go 16 at a
// time, their blocks kChunk at a time, and each decoded chunk is dotted
// with every activation row in tiles of kGemmC, then 4, then 1 rows.
template <class F>
void gemm16_rows(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as, int64_t n_act,
                 float *out, size_t os) {
    const int64_t nb = k / F::kValues;
    typename F::Dec dec[F::kChunk];
    for (int64_t r = 0; r < n_rows; r += 16) {
        const int n = n_rows - r < 16 ? int(n_rows - r) : 16;
        const __mmask16 rows = __mmask16((1u << n) - 1);
        for (int64_t b0 = 0; b0 < nb; b0 += F::kChunk) {
            const int nbc = nb - b0 < F::kChunk ? int(nb - b0) : F::kChunk;
            F::decode(w + r * ws, ws, n, b0, nbc, dec);
            for (int64_t j = 0; j < n_act;) {
                const int64_t left = n_act - j;
                const int C = left >= kGemmC ? kGemmC : left >= 4 ? 4 : 1;
                float *o = out + j * os + r;
                if (C == kGemmC) F::template tile<kGemmC>(nbc, dec, a + j * as, as, b0, o, os, rows, b0 > 0);
                else if (C == 4) F::template tile<4>(nbc, dec, a + j * as, as, b0, o, os, rows, b0 > 0);
                else F::template tile<1>(nbc, dec, a + j * as, as, b0, o, os, rows, b0 > 0);
                j += C;
            }
        }
    }
}

template <class T>
struct LegacyGemm16 {
    using Dec = DecBlock;
    static constexpr int kValues = kQK, kChunk = kGemmChunk;
    static void decode(const uint8_t *w, size_t ws, int n, int64_t b0, int nbc, Dec *dec) {
        decode16<T>(w, ws, n, b0, nbc, dec);
    }
    template <int C>
    static void tile(int nbc, const Dec *dec, const uint8_t *a, size_t as, int64_t b0, float *out, size_t os,
                     __mmask16 rows, bool add) {
        gemm16_tile<T, C>(nbc, dec, a, as, b0, out, os, rows, add);
    }
};

template <class T>
void gemm16(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as, int64_t n_act,
            float *out, size_t os) {
    gemm16_rows<LegacyGemm16<T>>(k, w, ws, n_rows, a, as, n_act, out, os);
}
