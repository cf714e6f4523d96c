// The prompt (several activation rows) path of Q4_K, Q5_K, Q6_K and IQ4_XS
// at the avx512 level: 16 weight rows in the 16 int32 lanes of a zmm, the
// K-quant counterpart of x86_gemm512.h (included inside the level's
// anonymous namespace, after x86_kquants512.h and x86_gemm512.h).
//
// Once per call (per chunk of super-blocks) the 16 rows are decoded to int8
// values without their scales and transposed (vector t holds bytes
// 4t..4t+3 of every row), with d * scale per 16 values and dmin * min per
// 32 as floats. Activations are read in place. Q4_K/Q5_K values (0..31)
// are the unsigned operand of vpdpbusd against the signed activations;
// Q6_K (q - 32) and IQ4_XS (code book) values are the signed operand
// against x ^ 0x80 = x + 128, seeded with -128 * sum(w) of the 16 values.
// Per (activation row, 16 values): 4 dword broadcasts (+ xors) + 4
// vpdpbusd for all 16 rows, one cvt, one fma. (Copying unsigned
// activations to a buffer per call, or seeding from the activation bsums,
// measured 10-30% slower.)

struct alignas(64) KDecBlock {
    __m512i w[64];    // dword t of the 16 rows' super-block (unsigned; signed for offset formats)
    __m512i base[16]; // offset formats: -128 * sum of the row's signed values h*16 .. h*16+15
    __m512 s[16];     // d * scale of those 16 values
    __m512 m[8];      // dmin * min of values 32g .. 32g+31 (zero without mins)
};

constexpr int kKGemmChunk = 2; // super-blocks decoded per pass (6.5 KiB each)

// Unsigned values of group g (32) of a block and their offset, per format.
template <class Z>
inline __m256i kgroup_unsigned(const typename Z::W &b, int g);
template <class Z>
constexpr int kKOffset = 0;
template <>
inline __m256i kgroup_unsigned<Z4_K>(const BlockQ4_K &b, int g) { return FQ4_K::group(b, g); }
template <>
inline __m256i kgroup_unsigned<Z5_K>(const BlockQ5_K &b, int g) { return FQ5_K::group(b, g); }
template <>
inline __m256i kgroup_unsigned<Z6_K>(const BlockQ6_K &b, int g) { return FQ6_K::group(b, g); }
template <>
constexpr int kKOffset<Z6_K> = 32;
template <>
inline __m256i kgroup_unsigned<ZIQ4_XS>(const BlockIQ4_XS &b, int g) {
    return _mm256_xor_si256(FIQ4_XS::group(b, g), _mm256_set1_epi8(char(0x80)));
}
template <>
constexpr int kKOffset<ZIQ4_XS> = 128;

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
                q[r] = r < n ? kgroup_unsigned<Z>(reinterpret_cast<const W *>(w + r * ws)[b0 + b], g)
                             : _mm256_setzero_si256();
            transpose8x8(q);
            transpose8x8(q + 8);
            __m512i sum[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
            for (int t = 0; t < 8; ++t) {
                __m512i v = _mm512_inserti64x4(_mm512_zextsi256_si512(q[t]), q[8 + t], 1);
                if (kKOffset<Z>) { // signed values; the activations get the offset instead
                    v = _mm512_sub_epi8(v, _mm512_set1_epi8(char(kKOffset<Z>)));
                    sum[t / 4] = _mm512_dpbusd_epi32(sum[t / 4], _mm512_set1_epi8(1), v);
                }
                o.w[8 * g + t] = v;
            }
            for (int h = 0; h < 2; ++h)
                o.base[2 * g + h] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sum[h], 7));
        }
    }
}

template <class Z, int C>
void kgemm16_tile(int nbc, const KDecBlock *dec, const uint8_t *a, size_t as, int64_t b0, float *out, size_t os,
                  __mmask16 rows, bool add) {
    constexpr bool kMins = Z::kHasMin && !Z::kFoldMin;
    __m512 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
    for (int b = 0; b < nbc; ++b) {
        const KDecBlock &o = dec[b];
        alignas(32) float bs[C][8]; // sums of 32 activation values (for the mins)
        const BlockQ8_K *x[C];
        for (int c = 0; c < C; ++c) {
            x[c] = reinterpret_cast<const BlockQ8_K *>(a + c * as) + b0 + b;
            if (kMins) {
                const __m256i s32 = _mm256_madd_epi16(load32(x[c]->bsums), _mm256_set1_epi16(1));
                _mm256_store_ps(bs[c], _mm256_cvtepi32_ps(s32));
            }
        }
        __m512 t[C];
        for (int c = 0; c < C; ++c) t[c] = _mm512_setzero_ps();
#pragma GCC unroll 1
        for (int h = 0; h < 16; ++h) { // 16 values: 4 weight vectors shared by the C activation rows
            const __m512i w0 = o.w[4 * h], w1 = o.w[4 * h + 1], w2 = o.w[4 * h + 2], w3 = o.w[4 * h + 3];
#pragma GCC unroll 8
            for (int c = 0; c < C; ++c) {
                int32_t q[4]; // dword loads by memcpy (no int32 pointer into the int8 array)
                for (int d = 0; d < 4; ++d) __builtin_memcpy(&q[d], x[c]->qs + 16 * h + 4 * d, 4);
                __m512i i;
                if (kKOffset<Z>) { // signed w x (x + 128), seeded with -128 * sum(w)
                    const __m512i f = _mm512_set1_epi8(char(0x80));
                    i = _mm512_dpbusd_epi32(o.base[h], _mm512_xor_si512(_mm512_set1_epi32(q[0]), f), w0);
                    i = _mm512_dpbusd_epi32(i, _mm512_xor_si512(_mm512_set1_epi32(q[1]), f), w1);
                    i = _mm512_dpbusd_epi32(i, _mm512_xor_si512(_mm512_set1_epi32(q[2]), f), w2);
                    i = _mm512_dpbusd_epi32(i, _mm512_xor_si512(_mm512_set1_epi32(q[3]), f), w3);
                } else { // unsigned w x signed x
                    i = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w0, _mm512_set1_epi32(q[0]));
                    i = _mm512_dpbusd_epi32(i, w1, _mm512_set1_epi32(q[1]));
                    i = _mm512_dpbusd_epi32(i, w2, _mm512_set1_epi32(q[2]));
                    i = _mm512_dpbusd_epi32(i, w3, _mm512_set1_epi32(q[3]));
                }
                t[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), o.s[h], t[c]);
            }
        }
        for (int c = 0; c < C; ++c) {
            if constexpr (kMins)
                for (int g = 0; g < 8; ++g) t[c] = _mm512_fnmadd_ps(o.m[g], _mm512_set1_ps(bs[c][g]), t[c]);
            acc[c] = _mm512_fmadd_ps(t[c], _mm512_set1_ps(x[c]->d), acc[c]);
        }
    }
    store16<C>(acc, out, os, rows, add);
}

template <class Z>
struct KGemm16 {
    using Dec = KDecBlock;
    static constexpr int kValues = kQKK, kChunk = kKGemmChunk;
    static void decode(const uint8_t *w, size_t ws, int n, int64_t b0, int nbc, Dec *dec) {
        kdecode16<Z>(w, ws, n, b0, nbc, dec);
    }
    template <int C>
    static void tile(int nbc, const Dec *dec, const uint8_t *a, size_t as, int64_t b0, float *out, size_t os,
                     __mmask16 rows, bool add) {
        kgemm16_tile<Z, C>(nbc, dec, a, as, b0, out, os, rows, add);
    }
};

template <class Z>
void kgemm16(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as, int64_t n_act,
             float *out, size_t os) {
    gemm16_rows<KGemm16<Z>>(k, w, ws, n_rows, a, as, n_act, out, os);
}
