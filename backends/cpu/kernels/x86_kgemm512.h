// The prompt (several activation rows) path of Q4_K, Q5_K, Q6_K and IQ4_XS
// at the avx512 level: 16 weight rows in the 16 int32 lanes of a zmm, the
// K-quant counterpart of x86_gemm512.h (included inside the level's
// anonymous namespace, after x86_kquants512.h and x86_gemm512.h).
//
// Once per call (per chunk of super-blocks) the 16 rows are decoded to
// signed int8 values without their scales (Q4_K/Q5_K: 0..31, Q6_K: q - 32,
// IQ4_XS: code book values) and transposed (vector t holds bytes 4t..4t+3
// of every row), with, per 16 values, -128 * sum(w) and d * scale as
// floats, and per 32 values dmin * min. Activations are made unsigned once
// per group of activation rows. Per (activation row, 16 values): 4 dword
// broadcasts + 4 vpdpbusd for all 16 rows, one cvt, one fma.

struct alignas(64) KDecBlock {
    __m512i w[64];    // dword t of the 16 rows' super-block
    __m512i base[16]; // -128 * sum of the row's values h*16 .. h*16+15
    __m512 s[16];     // d * scale of those 16 values
    __m512 m[8];      // dmin * min of values 32g .. 32g+31 (zero without mins)
};

constexpr int kKGemmChunk = 2; // super-blocks decoded per pass (10 KiB each)

// Signed values of group g (32) of a block, per format.
template <class Z>
inline __m256i kgroup_signed(const typename Z::W &b, int g);
template <>
inline __m256i kgroup_signed<Z4_K>(const BlockQ4_K &b, int g) { return FQ4_K::group(b, g); }
template <>
inline __m256i kgroup_signed<Z5_K>(const BlockQ5_K &b, int g) { return FQ5_K::group(b, g); }
template <>
inline __m256i kgroup_signed<Z6_K>(const BlockQ6_K &b, int g) {
    return _mm256_sub_epi8(FQ6_K::group(b, g), _mm256_set1_epi8(32));
}
template <>
inline __m256i kgroup_signed<ZIQ4_XS>(const BlockIQ4_XS &b, int g) { return FIQ4_XS::group(b, g); }

// The 16 scales (one per 16 values) and 8 mins of one block as floats
// (times d / dmin).
template <class Z>
inline void kscales_f(const typename Z::W &b, float s[16], float m[8]) {
    if constexpr (Z::kBy16) { // Q6_K
        const float d = half(b.d);
        for (int h = 0; h < 16; ++h) s[h] = d * float(b.scales[h]);
        for (int g = 0; g < 8; ++g) m[g] = 0.0f;
    } else if constexpr (Z::kHasMin) { // Q4_K, Q5_K
        uint64_t sc8, mn8;
        k45_raw(b, sc8, mn8);
        const float d = half(b.d), dmin = half(b.dmin);
        for (int g = 0; g < 8; ++g) {
            s[2 * g] = s[2 * g + 1] = d * float((sc8 >> (8 * g)) & 0xFF);
            m[g] = dmin * float((mn8 >> (8 * g)) & 0xFF);
        }
    } else { // IQ4_XS
        const float d = half(b.d);
        for (int g = 0; g < 8; ++g) {
            s[2 * g] = s[2 * g + 1] = d * float(iq4_xs_scale(b, g));
            m[g] = 0.0f;
        }
    }
}

// Rows [0, n) of super-blocks [b0, b0 + nbc) -> dec; rows n..15 are zero.
template <class Z>
void kdecode16(const uint8_t *w, size_t ws, int n, int64_t b0, int nbc, KDecBlock *dec) {
    using W = typename Z::W;
    for (int b = 0; b < nbc; ++b) {
        KDecBlock &o = dec[b];
        alignas(64) float s[16][16], m[8][16]; // [h][row]
        for (int r = 0; r < 16; ++r) {
            float sr[16] = {}, mr[8] = {};
            if (r < n) kscales_f<Z>(reinterpret_cast<const W *>(w + r * ws)[b0 + b], sr, mr);
            for (int h = 0; h < 16; ++h) s[h][r] = sr[h];
            for (int g = 0; g < 8; ++g) m[g][r] = mr[g];
        }
        for (int h = 0; h < 16; ++h) o.s[h] = _mm512_load_ps(s[h]);
        for (int g = 0; g < 8; ++g) o.m[g] = _mm512_load_ps(m[g]);
        for (int g = 0; g < 8; ++g) {
            __m256i q[16];
            for (int r = 0; r < 16; ++r)
                q[r] = r < n ? kgroup_signed<Z>(reinterpret_cast<const W *>(w + r * ws)[b0 + b], g)
                             : _mm256_setzero_si256();
            transpose8x8(q);
            transpose8x8(q + 8);
            __m512i sum[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
            for (int t = 0; t < 8; ++t) {
                o.w[8 * g + t] = _mm512_inserti64x4(_mm512_zextsi256_si512(q[t]), q[8 + t], 1);
                sum[t / 4] = _mm512_dpbusd_epi32(sum[t / 4], _mm512_set1_epi8(1), o.w[8 * g + t]);
            }
            for (int h = 0; h < 2; ++h)
                o.base[2 * g + h] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sum[h], 7));
        }
    }
}

// One activation super-block made unsigned, its scale and its 8 sums of
// 32 values as floats.
struct alignas(64) KUBlock {
    uint8_t x[kQKK];
    float bs[8];
    float d;
};

template <class Z, int C>
void kgemm16_tile(int nbc, const KDecBlock *dec, const KUBlock *ux, float *out, size_t os, __mmask16 rows, bool add) {
    __m512 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
    for (int b = 0; b < nbc; ++b) {
        const KDecBlock &o = dec[b];
        __m512 t[C];
        for (int c = 0; c < C; ++c) t[c] = _mm512_setzero_ps();
#pragma GCC unroll 1
        for (int h = 0; h < 16; ++h) { // 16 values: 4 weight vectors shared by the C activation rows
            const __m512i w0 = o.w[4 * h], w1 = o.w[4 * h + 1], w2 = o.w[4 * h + 2], w3 = o.w[4 * h + 3];
#pragma GCC unroll 8
            for (int c = 0; c < C; ++c) {
                const int32_t *x = reinterpret_cast<const int32_t *>(ux[c * kKGemmChunk + b].x + 16 * h);
                __m512i i = _mm512_dpbusd_epi32(o.base[h], _mm512_set1_epi32(x[0]), w0);
                i = _mm512_dpbusd_epi32(i, _mm512_set1_epi32(x[1]), w1);
                i = _mm512_dpbusd_epi32(i, _mm512_set1_epi32(x[2]), w2);
                i = _mm512_dpbusd_epi32(i, _mm512_set1_epi32(x[3]), w3);
                t[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), o.s[h], t[c]);
            }
        }
        for (int c = 0; c < C; ++c) {
            const KUBlock &x = ux[c * kKGemmChunk + b];
            if constexpr (Z::kHasMin && !Z::kFoldMin)
                for (int g = 0; g < 8; ++g) t[c] = _mm512_fnmadd_ps(o.m[g], _mm512_set1_ps(x.bs[g]), t[c]);
            acc[c] = _mm512_fmadd_ps(t[c], _mm512_set1_ps(x.d), acc[c]);
        }
    }
    for (int c = 0; c < C; ++c) {
        float *o = out + c * os;
        __m512 v = acc[c];
        if (add) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(rows, o));
        _mm512_mask_storeu_ps(o, rows, v);
    }
}

inline void kprep_unsigned(const uint8_t *a, size_t as, int C, int64_t b0, int nbc, KUBlock *ux) {
    for (int c = 0; c < C; ++c)
        for (int b = 0; b < nbc; ++b) {
            const BlockQ8_K &blk = reinterpret_cast<const BlockQ8_K *>(a + c * as)[b0 + b];
            KUBlock &u = ux[c * kKGemmChunk + b];
            for (int v = 0; v < kQKK; v += 64)
                _mm512_store_si512(u.x + v, _mm512_xor_si512(_mm512_loadu_si512(blk.qs + v), _mm512_set1_epi8(char(0x80))));
            for (int g = 0; g < 8; ++g) u.bs[g] = float(blk.bsums[2 * g] + blk.bsums[2 * g + 1]);
            u.d = blk.d;
        }
}

template <class Z>
void kgemm16(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as, int64_t n_act,
             float *out, size_t os) {
    const int64_t nb = k / kQKK;
    KDecBlock dec[kKGemmChunk];
    KUBlock ux[kGemmC * kKGemmChunk];
    for (int64_t r = 0; r < n_rows; r += 16) {
        const int n = n_rows - r < 16 ? int(n_rows - r) : 16;
        const __mmask16 rows = __mmask16((1u << n) - 1);
        for (int64_t b0 = 0; b0 < nb; b0 += kKGemmChunk) {
            const int nbc = nb - b0 < kKGemmChunk ? int(nb - b0) : kKGemmChunk;
            kdecode16<Z>(w + r * ws, ws, n, b0, nbc, dec);
            for (int64_t j = 0; j < n_act;) {
                const int C = n_act - j >= kGemmC ? kGemmC : 1;
                kprep_unsigned(a + j * as, as, C, b0, nbc, ux);
                float *o = out + j * os + r;
                if (C == kGemmC) kgemm16_tile<Z, kGemmC>(nbc, dec, ux, o, os, rows, b0 > 0);
                else kgemm16_tile<Z, 1>(nbc, dec, ux, o, os, rows, b0 > 0);
                j += C;
            }
        }
    }
}
