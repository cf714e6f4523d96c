// The avx512 legacy matmul (included inside the level's anonymous namespace,
// after x86_legacy.h and x86_gemm512.h; AVX-512 F/BW/VL + VNNI). Decode
// (one activation row) of the nibble formats (Q4_0, Q5_0, IQ4_NL, Q4_1,
// Q5_1): 512-bit vectors holding two 32-value blocks.
//
// Once per call the activation row is laid out in "pairs" of blocks in the
// byte order the weight decode produces, with each block's -offset*sum(q)
// and scale already spread over the int32 lanes that belong to the block
// (PairAct). Then each pair of weight blocks costs one masked load, a word
// permute, the nibble split, one vpdpbusd, a fp16 scale permute + convert
// and two float ops, for R rows sharing the activation loads. Sums are the
// same exact per-block integers as the scalar reference; only the float
// summation order differs.

// Int32 lane l of vpdpbusd over a pair sums bytes 4l..4l+3. Nibble formats
// (qs[i] low nibble = value i, high = value i+16) decode to
//   [b0 values 0..15 | b1 values 0..15 | b0 values 16..31 | b1 values 16..31]
// so lanes 0-3, 8-11 belong to block 0 and 4-7, 12-15 to block 1.
template <bool v>
struct Bool {
    static constexpr bool value = v;
};

struct alignas(64) PairAct {
    int8_t q[64];
    int32_t base[16]; // -offset * sum(q of the block), spread over the block's lanes
    float d[16];      // activation scale of the lane's block
    float s[16];      // Q8_1 s of the block, in the block's first lane (else 0)
};

// Lane -> block of a pair (0 or 1).
inline int lane_block(int lane) { return (lane >> 2) & 1; }

// Pairs of activation blocks [p0, p1) of a Q8_0 / Q8_1 row (stride `ab`
// bytes per block, qs at `qs_off`, fp16 d at 0, fp16 s at 2 when kMin).
// The base is spread over the block's lanes (each lane: -offset * the sum
// of its own 4 bytes), which sums to the same exact block total.
template <bool kMin>
void prep_pairs(const uint8_t *a, size_t ab, size_t qs_off, int64_t nb, int64_t p0, int64_t p1, int offset,
                PairAct *out) {
    // lane -> block index (0/1), and the first lane of each block
    const __m512i didx = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1);
    const __mmask16 fmask = 0x0011;
    for (int64_t p = p0; p < p1; ++p) {
        PairAct &o = out[p - p0];
        const uint8_t *b0 = a + 2 * p * ab, *b1 = b0 + ab;
        const bool two = 2 * p + 1 < nb;
        const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b0 + qs_off));
        const __m256i q1 = two ? _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b1 + qs_off)) : _mm256_setzero_si256();
        __m512i z = _mm512_inserti64x4(_mm512_zextsi256_si512(q0), q1, 1);
        z = _mm512_shuffle_i64x2(z, z, 0xD8); // 128-bit lanes 0, 2, 1, 3
        _mm512_store_si512(o.q, z);
        const __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(char(offset)), z);
        _mm512_store_si512(o.base, _mm512_sub_epi32(_mm512_setzero_si512(), sums));
        uint16_t h[4] = {0, 0, 0, 0};
        __builtin_memcpy(&h[0], b0, 2);
        if (two) __builtin_memcpy(&h[1], b1, 2);
        if (kMin) {
            __builtin_memcpy(&h[2], b0 + 2, 2);
            if (two) __builtin_memcpy(&h[3], b1 + 2, 2);
        }
        uint64_t hv;
        __builtin_memcpy(&hv, h, 8);
        const __m512 f = _mm512_castps128_ps512(_mm_cvtph_ps(_mm_cvtsi64_si128(int64_t(hv)))); // d0 d1 s0 s1
        _mm512_store_ps(o.d, _mm512_permutexvar_ps(didx, f));
        if (kMin)
            _mm512_store_ps(o.s, _mm512_maskz_permutexvar_ps(fmask, _mm512_add_epi32(didx, _mm512_set1_epi32(2)), f));
    }
}

// Words of a fp16 field repeated over the lanes of the nibble layout:
// lanes 0-3, 8-11 take word w0, lanes 4-7, 12-15 word w1.
inline __m512i nibble_word_index(int w0, int w1) {
    alignas(64) int16_t idx[32];
    for (int l = 0; l < 32; ++l) idx[l] = int16_t(l < 16 ? (lane_block(l) ? w1 : w0) : 0);
    return _mm512_load_si512(idx);
}

// Nibble formats (Q4_0, Q5_0, IQ4_NL, Q4_1, Q5_1): both blocks of a pair fit
// one 64-byte masked load.
template <class Wt, int kQsOff, int kQhOff, int kMinOff, bool kTable, int kOffset>
struct GNibble {
    using W = Wt;
    static constexpr int kBytes = int(sizeof(Wt));
    static constexpr bool kHasMin = kMinOff >= 0, kPairGemv = true;
    static constexpr int kOffsetValue = kOffset;
    struct Consts {
        __m512i qperm, dperm, mperm, table;
    };
    static Consts consts() {
        static_assert(kBytes % 2 == 0 && kQsOff % 2 == 0, "qs at word offsets");
        Consts c;
        alignas(64) int16_t qi[32];
        // words 0-7: qs of block 0, 8-15: qs of block 1, 16-31: the same again
        for (int l = 0; l < 32; ++l) qi[l] = int16_t(((l / 8) & 1) * (kBytes / 2) + kQsOff / 2 + l % 8);
        c.qperm = _mm512_load_si512(qi);
        c.dperm = nibble_word_index(0, kBytes / 2);
        c.mperm = nibble_word_index(kMinOff / 2, kBytes / 2 + kMinOff / 2);
        __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4nlValues));
        c.table = _mm512_xor_si512(_mm512_broadcast_i32x4(t), _mm512_set1_epi8(char(0x80)));
        return c;
    }
    // two: both blocks of the pair (else only the first, the last of an odd count).
    template <bool two>
    static void decode(const uint8_t *p, const Consts &c, __m512i &q, __m512 &d, __m512 &m) {
        const __m512i v = _mm512_maskz_loadu_epi8(two ? ~0ull >> (64 - 2 * kBytes) : ~0ull >> (64 - kBytes), p);
        __m512i x = _mm512_permutexvar_epi16(c.qperm, v);
        x = _mm512_mask_srli_epi16(x, __mmask32(0xFFFF0000u), x, 4);
        x = _mm512_and_si512(x, _mm512_set1_epi8(0x0F));
        if (kTable) x = _mm512_shuffle_epi8(c.table, x);
        if (kQhOff >= 0) {
            uint32_t h0, h1 = 0;
            __builtin_memcpy(&h0, p + kQhOff, 4);
            if (two) __builtin_memcpy(&h1, p + kBytes + kQhOff, 4);
            const uint64_t hm = uint64_t(h0 & 0xFFFF) | uint64_t(h1 & 0xFFFF) << 16 | uint64_t(h0 >> 16) << 32 |
                                uint64_t(h1 >> 16) << 48;
            x = _mm512_mask_add_epi8(x, __mmask64(hm), x, _mm512_set1_epi8(0x10)); // nibble + 16
        }
        q = x;
        d = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(c.dperm, v)));
        if (kHasMin) m = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(c.mperm, v)));
    }
};

// Q8_0 decode keeps the 256-bit per-block tiles (x86_skeleton.h): a 512-bit
// pair version (68 bytes a pair: a 64-byte load for the scales, two 32-byte
// loads for the values) measured 0.85-0.95x of it (kernel_bench, 2026-11-22).
struct G8_0 {
    static constexpr bool kPairGemv = false;
};

// Pairs of activation blocks prepared per pass and activation row (16 KiB
// of stack each); longer rows run in several passes that add to out.
constexpr int64_t kGemvPairs = 64;

// R rows x C activation rows over pairs [0, np) of prepared activations
// (pa + c * kGemvPairs for activation row c; the last pair holds a single
// block when `odd`); out[c * os + r] (+)= the dot. Each weight pair is
// decoded once for the C activation rows.
template <class G, int R, int C>
void gemv_rows(int64_t np, bool odd, const uint8_t *w, size_t ws, const PairAct *pa, const typename G::Consts &c,
               float *out, size_t os, bool add) {
    __m512 acc[R][C], accm[R][C];
    for (int r = 0; r < R; ++r)
        for (int j = 0; j < C; ++j) acc[r][j] = accm[r][j] = _mm512_setzero_ps();
    const auto step = [&](int64_t p, auto two) {
        __m512i xq[C], base[C];
        __m512 da[C];
        for (int j = 0; j < C; ++j) {
            const PairAct &x = pa[j * kGemvPairs + p];
            xq[j] = _mm512_load_si512(x.q);
            base[j] = _mm512_load_si512(x.base);
            da[j] = _mm512_load_ps(x.d);
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const uint8_t *blk = w + r * ws + 2 * p * G::kBytes;
            _mm_prefetch(reinterpret_cast<const char *>(blk) + kPrefetchBytes, _MM_HINT_T0);
            if (G::kBytes > 32) _mm_prefetch(reinterpret_cast<const char *>(blk) + kPrefetchBytes + 64, _MM_HINT_T0);
            __m512i q;
            __m512 d, m;
            G::template decode<decltype(two)::value>(blk, c, q, d, m);
            for (int j = 0; j < C; ++j) {
                const __m512i i = _mm512_dpbusd_epi32(base[j], q, xq[j]);
                acc[r][j] = _mm512_fmadd_ps(_mm512_mul_ps(d, da[j]), _mm512_cvtepi32_ps(i), acc[r][j]);
                if (G::kHasMin) accm[r][j] = _mm512_fmadd_ps(m, _mm512_load_ps(pa[j * kGemvPairs + p].s), accm[r][j]);
            }
        }
    };
    const int64_t full = odd ? np - 1 : np;
    for (int64_t p = 0; p < full; ++p) step(p, Bool<true>());
    if (odd) step(full, Bool<false>());
    for (int r = 0; r < R; ++r)
        for (int j = 0; j < C; ++j) {
            const float s = _mm512_reduce_add_ps(G::kHasMin ? _mm512_add_ps(acc[r][j], accm[r][j]) : acc[r][j]);
            float &o = out[j * os + r];
            o = add ? o + s : s;
        }
}

// C (1 or 2) activation rows: decode, and the two-part activations of the
// exact matmul precision.
template <class G, int R, int C>
void gemv_legacy(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as, float *out,
                 size_t os) {
    const size_t ab = G::kHasMin ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0), qs_off = G::kHasMin ? 4 : 2;
    const int64_t nb = k / kQK, npairs = (nb + 1) / 2;
    static const typename G::Consts c = G::consts(); // index vectors, built once
    PairAct pa[C * kGemvPairs];
    for (int64_t p0 = 0; p0 < npairs; p0 += kGemvPairs) {
        const int64_t p1 = p0 + kGemvPairs < npairs ? p0 + kGemvPairs : npairs;
        for (int j = 0; j < C; ++j)
            prep_pairs<G::kHasMin>(a + j * as, ab, qs_off, nb, p0, p1, G::kOffsetValue, pa + j * kGemvPairs);
        const bool add = p0 > 0;
        int64_t r = 0;
        const bool odd = p1 == npairs && nb % 2;
        const uint8_t *wp = w + 2 * p0 * G::kBytes;
        for (; r + R <= n_rows; r += R) gemv_rows<G, R, C>(p1 - p0, odd, wp + r * ws, ws, pa, c, out + r, os, add);
        for (; r < n_rows; ++r) gemv_rows<G, 1, C>(p1 - p0, odd, wp + r * ws, ws, pa, c, out + r, os, add);
    }
}

// Q8_0 decode: one weight row at a time, so each thread reads a single
// stream with its software prefetch 8 KiB ahead. From memory (896x151936,
// 2 threads, `kernel_bench --type Q8_0 --isa avx512 --acts 1`, best of 3,
// 2026-11-22) that streamed 58-64 GB/s against 38-55 for 4-row tiles
// prefetching 24 KiB ahead on each row. (On a matrix that stays in L3 the
// 4-row tiles are faster, 44 vs 33 GB/s at one thread, but a model's
// weights come from memory every token.) The exact precision's two
// activation rows take the same single stream (C = 2): on the Xeon with
// AMX, weights in huge pages, 0.5B Q8_0 exact decode went from 30 to
// 41 tok/s against the 256-bit 4-row tiles (2026-12-04).
constexpr int kStreamPrefetchBytes = 8192;
// Up to 4 activation rows (a few sequences decoding together; the exact
// precision's two-part rows of two) take the same stream, each block
// decoded once for all of them, instead of the 16-row lanes gemm, which
// re-reads weight rows without a prefetch: Zen 4 class EPYC, 2 threads,
// `kernel_bench --type Q8_0 --isa avx512 --k 896 --rows 151936 --acts 4`,
// 13.2 -> 7.2 ms (gemm at 5 / 6 / 8 rows: 10.6 / 11.1 / 12.2 ms, this
// stream in chunks of 4: 9.9 / 11.6 / -, so from 5 rows the gemm stays).
constexpr int64_t kStreamActs = 4;

template <class T, int C>
void gemv_streamed(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as, float *out,
                   size_t os) {
    const int64_t nb = k / T::kValues;
    for (int64_t r = 0; r < n_rows; ++r) tile<T, 1, C, kStreamPrefetchBytes>(nb, w + r * ws, ws, a, as, out + r, os);
}

// The avx512 legacy matmul: the pair gemv for one or two activation rows
// (Q8_0: the single stream for up to kStreamActs), the 16-row lanes gemm
// (x86_gemm512.h) for more.
template <class T, class G>
void matmul_legacy512(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                      int64_t n_act, float *out, size_t out_stride) {
    if constexpr (G::kPairGemv) {
        const auto *wb = static_cast<const uint8_t *>(w);
        const auto *ab = static_cast<const uint8_t *>(act);
        if (n_act == 1) {
            gemv_legacy<G, kGemvR, 1>(k, wb, w_stride, n_rows, ab, act_stride, out, out_stride);
            return;
        }
        if (n_act == 2) {
            gemv_legacy<G, kGemvR, 2>(k, wb, w_stride, n_rows, ab, act_stride, out, out_stride);
            return;
        }
    }
    if (n_act <= kStreamActs) { // Q8_0 decode, its two-part activations (exact precision), a few sequences
        const auto *wb = static_cast<const uint8_t *>(w);
        const auto *ab = static_cast<const uint8_t *>(act);
        if (n_act == 1) gemv_streamed<T, 1>(k, wb, w_stride, n_rows, ab, 0, out, 0);
        else if (n_act == 2) gemv_streamed<T, 2>(k, wb, w_stride, n_rows, ab, act_stride, out, out_stride);
        else if (n_act == 3) gemv_streamed<T, 3>(k, wb, w_stride, n_rows, ab, act_stride, out, out_stride);
        else gemv_streamed<T, 4>(k, wb, w_stride, n_rows, ab, act_stride, out, out_stride);
        return;
    }
    gemm16<T>(k, static_cast<const uint8_t *>(w), w_stride, n_rows, static_cast<const uint8_t *>(act), act_stride,
              n_act, out, out_stride);
}

//                    weights      qs qh  min  table offset
using G4_0 = GNibble<BlockQ4_0, 2, -1, -1, false, 8>;
using G5_0 = GNibble<BlockQ5_0, 6, 2, -1, false, 16>;
using GIQ4_NL = GNibble<BlockIQ4_NL, 2, -1, -1, true, 128>;
using G4_1 = GNibble<BlockQ4_1, 4, -1, 2, false, 0>;
using G5_1 = GNibble<BlockQ5_1, 8, 4, 2, false, 0>;
