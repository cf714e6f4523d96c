// The matmuls of Q4_K, Q5_K, Q6_K and IQ4_XS at the
// avx512 level (included inside the level's anonymous namespace, after
// x86_kquants.h): two 32-value groups per zmm, so a 256-value super-block
// is 4 x (decode, vpmaddubsw, vpdpwssd with the groups' int16 scales picked
// by vpermw) and one float fma. The integer sums are the exact ones of the
// scalar reference (same as the 256-bit KQuant path).

// Word index picking, for pair u (groups 2u, 2u+1), the scale of each
// int16 lane of vpmaddubsw: by 32 -> scale 2u (lanes 0-15), 2u+1 (16-31);
// by 16 -> scale 4u + lane/8.
inline __m512i kscale_index(int u, bool by16) {
    alignas(64) int16_t idx[32];
    for (int l = 0; l < 32; ++l) idx[l] = int16_t(by16 ? 4 * u + l / 8 : 2 * u + l / 16);
    return _mm512_load_si512(idx);
}

// Per format: W, kBy16 (16 scales of 16 values, else 8 of 32), kSigned,
// kFoldMin / kHasMin as in x86_kquants.h, pair(b, u) -> 64 weights of groups
// 2u, 2u+1, scales(b, dmin&) -> int16 scales (words) + mins (ymm madd
// operand against the bsums, or zero).
struct Z4_K {
    using W = BlockQ4_K;
    static constexpr bool kBy16 = false, kSigned = false, kHasMin = true, kFoldMin = false;
    static __m512i pair(const W &b, int u) {
        const __m512i v = _mm512_broadcast_i64x4(load32(b.qs + 32 * u));
        return _mm512_and_si512(_mm512_mask_srli_epi16(v, __mmask32(0xFFFF0000u), v, 4), _mm512_set1_epi8(0x0F));
    }
    static __m512i scales(const W &b, __m256i &mn) {
        uint64_t sc8, mn8;
        k45_raw(b, sc8, mn8);
        mn = mins_by_32(mn8);
        return _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(sc8))));
    }
};

struct Z5_K {
    using W = BlockQ5_K;
    static constexpr bool kBy16 = false, kSigned = false, kHasMin = true, kFoldMin = false;
    static __m512i pair(const W &b, int u) {
        const __m512i v = _mm512_broadcast_i64x4(load32(b.qs + 32 * u));
        const __m512i low = _mm512_and_si512(_mm512_mask_srli_epi16(v, __mmask32(0xFFFF0000u), v, 4), _mm512_set1_epi8(0x0F));
        // value i of group g has bit g of qh[i] as its bit 4
        const __m512i bits = _mm512_inserti64x4(_mm512_set1_epi8(char(1 << (2 * u))), _mm256_set1_epi8(char(2 << (2 * u))), 1);
        const __mmask64 hi = _mm512_test_epi8_mask(_mm512_broadcast_i64x4(load32(b.qh)), bits);
        return _mm512_mask_add_epi8(low, hi, low, _mm512_set1_epi8(0x10));
    }
    static __m512i scales(const W &b, __m256i &mn) {
        uint64_t sc8, mn8;
        k45_raw(b, sc8, mn8);
        mn = mins_by_32(mn8);
        return _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(sc8))));
    }
};

struct Z6_K { // stored as q + 32 in [0, 63]
    using W = BlockQ6_K;
    static constexpr bool kBy16 = true, kSigned = false, kHasMin = true, kFoldMin = true;
    static __m512i pair(const W &b, int u) {
        // groups 2u, 2u+1: h = u/2, t = 2(u%2), 2(u%2)+1: ql bytes 64h..64h+63
        // shifted by 4(u%2); qh bytes 32h.. shifted by 2t.
        const int h = u / 2, s = u % 2;
        const __m512i l = _mm512_loadu_si512(b.ql + 64 * h);
        const __m512i low = _mm512_and_si512(s ? _mm512_srli_epi16(l, 4) : l, _mm512_set1_epi8(0x0F));
        const __m512i qh = _mm512_broadcast_i64x4(load32(b.qh + 32 * h));
        const __m512i cnt = _mm512_inserti64x4(_mm512_set1_epi16(short(4 * s)), _mm256_set1_epi16(short(4 * s + 2)), 1);
        const __m512i high = _mm512_and_si512(_mm512_srlv_epi16(qh, cnt), _mm512_set1_epi8(3));
        return _mm512_or_si512(low, _mm512_slli_epi16(high, 4));
    }
    static __m512i scales(const W &b, __m256i &mn) {
        const __m256i s16 = _mm256_cvtepi8_epi16(load16(b.scales));
        mn = _mm256_slli_epi16(s16, 5);
        return _mm512_castsi256_si512(s16);
    }
};

struct ZIQ4_XS {
    using W = BlockIQ4_XS;
    static constexpr bool kBy16 = false, kSigned = true, kHasMin = false, kFoldMin = false;
    static __m512i pair(const W &b, int u) {
        // qs bytes 32u..32u+15 (group 2u), +16..+31 (group 2u+1); each group:
        // low nibbles = values 0..15, high = 16..31.
        const __m512i v = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 1, 0, 1, 2, 3, 2, 3),
                                                   _mm512_castsi256_si512(load32(b.qs + 32 * u)));
        const __m512i n = _mm512_and_si512(_mm512_mask_srli_epi16(v, __mmask32(0xFF00FF00u), v, 4), _mm512_set1_epi8(0x0F));
        return _mm512_shuffle_epi8(_mm512_broadcast_i32x4(load16(kIq4nlValues)), n);
    }
    static __m512i scales(const W &b, __m256i &mn) {
        mn = _mm256_setzero_si256();
        return _mm512_castsi128_si512(FIQ4_XS::scales16(b));
    }
};

template <class Z>
struct ZConsts {
    __m512i idx[4];
    ZConsts() {
        for (int u = 0; u < 4; ++u) idx[u] = kscale_index(u, Z::kBy16);
    }
};

// One super-block of one row: adds to acc (16 lanes).
template <class Z>
inline void zdot(const typename Z::W &b, const BlockQ8_K &a, const ZConsts<Z> &c, __m512 &acc) {
    __m256i mn;
    const __m512i sc = Z::scales(b, mn);
    __m512i isum = _mm512_setzero_si512();
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
        __m512i w = Z::pair(b, u);
        __m512i x = _mm512_loadu_si512(a.qs + 64 * u);
        if (Z::kSigned) { // |w| x sign(x, w): no pmaddubsw saturation (|w| <= 127)
            x = _mm512_mask_sub_epi8(x, _mm512_movepi8_mask(w), _mm512_setzero_si512(), x);
            w = _mm512_abs_epi8(w);
        }
        isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(w, x), _mm512_permutexvar_epi16(c.idx[u], sc));
    }
    if constexpr (Z::kHasMin) {
        const __m256i mins = _mm256_madd_epi16(load32(a.bsums), mn);
        if constexpr (Z::kFoldMin) {
            isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(mins));
        } else {
            const float dmin = half(b.dmin) * a.d;
            acc = _mm512_fnmadd_ps(_mm512_set1_ps(dmin), _mm512_zextps256_ps512(_mm256_cvtepi32_ps(mins)), acc);
        }
    }
    acc = _mm512_fmadd_ps(_mm512_set1_ps(half(b.d) * a.d), _mm512_cvtepi32_ps(isum), acc);
}

// One weight row (the decode): one stream per thread, prefetched
// kStreamPrefetchBytes ahead (x86_gemv512.h), as the Q8_0 decode. Zen 4
// class EPYC, weights in huge pages, 2 threads (kernel_bench --type Q6_K
// --k 1536 --rows 65536 --acts 1 --pages 1): 4 interleaved rows prefetched
// 24 KiB ahead streamed 25-37 GB/s, one row 50-53 (4 KiB ahead 52-53, 8 KiB
// 49-51, 24 KiB 42-44); Q5_K 25 -> 43-44 GB/s. In L2 the 4-row tiles were
// a little faster (30-35 against 29 GB/s, one thread), but a model's
// weights come from memory every token.
template <class Z>
void zgemv_row(int64_t nb, const uint8_t *w, const BlockQ8_K *a, const ZConsts<Z> &c, float *out) {
    using W = typename Z::W;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const W &blk = reinterpret_cast<const W *>(w)[b];
        prefetch_block<kStreamPrefetchBytes>(&blk, sizeof(W));
        zdot<Z>(blk, a[b], c, acc);
    }
    *out = _mm512_reduce_add_ps(acc);
}

// A super-block of one row decoded for several activation rows: weights
// (|w| and the negative-lane masks for the signed formats), the scales
// already spread over the lanes, the mins' madd operand.
template <class Z>
struct ZDec {
    __m512i w[4], sc[4];
    __mmask64 neg[4];
    __m256i mn;
    float d, dmin;
};

template <class Z>
inline void zdecode(const typename Z::W &b, const ZConsts<Z> &c, ZDec<Z> &o) {
    const __m512i sc = Z::scales(b, o.mn);
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
        const __m512i w = Z::pair(b, u);
        if (Z::kSigned) o.neg[u] = _mm512_movepi8_mask(w);
        o.w[u] = Z::kSigned ? _mm512_abs_epi8(w) : w;
        o.sc[u] = _mm512_permutexvar_epi16(c.idx[u], sc);
    }
    o.d = half(b.d);
    if constexpr (Z::kHasMin && !Z::kFoldMin) o.dmin = half(b.dmin);
    else o.dmin = 0.0f;
}

// R rows x C activation rows; decodes each super-block once per tile.
// kAhead: the prefetch distance along each row.
template <class Z, int R, int C, int kAhead = kPrefetchBytes>
void zgemm_tile(int64_t nb, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, const ZConsts<Z> &c,
                float *out, size_t os) {
    using W = typename Z::W;
    __m512 acc[R][C];
    for (int r = 0; r < R; ++r)
        for (int j = 0; j < C; ++j) acc[r][j] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        ZDec<Z> dec[R];
        for (int r = 0; r < R; ++r) {
            const W &blk = reinterpret_cast<const W *>(w + r * ws)[b];
            prefetch_block<kAhead>(&blk, sizeof(W));
            zdecode<Z>(blk, c, dec[r]);
        }
        for (int j = 0; j < C; ++j) {
            const BlockQ8_K &x = reinterpret_cast<const BlockQ8_K *>(a + j * as)[b];
            __m512i xv[4];
            for (int u = 0; u < 4; ++u) xv[u] = _mm512_loadu_si512(x.qs + 64 * u);
            const __m256i bs = load32(x.bsums);
            for (int r = 0; r < R; ++r) {
                const ZDec<Z> &o = dec[r];
                __m512i isum = _mm512_setzero_si512();
#pragma GCC unroll 4
                for (int u = 0; u < 4; ++u) {
                    const __m512i xs =
                        Z::kSigned ? _mm512_mask_sub_epi8(xv[u], o.neg[u], _mm512_setzero_si512(), xv[u]) : xv[u];
                    isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(o.w[u], xs), o.sc[u]);
                }
                if constexpr (Z::kHasMin) {
                    const __m256i mins = _mm256_madd_epi16(bs, o.mn);
                    if constexpr (Z::kFoldMin)
                        isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(mins));
                    else
                        acc[r][j] = _mm512_fnmadd_ps(_mm512_set1_ps(o.dmin * x.d),
                                                     _mm512_zextps256_ps512(_mm256_cvtepi32_ps(mins)), acc[r][j]);
                }
                acc[r][j] = _mm512_fmadd_ps(_mm512_set1_ps(o.d * x.d), _mm512_cvtepi32_ps(isum), acc[r][j]);
            }
        }
    }
    for (int r = 0; r < R; ++r)
        for (int j = 0; j < C; ++j) out[j * os + r] = _mm512_reduce_add_ps(acc[r][j]);
}

// The avx512 K-quant matmul: one row at a time for one or two activation
// rows (the decode, and its two-part activations in the exact precision),
// R x C tiles for 3, the 16-row lanes gemm (x86_kgemm512.h) for more.
constexpr int64_t kKGemmMinAct = 4;
template <class Z>
void kgemm16(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as, int64_t n_act,
             float *out, size_t os);
template <class T, class Z>
void matmul_kquant512(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                      int64_t n_act, float *out, size_t out_stride) {
    static const ZConsts<Z> c; // index vectors, built once
    const int64_t nb = k / kQKK;
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    if (n_act == 1) {
        const auto *a = static_cast<const BlockQ8_K *>(act);
        for (int64_t r = 0; r < n_rows; ++r) zgemv_row<Z>(nb, wb + r * w_stride, a, c, out + r);
        return;
    }
    if (n_act == 2) {
        for (int64_t r = 0; r < n_rows; ++r)
            zgemm_tile<Z, 1, 2, kStreamPrefetchBytes>(nb, wb + r * w_stride, w_stride, ab, act_stride, c, out + r,
                                                      out_stride);
        return;
    }
    if (n_act >= kKGemmMinAct) {
        kgemm16<Z>(k, wb, w_stride, n_rows, ab, act_stride, n_act, out, out_stride);
        return;
    }
    constexpr int R = 4; // 3 activation rows (fewer than kKGemmMinAct): 2 and 1 per tile
    for (int64_t j = 0; j < n_act;) {
        const bool two = n_act - j >= 2;
        const uint8_t *aj = ab + j * act_stride;
        float *oj = out + j * out_stride;
        int64_t r = 0;
        for (; r + R <= n_rows; r += R) {
            if (two) zgemm_tile<Z, R, 2>(nb, wb + r * w_stride, w_stride, aj, act_stride, c, oj + r, out_stride);
            else zgemm_tile<Z, R, 1>(nb, wb + r * w_stride, w_stride, aj, act_stride, c, oj + r, out_stride);
        }
        for (; r < n_rows; ++r) {
            if (two) zgemm_tile<Z, 1, 2>(nb, wb + r * w_stride, w_stride, aj, act_stride, c, oj + r, out_stride);
            else zgemm_tile<Z, 1, 1>(nb, wb + r * w_stride, w_stride, aj, act_stride, c, oj + r, out_stride);
        }
        j += two ? 2 : 1;
    }
}
