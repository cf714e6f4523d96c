// matmul_packed of Q4_0, IQ4_NL (and IQ4_XS, Q4_K, Q5_0, Q5_1, below) at the avx512 level,
// over the repacked layouts of packed.h (included inside the level's
// anonymous namespace; AVX-512 F/BW/VL + VNNI). Stack per call: <= 36 KiB.
// Decode tiles (1-2 activation rows) prefetch kPrefetchBytes ahead along
// the group stream (measured: 1.2-1.3x from DRAM, kernel_bench, docs/performance.md).
//
// A block of a group holds the 16 rows' nibbles in 4 zmm with int32 lane =
// row, so `and` / `shift + and` give 8 zmm of unsigned bytes u (Q4_0: the
// nibble, IQ4_NL: value + 128 by vpshufb) where vector t holds values
// 4t..4t+3 (t < 4) or 16+4(t-4).. (t >= 4) of every row. vpdpbusd(u, a)
// with the activation dword t of a Q8_0 block broadcast gives all 16 rows'
// sum(u * a); seeding it with -offset * sum(a) (offset 8 or 128, per
// activation block, computed once per call) leaves the exact signed block
// dot sum(q * a) of the scalar reference. Then one cvt and one fma with
// the rows' scales (one vcvtph2ps) times the activation scale. No decode
// per row, no transpose, no horizontal sums; the decoded vectors of a
// block are shared by C activation rows (C = n_act for decode, 8 for the
// prompt tiles).

// Per activation row and block, as separate arrays (the prep stores 8 at a time).
struct PackAct {
    int32_t *base; // -offset * sum(q) of the activation block
    float *d;      // its scale
};

constexpr int64_t kPackActMax = 4096; // PackAct entries on the stack (32 KiB)
constexpr int64_t kPackBlockChunk = 1024; // blocks per pass (k > 32768 runs in several)
constexpr int kPackC = 8;             // activation rows per prompt tile

// sum(q) of one Q8_0 block: sum(q ^ 0x80 as unsigned) - 32 * 128, by psadbw.
inline __m256i q8_sad(const BlockQ8_0 &x) {
    return _mm256_sad_epu8(_mm256_xor_si256(load32(x.qs), _mm256_set1_epi8(char(0x80))), _mm256_setzero_si256());
}

// 4 blocks' psadbw results -> their 4 qword-sums in dwords of each 128-bit half.
inline __m256i sad4(const BlockQ8_0 *x) {
    const __m256i s01 = _mm256_add_epi32(q8_sad(x[0]), _mm256_slli_epi64(q8_sad(x[1]), 32));
    const __m256i s23 = _mm256_add_epi32(q8_sad(x[2]), _mm256_slli_epi64(q8_sad(x[3]), 32));
    return _mm256_add_epi32(_mm256_unpacklo_epi64(s01, s23), _mm256_unpackhi_epi64(s01, s23));
}

// Activation rows [0, n) x blocks [b0, b0 + nbc) -> pre.base/d[c * nbc + b].
// Eight blocks at a time: sums by psadbw, scales by a gather of the fp16 d.
template <int kOffset>
void pack_prep(const uint8_t *a, size_t as, int64_t n, int64_t b0, int64_t nbc, const PackAct &pre) {
    static_assert(kOffset == 8 || kOffset == 16 || kOffset == 128, "offset is a power of two");
    constexpr int kShift = kOffset == 8 ? 3 : kOffset == 16 ? 4 : 7;
    const __m256i d_at = _mm256_setr_epi32(0, 34, 68, 102, 136, 170, 204, 238);
    static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block");
    for (int64_t c = 0; c < n; ++c) {
        const auto *x = reinterpret_cast<const BlockQ8_0 *>(a + c * as) + b0;
        int32_t *base = pre.base + c * nbc;
        float *d = pre.d + c * nbc;
        int64_t b = 0;
        for (; b + 8 <= nbc; b += 8) {
            const __m256i lo = sad4(x + b), hi = sad4(x + b + 4);
            const __m256i sum = _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20),
                                                 _mm256_permute2x128_si256(lo, hi, 0x31));
            const __m256i v = _mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(32 * 128), sum), kShift);
            _mm256_storeu_si256(reinterpret_cast<__m256i *>(base + b), v);
            const __m256i h = _mm256_i32gather_epi32(reinterpret_cast<const int *>(x + b), d_at, 1);
            _mm256_storeu_ps(d + b, _mm256_cvtph_ps(_mm256_cvtepi32_epi16(h)));
        }
        for (; b < nbc; ++b) {
            const __m256i s = q8_sad(x[b]);
            __m128i t = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
            t = _mm_add_epi64(t, _mm_unpackhi_epi64(t, t));
            base[b] = -kOffset * (_mm_cvtsi128_si32(t) - 32 * 128);
            d[b] = half(x[b].d);
        }
    }
}

// The 8 byte vectors of block b of a group (see above).
template <bool kTable>
inline void pack_decode(const uint8_t *nib, const __m512i &table, __m512i u[8]) {
    const __m512i m = _mm512_set1_epi8(0x0F);
    for (int p = 0; p < 4; ++p) {
        const __m512i v = _mm512_loadu_si512(nib + 64 * p);
        u[p] = _mm512_and_si512(v, m);
        u[p + 4] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m);
        if (kTable) {
            u[p] = _mm512_shuffle_epi8(table, u[p]);
            u[p + 4] = _mm512_shuffle_epi8(table, u[p + 4]);
        }
    }
}

inline __m512i bcast_dword512(const int8_t *p) {
    int32_t v;
    __builtin_memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

template <int v>
struct Int {
    static constexpr int value = v;
};

// Activation rows [0, n) in tiles of kPackC, then 4, 2, 1 rows:
// tile(j, Int<C>()) for the tile of C rows from row j.
template <class Tile>
inline void for_each_act_tile(int64_t n, const Tile &tile) {
    for (int64_t j = 0; j < n;) {
        const int64_t left = n - j;
        if (left >= kPackC) tile(j, Int<kPackC>());
        else if (left >= 4) tile(j, Int<4>());
        else if (left >= 2) tile(j, Int<2>());
        else tile(j, Int<1>());
        j += left >= kPackC ? kPackC : left >= 4 ? 4 : left >= 2 ? 2 : 1;
    }
}

// A tile's 16-row sums for C activation rows: out[c * os + 0..15] (+)= acc[c].
template <int C>
inline void store_acc(const __m512 (&acc)[C], float *out, size_t os, bool add) {
    for (int c = 0; c < C; ++c) {
        float *o = out + c * os;
        _mm512_storeu_ps(o, add ? _mm512_add_ps(acc[c], _mm512_loadu_ps(o)) : acc[c]);
    }
}

// One group of 16 rows x C activation rows over blocks [b0, b0 + nbc) of
// nb: out[c * os + 0..15] (+)= the dots.
template <bool kTable, int C>
void pack_tile(const uint8_t *group, int64_t nb, int64_t b0, int64_t nbc, const PackAct &pre, const uint8_t *a,
               size_t as, float *out, size_t os, bool add, const __m512i &table) {
    const int32_t *pbase = pre.base;
    const float *pd = pre.d;
    __m512 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
    for (int64_t b = b0; b < b0 + nbc; ++b) {
        __m512i u[8];
        if (C <= 2) { // decode: stream ahead (the block's 4.5 lines; x86_skeleton.h's distance)
            const char *pf = reinterpret_cast<const char *>(group + pack_nib_offset(b)) + kPrefetchBytes;
            for (int l = 0; l < 5; ++l) _mm_prefetch(pf + 64 * l, _MM_HINT_T0);
        }
        pack_decode<kTable>(group + pack_nib_offset(b), table, u);
        const __m512 dw =
            _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(group + pack_scale_offset(b, nb))));
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
            const int64_t pi = c * nbc + (b - b0);
            const int8_t *q = reinterpret_cast<const BlockQ8_0 *>(a + c * as)[b].qs;
            // two chains (values 0..15, 16..31): half the dependency length
            __m512i lo = _mm512_set1_epi32(pbase[pi]), hi = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int t = 0; t < 4; ++t) {
                lo = _mm512_dpbusd_epi32(lo, u[t], bcast_dword512(q + 4 * t));
                hi = _mm512_dpbusd_epi32(hi, u[t + 4], bcast_dword512(q + 16 + 4 * t));
            }
            const __m512 f = _mm512_cvtepi32_ps(_mm512_add_epi32(lo, hi));
            acc[c] = _mm512_fmadd_ps(f, _mm512_mul_ps(dw, _mm512_set1_ps(pd[pi])), acc[c]);
        }
    }
    store_acc<C>(acc, out, os, add);
}

// Decode (one activation row, or the exact precision's two), two groups of
// 16 rows at once: each block's activation dwords are broadcast once for 32
// rows, and the two groups' chains are independent work for the
// out-of-order core. Measured (one activation row) on the
// AMX Xeon, weights in huge pages (kernel_bench --type Q4_0 --packed 1
// --acts 1 --rows 303872 --pages 1 --call 4096, 3 interleaved runs):
// 24.8-25.5 -> 29.3-29.4 GB/s; 0.5B Q4_0 tg128 66.3-67.0 -> 72.7-74.1 tok/s.
// Not on AMD CPUs, where one group at a time (pack_tile) streams faster:
// the same command with --call 1216 / 4096 on a Zen 4 class EPYC, 2
// threads, 31-34 -> 45.5-46 GB/s; 0.5B Q4_0 tg128 82.6-84.5 -> 86.8-88.9
// tok/s (docs/performance.md, 2026-12-06).
template <bool kTable, int C>
void pack_tile_decode2(const uint8_t *g0, const uint8_t *g1, int64_t nb, int64_t b0, int64_t nbc, const PackAct &pre,
                       const uint8_t *a, size_t as, float *out, size_t os, bool add, const __m512i &table) {
    static_assert(C == 1 || C == 2, "decode: one activation row, or the two parts of the exact precision");
    __m512 acc0[C], acc1[C];
    for (int c = 0; c < C; ++c) acc0[c] = acc1[c] = _mm512_setzero_ps();
    for (int64_t b = b0; b < b0 + nbc; ++b) {
        const size_t nib = pack_nib_offset(b), sc = pack_scale_offset(b, nb);
        const char *pf0 = reinterpret_cast<const char *>(g0 + nib) + kPrefetchBytes;
        const char *pf1 = reinterpret_cast<const char *>(g1 + nib) + kPrefetchBytes;
        for (int l = 0; l < 5; ++l) {
            _mm_prefetch(pf0 + 64 * l, _MM_HINT_T0);
            _mm_prefetch(pf1 + 64 * l, _MM_HINT_T0);
        }
        __m512i u0[8], u1[8];
        pack_decode<kTable>(g0 + nib, table, u0);
        pack_decode<kTable>(g1 + nib, table, u1);
        const __m512 dw0 = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(g0 + sc)));
        const __m512 dw1 = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(g1 + sc)));
        for (int c = 0; c < C; ++c) {
            const int64_t pi = c * nbc + (b - b0);
            const int8_t *q = reinterpret_cast<const BlockQ8_0 *>(a + c * as)[b].qs;
            const __m512i base = _mm512_set1_epi32(pre.base[pi]);
            // One row: two chains per group (values 0..15, 16..31); two rows: one each.
            __m512i lo0 = base, lo1 = base, hi0 = _mm512_setzero_si512(), hi1 = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int t = 0; t < 4; ++t) {
                const __m512i al = bcast_dword512(q + 4 * t), ah = bcast_dword512(q + 16 + 4 * t);
                lo0 = _mm512_dpbusd_epi32(lo0, u0[t], al);
                lo1 = _mm512_dpbusd_epi32(lo1, u1[t], al);
                if (C == 1) {
                    hi0 = _mm512_dpbusd_epi32(hi0, u0[t + 4], ah);
                    hi1 = _mm512_dpbusd_epi32(hi1, u1[t + 4], ah);
                } else {
                    lo0 = _mm512_dpbusd_epi32(lo0, u0[t + 4], ah);
                    lo1 = _mm512_dpbusd_epi32(lo1, u1[t + 4], ah);
                }
            }
            if (C == 1) {
                lo0 = _mm512_add_epi32(lo0, hi0);
                lo1 = _mm512_add_epi32(lo1, hi1);
            }
            const __m512 da = _mm512_set1_ps(pre.d[pi]);
            acc0[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(lo0), _mm512_mul_ps(dw0, da), acc0[c]);
            acc1[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(lo1), _mm512_mul_ps(dw1, da), acc1[c]);
        }
    }
    for (int c = 0; c < C; ++c) {
        float *o = out + c * os;
        _mm512_storeu_ps(o, add ? _mm512_add_ps(acc0[c], _mm512_loadu_ps(o)) : acc0[c]);
        _mm512_storeu_ps(o + 16, add ? _mm512_add_ps(acc1[c], _mm512_loadu_ps(o + 16)) : acc1[c]);
    }
}

// Calls of few groups (the per-call activation prep would cost as much as
// the dots) with >= 3 activation rows take the signed form instead: the
// weights as signed bytes (Q4_0: 16 * (nibble - 8) = ((nibble << 4) & 0xF0)
// ^ 0x80, one shift + one vpternlogd per 64 bytes; IQ4_NL: the table
// values), the activations made unsigned per broadcast (x ^ 0x80 = x + 128)
// and vpdpbusd seeded with -128 * sum(w) of the row's block, computed once
// per group and block. The factor 16 goes into the row scales (exact).
// Measured on a Zen 4 class EPYC (kernel_bench --type Q4_0 --packed 1
// --rows 896 --threads 2 --call C, docs/performance.md 2026-12-06 (3)):
// from two groups a call the prepared form wins (k = 4864, 512 activation
// rows: 32-row calls 272 -> 317 Gdot/s, 112-row calls, the 0.5B ffn_down's
// tasks, 268 -> 340; 4 rows 191 -> 281 / 300; Q5_0, Q5_1 and IQ4_NL alike
// or better); one-group calls are mixed (k = 896, 512 rows: signed 281,
// prepared 272; k = 4864, 4 rows: 184 / 247), and keep the signed form.
constexpr int kPackPrepGroups = 2; // fewer groups a call: the signed form
constexpr int kPackSChunk = 64;    // blocks of a group whose seeds are kept (4 KiB)

template <bool kTable>
inline void pack_decode_signed(const uint8_t *nib, const __m512i &stable, __m512i u[8]) {
    const __m512i hi = _mm512_set1_epi8(char(0xF0)), flip = _mm512_set1_epi8(char(0x80));
    const __m512i m = _mm512_set1_epi8(0x0F);
    for (int p = 0; p < 4; ++p) {
        const __m512i v = _mm512_loadu_si512(nib + 64 * p);
        if (kTable) {
            u[p] = _mm512_shuffle_epi8(stable, _mm512_and_si512(v, m));
            u[p + 4] = _mm512_shuffle_epi8(stable, _mm512_and_si512(_mm512_srli_epi16(v, 4), m));
        } else { // (x & 0xF0) ^ 0x80
            u[p] = _mm512_ternarylogic_epi32(_mm512_slli_epi16(v, 4), hi, flip, 0x6A);
            u[p + 4] = _mm512_ternarylogic_epi32(v, hi, flip, 0x6A);
        }
    }
}

// Seeds -128 * sum(w) of blocks [b0, b0 + nbc) of a group.
template <bool kTable>
void pack_seeds(const uint8_t *group, int64_t b0, int64_t nbc, const __m512i &stable, __m512i *seed) {
    const __m512i ones = _mm512_set1_epi8(1);
    for (int64_t b = 0; b < nbc; ++b) {
        __m512i u[8];
        pack_decode_signed<kTable>(group + pack_nib_offset(b0 + b), stable, u);
        __m512i s = _mm512_setzero_si512();
        for (int t = 0; t < 8; ++t) s = _mm512_dpbusd_epi32(s, ones, u[t]);
        seed[b] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(s, 7));
    }
}

template <bool kTable, int C>
void pack_tile_signed(const uint8_t *group, int64_t nb, int64_t b0, int64_t nbc, const __m512i *seed,
                      const uint8_t *a, size_t as, float *out, size_t os, bool add, const __m512i &stable) {
    const __m512i flip = _mm512_set1_epi8(char(0x80));
    const __m512 wscale = _mm512_set1_ps(kTable ? 1.0f : 1.0f / 16);
    __m512 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
    for (int64_t b = b0; b < b0 + nbc; ++b) {
        __m512i u[8];
        pack_decode_signed<kTable>(group + pack_nib_offset(b), stable, u);
        const __m512 dw = _mm512_mul_ps(
            wscale,
            _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(group + pack_scale_offset(b, nb)))));
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
            const auto &x = reinterpret_cast<const BlockQ8_0 *>(a + c * as)[b];
            __m512i i = seed[b - b0];
#pragma GCC unroll 8
            for (int t = 0; t < 8; ++t)
                i = _mm512_dpbusd_epi32(i, _mm512_xor_si512(bcast_dword512(x.qs + 4 * t), flip), u[t]);
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), _mm512_mul_ps(dw, _mm512_set1_ps(half(x.d))), acc[c]);
        }
    }
    store_acc<C>(acc, out, os, add);
}

template <bool kTable>
void matmul_packed_signed(int64_t nb, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as,
                          int64_t n_act, float *out, size_t os) {
    const __m512i stable = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4nlValues)));
    __m512i seed[kPackSChunk];
    for (int64_t g = 0; g < n_rows; g += kPackRows)
        for (int64_t b0 = 0; b0 < nb; b0 += kPackSChunk) {
            const int64_t nbc = nb - b0 < kPackSChunk ? nb - b0 : kPackSChunk;
            const uint8_t *group = w + g * ws;
            pack_seeds<kTable>(group, b0, nbc, stable, seed);
            for_each_act_tile(n_act, [&](int64_t j, auto c) {
                pack_tile_signed<kTable, decltype(c)::value>(group, nb, b0, nbc, seed, a + j * as, as, out + j * os + g,
                                                             os, b0 > 0, stable);
            });
        }
}

// matmul_packed: blocks in passes of kPackBlockChunk, activation rows in
// panels whose PackAct fit the stack, groups of 16 rows, then tiles of
// kPackC (or the 1 or 2 rows of a decode) activation rows.
template <bool kTable, int kOffset>
void matmul_packed512(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                      int64_t n_act, float *out, size_t out_stride) {
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    const int64_t nb = k / kQK;
    if (n_act >= 3 && n_rows < kPackPrepGroups * kPackRows) {
        matmul_packed_signed<kTable>(nb, wb, w_stride, n_rows, ab, act_stride, n_act, out, out_stride);
        return;
    }
    const __m512i table = _mm512_broadcast_i32x4(
        _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4nlValues)), _mm_set1_epi8(char(0x80))));
    int32_t base[kPackActMax];
    float d[kPackActMax];
    for (int64_t b0 = 0; b0 < nb; b0 += kPackBlockChunk) {
        const int64_t nbc = nb - b0 < kPackBlockChunk ? nb - b0 : kPackBlockChunk;
        const int64_t panel = kPackActMax / nbc;
        for (int64_t j0 = 0; j0 < n_act; j0 += panel) {
            const int64_t np = n_act - j0 < panel ? n_act - j0 : panel;
            const uint8_t *a = ab + j0 * act_stride;
            pack_prep<kOffset>(a, act_stride, np, b0, nbc, PackAct{base, d});
            int64_t g = 0;
            const bool pairs = np <= 2 && !x86_is_amd(); // decode: groups in pairs (not on AMD CPUs)
            for (; pairs && g + 2 * kPackRows <= n_rows; g += 2 * kPackRows) {
                const uint8_t *g0 = wb + g * w_stride, *g1 = g0 + kPackRows * w_stride;
                float *o = out + j0 * out_stride + g;
                if (np == 1) pack_tile_decode2<kTable, 1>(g0, g1, nb, b0, nbc, PackAct{base, d}, a, 0, o, 0, b0 > 0, table);
                else pack_tile_decode2<kTable, 2>(g0, g1, nb, b0, nbc, PackAct{base, d}, a, act_stride, o, out_stride,
                                                  b0 > 0, table);
            }
            for (; g < n_rows; g += kPackRows) {
                const uint8_t *group = wb + g * w_stride;
                for_each_act_tile(np, [&](int64_t j, auto c) {
                    pack_tile<kTable, decltype(c)::value>(group, nb, b0, nbc, PackAct{base + j * nbc, d + j * nbc},
                                                          a + j * act_stride, act_stride,
                                                          out + (j0 + j) * out_stride + g, out_stride, b0 > 0, table);
                });
            }
        }
    }
}

// IQ4_XS (packed.h): each group of 32 values of a super-block is an IQ4_NL
// block as above (unsigned value + 128 against the signed activations,
// seeded with -128 * sum, which Q8_K's bsums give without touching the
// values); its exact sum times the rows' 6-bit scales (vpmulld) adds up
// over the super-block in int32, then one cvt + fma per super-block.
constexpr int64_t kXsActMax = 1024;  // (activation row, super-block) entries on the stack (36 KiB)
constexpr int64_t kXsBlockChunk = 128; // super-blocks a pass

void xs_prep(const uint8_t *a, size_t as, int64_t n, int64_t b0, int64_t nbc, int32_t *seed, float *d) {
    for (int64_t c = 0; c < n; ++c)
        for (int64_t b = 0; b < nbc; ++b) {
            const auto &x = reinterpret_cast<const BlockQ8_K *>(a + c * as)[b0 + b];
            const __m256i s = _mm256_madd_epi16(load32(x.bsums), _mm256_set1_epi16(1)); // sums of 32
            _mm256_storeu_si256(reinterpret_cast<__m256i *>(seed + 8 * (c * nbc + b)),
                                _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(s, 7)));
            d[c * nbc + b] = x.d;
        }
}

template <int C>
void xs_tile(const uint8_t *group, int64_t b0, int64_t nbc, const int32_t *seed, const float *da, const uint8_t *a,
             size_t as, float *out, size_t os, bool add, const __m512i &table) {
    __m512 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
    const __m512i m4 = _mm512_set1_epi32(0xF), m2 = _mm512_set1_epi32(3), k32 = _mm512_set1_epi32(32);
    for (int64_t b = b0; b < b0 + nbc; ++b) {
        const uint8_t *g = group + b * kPackXsBytes;
        const __m512i scl = _mm512_loadu_si512(g + 2080);
        const __m512i sch = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(g + 2144)));
        __m512i isum[C];
        for (int c = 0; c < C; ++c) isum[c] = _mm512_setzero_si512();
        if (C <= 2) { // decode: stream ahead (the scales' two lines here, the nibbles per group j)
            _mm_prefetch(reinterpret_cast<const char *>(g) + 2048 + kPrefetchBytes, _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char *>(g) + 2112 + kPrefetchBytes, _MM_HINT_T0);
        }
        for (int j = 0; j < 8; ++j) {
            __m512i u[8];
            if (C <= 2)
                for (int l = 0; l < 4; ++l)
                    _mm_prefetch(reinterpret_cast<const char *>(g) + 256 * j + 64 * l + kPrefetchBytes, _MM_HINT_T0);
            pack_decode<true>(g + 256 * j, table, u);
            const __m512i lo = _mm512_and_si512(_mm512_srli_epi32(scl, 4 * j), m4);
            const __m512i hi = _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(sch, 2 * j), m2), 4);
            const __m512i ls = _mm512_sub_epi32(_mm512_or_si512(lo, hi), k32);
#pragma GCC unroll 8
            for (int c = 0; c < C; ++c) {
                const int8_t *q = reinterpret_cast<const BlockQ8_K *>(a + c * as)[b].qs + 32 * j;
                __m512i i = _mm512_set1_epi32(seed[8 * (c * nbc + (b - b0)) + j]);
#pragma GCC unroll 4
                for (int t = 0; t < 4; ++t) {
                    i = _mm512_dpbusd_epi32(i, u[t], bcast_dword512(q + 4 * t));
                    i = _mm512_dpbusd_epi32(i, u[t + 4], bcast_dword512(q + 16 + 4 * t));
                }
                isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(i, ls));
            }
        }
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(g + 2048)));
        for (int c = 0; c < C; ++c)
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[c]),
                                     _mm512_mul_ps(dw, _mm512_set1_ps(da[c * nbc + (b - b0)])), acc[c]);
    }
    store_acc<C>(acc, out, os, add);
}

// The super-block types' matmul (IQ4_XS, Q4_K): super-blocks in passes of
// kXsBlockChunk, activation rows in panels whose prep entries (kXsActMax)
// fit the stack; per panel prep(a, np, b0, nbc), then per group of 16 rows
// and tile of C activation rows tile(Int<C>, group, b0, nbc, j, a + j
// rows, out + its place, add).
template <class Prep, class Tile>
void xs_matmul_panels(int64_t nb, const uint8_t *wb, size_t w_stride, int64_t n_rows, const uint8_t *ab,
                      size_t act_stride, int64_t n_act, float *out, size_t out_stride, const Prep &prep,
                      const Tile &tile) {
    for (int64_t b0 = 0; b0 < nb; b0 += kXsBlockChunk) {
        const int64_t nbc = nb - b0 < kXsBlockChunk ? nb - b0 : kXsBlockChunk;
        const int64_t panel = kXsActMax / nbc;
        for (int64_t j0 = 0; j0 < n_act; j0 += panel) {
            const int64_t np = n_act - j0 < panel ? n_act - j0 : panel;
            const uint8_t *a = ab + j0 * act_stride;
            prep(a, np, b0, nbc);
            for (int64_t g = 0; g < n_rows; g += kPackRows)
                for_each_act_tile(np, [&](int64_t j, auto c) {
                    tile(c, wb + g * w_stride, b0, nbc, j, a + j * act_stride, out + (j0 + j) * out_stride + g,
                         b0 > 0);
                });
        }
    }
}

void matmul_packed_xs512(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                         size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    const __m512i table = _mm512_broadcast_i32x4(
        _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4nlValues)), _mm_set1_epi8(char(0x80))));
    int32_t seed[8 * kXsActMax];
    float d[kXsActMax];
    xs_matmul_panels(
        k / kQKK, static_cast<const uint8_t *>(w), w_stride, n_rows, static_cast<const uint8_t *>(act), act_stride,
        n_act, out, out_stride,
        [&](const uint8_t *a, int64_t np, int64_t b0, int64_t nbc) { xs_prep(a, act_stride, np, b0, nbc, seed, d); },
        [&](auto c, const uint8_t *group, int64_t b0, int64_t nbc, int64_t j, const uint8_t *aj, float *o, bool add) {
            xs_tile<decltype(c)::value>(group, b0, nbc, seed + 8 * j * nbc, d + j * nbc, aj, act_stride, o,
                                        out_stride, add, table);
        });
}

// Q4_K (packed.h): group j of 32 values of a super-block is the low (j
// even) or high (j odd) nibbles of the 8 vectors of chunk j/2, so vpdpbusd
// of the nibbles against the signed activations gives every row's exact
// group sum; times the rows' 6-bit scales of the group (vpmulld) it adds up
// over the super-block in int32. The mins: the sum over groups of m times
// the group's activation sum (Q8_K's bsums), two groups per vpdpwssd
// (both fit int16). Then per super-block and activation row two cvt and
// two fma: d * da * isum - dmin * da * msum. The integer sums are the
// scalar reference's; every activation row takes the same steps whatever
// the tile (a row's result does not depend on its place in the batch).
// Measured on a Zen 4 class EPYC (kernel_bench --type Q4_K --k 4864 --rows
// 1024 --acts 1 --threads 1, in L2): see docs/performance.md, 2026-12-06.

// Per activation row and super-block: its d, and its 8 group sums as 4
// dwords of int16 pairs (group 2k in the low half, 2k + 1 in the high).
void q4k_prep(const uint8_t *a, size_t as, int64_t n, int64_t b0, int64_t nbc, int32_t *sums, float *d) {
    for (int64_t c = 0; c < n; ++c)
        for (int64_t b = 0; b < nbc; ++b) {
            const auto &x = reinterpret_cast<const BlockQ8_K *>(a + c * as)[b0 + b];
            int32_t *s = sums + 4 * (c * nbc + b);
            for (int k = 0; k < 4; ++k) {
                const int lo = x.bsums[4 * k] + x.bsums[4 * k + 1], hi = x.bsums[4 * k + 2] + x.bsums[4 * k + 3];
                s[k] = int32_t(uint32_t(uint16_t(lo)) | uint32_t(uint16_t(hi)) << 16);
            }
            d[c * nbc + b] = x.d;
        }
}

// The 6-bit scale (sc = true) or min of group j of the 16 rows, from the
// rows' scale bytes 0-3 (a), 4-7 (m) and 8-11 (h) in the int32 lanes (the
// packing of BlockQ4_K::scales, as k45_raw in x86_kquants.h).
inline __m512i q4k_six(const __m512i &a, const __m512i &m, const __m512i &h, int j, bool sc) {
    const __m512i low = sc ? a : m;
    if (j < 4) return _mm512_and_si512(_mm512_srli_epi32(low, 8 * j), _mm512_set1_epi32(63));
    const int sh = 8 * (j - 4);
    const __m512i h4 = _mm512_and_si512(_mm512_srli_epi32(h, sc ? sh : sh + 4), _mm512_set1_epi32(15));
    const __m512i top = _mm512_and_si512(_mm512_srli_epi32(low, sh + 6), _mm512_set1_epi32(3));
    return _mm512_or_si512(h4, _mm512_slli_epi32(top, 4));
}

template <int C>
void q4k_tile(const uint8_t *group, int64_t b0, int64_t nbc, const int32_t *sums, const float *da, const uint8_t *a,
              size_t as, float *out, size_t os, bool add) {
    __m512 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    for (int64_t b = b0; b < b0 + nbc; ++b) {
        const uint8_t *g = group + b * kPackQ4KBytes;
        // decode: stream ahead (the scales' four lines here, the nibbles
        // per chunk) into L2, not L1: Zen 4 class EPYC, kernel_bench --type
        // Q4_K --packed 1 --acts 1 --threads 2 --pages 1 --k 3584 --rows
        // 65536 --call 4736, 3 interleaved runs: 20.0-23.1 -> 40.7-43.5
        // GB/s (the other decode streams measured within noise of it).
        if (C <= 2)
            for (int l = 0; l < 4; ++l)
                _mm_prefetch(reinterpret_cast<const char *>(g) + 2048 + 64 * l + kPrefetchBytes, _MM_HINT_T1);
        const __m512i sa = _mm512_loadu_si512(g + 2048), sm = _mm512_loadu_si512(g + 2112),
                      sh = _mm512_loadu_si512(g + 2176);
        __m512i isum[C];
        for (int c = 0; c < C; ++c) isum[c] = _mm512_setzero_si512();
        for (int j = 0; j < 8; ++j) {
            const uint8_t *nib = g + 512 * (j / 2);
            if (C <= 2 && j % 2 == 0)
                for (int l = 0; l < 8; ++l)
                    _mm_prefetch(reinterpret_cast<const char *>(nib) + 64 * l + kPrefetchBytes, _MM_HINT_T1);
            __m512i u[8];
            for (int p = 0; p < 8; ++p) {
                const __m512i v = _mm512_loadu_si512(nib + 64 * p);
                u[p] = _mm512_and_si512(j % 2 ? _mm512_srli_epi16(v, 4) : v, m4);
            }
            const __m512i ls = q4k_six(sa, sm, sh, j, true);
#pragma GCC unroll 8
            for (int c = 0; c < C; ++c) {
                const int8_t *q = reinterpret_cast<const BlockQ8_K *>(a + c * as)[b].qs + 32 * j;
                __m512i i = _mm512_setzero_si512();
#pragma GCC unroll 8
                for (int p = 0; p < 8; ++p) i = _mm512_dpbusd_epi32(i, u[p], bcast_dword512(q + 4 * p));
                isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(i, ls));
            }
        }
        __m512i mp[4];
        for (int k = 0; k < 4; ++k)
            mp[k] = _mm512_or_si512(q4k_six(sa, sm, sh, 2 * k, false),
                                    _mm512_slli_epi32(q4k_six(sa, sm, sh, 2 * k + 1, false), 16));
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(g + 2240)));
        const __m512 dm = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(g + 2272)));
        for (int c = 0; c < C; ++c) {
            const int64_t pi = c * nbc + (b - b0);
            __m512i ms = _mm512_setzero_si512();
            for (int k = 0; k < 4; ++k) ms = _mm512_dpwssd_epi32(ms, mp[k], _mm512_set1_epi32(sums[4 * pi + k]));
            const __m512 dac = _mm512_set1_ps(da[pi]);
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[c]), _mm512_mul_ps(dw, dac), acc[c]);
            acc[c] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(ms), _mm512_mul_ps(dm, dac), acc[c]);
        }
    }
    store_acc<C>(acc, out, os, add);
}

void matmul_packed_q4k512(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                          size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    int32_t sums[4 * kXsActMax];
    float d[kXsActMax];
    xs_matmul_panels(
        k / kQKK, static_cast<const uint8_t *>(w), w_stride, n_rows, static_cast<const uint8_t *>(act), act_stride,
        n_act, out, out_stride,
        [&](const uint8_t *a, int64_t np, int64_t b0, int64_t nbc) { q4k_prep(a, act_stride, np, b0, nbc, sums, d); },
        [&](auto c, const uint8_t *group, int64_t b0, int64_t nbc, int64_t j, const uint8_t *aj, float *o, bool add) {
            q4k_tile<decltype(c)::value>(group, b0, nbc, sums + 4 * j * nbc, d + j * nbc, aj, act_stride, o,
                                         out_stride, add);
        });
}

// Q5_0 / Q5_1 (packed.h): the nibble decode above, then the fifth bits as
// one 64-bit mask per byte vector (kmovq) adding 0x10 to the chosen bytes
// (masked vpaddb): u = nibble | bit << 4 in 0..31. Q5_0 (q = u - 16) seeds
// vpdpbusd with -16 * sum(a) like Q4_0 (pack_prep<16>); Q5_1 (x = d*u + m)
// seeds 0 and adds m * s of the Q8_1 activation block (one fma per block).
// The 8 byte vectors u = nibble | bit << 4 (0..31) of a Q5 block.
inline void q5_decode(const uint8_t *group, const Q5Offsets &o, __m512i u[8]) {
    const __m512i x10 = _mm512_set1_epi8(0x10);
    pack_decode<false>(group + o.nib, x10, u);
    for (int t = 0; t < 8; ++t) {
        uint64_t m;
        __builtin_memcpy(&m, group + o.qh + 8 * t, 8);
        u[t] = _mm512_mask_add_epi8(u[t], _cvtu64_mask64(m), u[t], x10);
    }
}

void q5_1_prep(const uint8_t *a, size_t as, int64_t n, int64_t b0, int64_t nbc, float *d, float *s) {
    for (int64_t c = 0; c < n; ++c) {
        const auto *x = reinterpret_cast<const BlockQ8_1 *>(a + c * as) + b0;
        int64_t b = 0;
        for (; b + 8 <= nbc; b += 8) { // d and s of 8 blocks by one gather each
            const __m256i at = _mm256_setr_epi32(0, 36, 72, 108, 144, 180, 216, 252);
            const __m256i h = _mm256_i32gather_epi32(reinterpret_cast<const int *>(x + b), at, 1);
            const __m256i lo = _mm256_and_si256(h, _mm256_set1_epi32(0xFFFF)), hi = _mm256_srli_epi32(h, 16);
            _mm256_storeu_ps(d + c * nbc + b, _mm256_cvtph_ps(_mm256_cvtepi32_epi16(lo)));
            _mm256_storeu_ps(s + c * nbc + b, _mm256_cvtph_ps(_mm256_cvtepi32_epi16(hi)));
        }
        for (; b < nbc; ++b) {
            d[c * nbc + b] = half(x[b].d);
            s[c * nbc + b] = half(x[b].s);
        }
    }
}

template <bool kMin, int C>
void q5_tile(const uint8_t *group, int64_t nb, int64_t b0, int64_t nbc, const int32_t *pbase, const float *pd,
             const float *ps, const uint8_t *a, size_t as, float *out, size_t os, bool add) {
    constexpr size_t kABytes = kMin ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0);
    constexpr size_t kQsAt = kMin ? offsetof(BlockQ8_1, qs) : offsetof(BlockQ8_0, qs);
    __m512 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
    for (int64_t b = b0; b < b0 + nbc; ++b) {
        const Q5Offsets o = q5_offsets(kMin, b, nb);
        if (C <= 2) { // decode: stream ahead (about a block's 5.5 / 6 lines)
            const char *pf = reinterpret_cast<const char *>(group + o.nib) + kPrefetchBytes;
            for (int l = 0; l < 4; ++l) _mm_prefetch(pf + 64 * l, _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char *>(group + o.qh) + kPrefetchBytes, _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char *>(group + o.d) + kPrefetchBytes, _MM_HINT_T0);
        }
        __m512i u[8];
        q5_decode(group, o, u);
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(group + o.d)));
        __m512 mw = _mm512_setzero_ps();
        if (kMin) mw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(group + o.m)));
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
            const int64_t pi = c * nbc + (b - b0);
            const auto *q = reinterpret_cast<const int8_t *>(a + c * as + b * kABytes + kQsAt);
            __m512i lo = kMin ? _mm512_setzero_si512() : _mm512_set1_epi32(pbase[pi]), hi = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int t = 0; t < 4; ++t) {
                lo = _mm512_dpbusd_epi32(lo, u[t], bcast_dword512(q + 4 * t));
                hi = _mm512_dpbusd_epi32(hi, u[t + 4], bcast_dword512(q + 16 + 4 * t));
            }
            const __m512 f = _mm512_cvtepi32_ps(_mm512_add_epi32(lo, hi));
            acc[c] = _mm512_fmadd_ps(f, _mm512_mul_ps(dw, _mm512_set1_ps(pd[pi])), acc[c]);
            if (kMin) acc[c] = _mm512_fmadd_ps(mw, _mm512_set1_ps(ps[pi]), acc[c]);
        }
    }
    store_acc<C>(acc, out, os, add);
}

// Calls of few groups with >= 3 activation rows (as matmul_packed_signed):
// no per-call activation prep. Q5_1: u against the signed activations, the
// activation's d and s read per block. Q5_0: the weights signed (u - 16 by
// vpsubb), the activations made unsigned per broadcast (x ^ 0x80), and
// vpdpbusd seeded with -128 * sum(w) per group and block (kept for
// kPackSChunk blocks).
template <bool kMin, int C>
void q5_tile_direct(const uint8_t *group, int64_t nb, int64_t b0, int64_t nbc, const __m512i *seed,
                    const uint8_t *a, size_t as, float *out, size_t os, bool add) {
    constexpr size_t kABytes = kMin ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0);
    constexpr size_t kQsAt = kMin ? offsetof(BlockQ8_1, qs) : offsetof(BlockQ8_0, qs);
    const __m512i flip = _mm512_set1_epi8(char(0x80)), x10 = _mm512_set1_epi8(0x10);
    __m512 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
    for (int64_t b = b0; b < b0 + nbc; ++b) {
        const Q5Offsets o = q5_offsets(kMin, b, nb);
        __m512i u[8];
        q5_decode(group, o, u);
        if (!kMin)
            for (int t = 0; t < 8; ++t) u[t] = _mm512_sub_epi8(u[t], x10);
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(group + o.d)));
        __m512 mw = _mm512_setzero_ps();
        if (kMin) mw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(group + o.m)));
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
            const uint8_t *blk = a + c * as + b * kABytes;
            const auto *q = reinterpret_cast<const int8_t *>(blk + kQsAt);
            uint16_t hd;
            __builtin_memcpy(&hd, blk, 2);
            __m512i i = kMin ? _mm512_setzero_si512() : seed[b - b0];
#pragma GCC unroll 8
            for (int t = 0; t < 8; ++t) {
                const __m512i x = bcast_dword512(q + 4 * t);
                i = kMin ? _mm512_dpbusd_epi32(i, u[t], x) : _mm512_dpbusd_epi32(i, _mm512_xor_si512(x, flip), u[t]);
            }
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), _mm512_mul_ps(dw, _mm512_set1_ps(half(hd))), acc[c]);
            if (kMin) {
                uint16_t hs;
                __builtin_memcpy(&hs, blk + 2, 2);
                acc[c] = _mm512_fmadd_ps(mw, _mm512_set1_ps(half(hs)), acc[c]);
            }
        }
    }
    store_acc<C>(acc, out, os, add);
}

template <bool kMin>
void matmul_packed_q5_direct(int64_t nb, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as,
                             int64_t n_act, float *out, size_t os) {
    __m512i seed[kPackSChunk];
    const __m512i ones = _mm512_set1_epi8(1);
    for (int64_t g = 0; g < n_rows; g += kPackRows)
        for (int64_t b0 = 0; b0 < nb; b0 += kPackSChunk) {
            const int64_t nbc = nb - b0 < kPackSChunk ? nb - b0 : kPackSChunk;
            const uint8_t *group = w + g * ws;
            if (!kMin) // -128 * sum(u - 16) = -128 * (sum(u) - 512)
                for (int64_t b = 0; b < nbc; ++b) {
                    __m512i u[8];
                    q5_decode(group, q5_offsets(false, b0 + b, nb), u);
                    __m512i sum = _mm512_setzero_si512();
                    for (int t = 0; t < 8; ++t) sum = _mm512_dpbusd_epi32(sum, u[t], ones);
                    seed[b] = _mm512_slli_epi32(_mm512_sub_epi32(_mm512_set1_epi32(512), sum), 7);
                }
            for_each_act_tile(n_act, [&](int64_t j, auto c) {
                q5_tile_direct<kMin, decltype(c)::value>(group, nb, b0, nbc, seed, a + j * as, as, out + j * os + g, os,
                                                         b0 > 0);
            });
        }
}

// matmul_packed of Q5_0 / Q5_1: matmul_packed512's passes, panels and tiles.
template <bool kMin>
void matmul_packed_q5_512(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                          size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    const int64_t nb = k / kQK;
    if (n_act >= 3 && n_rows < kPackPrepGroups * kPackRows) {
        matmul_packed_q5_direct<kMin>(nb, wb, w_stride, n_rows, ab, act_stride, n_act, out, out_stride);
        return;
    }
    int32_t base[kMin ? 1 : kPackActMax]; // Q5_0: -16 * sum(q)
    float d[kPackActMax];
    float s[kMin ? kPackActMax : 1]; // Q5_1: the activation blocks' s
    for (int64_t b0 = 0; b0 < nb; b0 += kPackBlockChunk) {
        const int64_t nbc = nb - b0 < kPackBlockChunk ? nb - b0 : kPackBlockChunk;
        const int64_t panel = kPackActMax / nbc;
        for (int64_t j0 = 0; j0 < n_act; j0 += panel) {
            const int64_t np = n_act - j0 < panel ? n_act - j0 : panel;
            const uint8_t *a = ab + j0 * act_stride;
            if (kMin) q5_1_prep(a, act_stride, np, b0, nbc, d, s);
            else pack_prep<16>(a, act_stride, np, b0, nbc, PackAct{base, d});
            for (int64_t g = 0; g < n_rows; g += kPackRows) {
                const uint8_t *group = wb + g * w_stride;
                for_each_act_tile(np, [&](int64_t j, auto c) {
                    const int32_t *bj = kMin ? base : base + j * nbc;
                    const float *sj = kMin ? s + j * nbc : s;
                    q5_tile<kMin, decltype(c)::value>(group, nb, b0, nbc, bj, d + j * nbc, sj, a + j * act_stride,
                                                      act_stride, out + (j0 + j) * out_stride + g, out_stride, b0 > 0);
                });
            }
        }
    }
}

#define LOOM_PACKED_Q4_0 repack_nib16, matmul_packed512<false, 8>
#define LOOM_PACKED_IQ4_NL repack_nib16, matmul_packed512<true, 128>
#define LOOM_PACKED_IQ4_XS repack_iq4_xs, matmul_packed_xs512
#define LOOM_PACKED_Q4_K repack_q4_k, matmul_packed_q4k512
#define LOOM_PACKED_Q5_0 repack_q5_0, matmul_packed_q5_512<false>
#define LOOM_PACKED_Q5_1 repack_q5_1, matmul_packed_q5_512<true>
