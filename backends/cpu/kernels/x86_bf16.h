// BF16 weights x BF16 activations with AVX512_BF16 (included inside the
// anonymous namespace of x86_avx512bf16.cpp). vdpbf16ps adds to each f32
// lane the two products of a pair of bf16 values (w[2i]*a[2i] +
// w[2i+1]*a[2i+1]): the products are exact in f32, the two additions round
// to nearest even, and denormal inputs and results are flushed to zero. So a
// row dot product differs from the f32 reference on the same bf16 values
// only by f32 summation order (denormal terms are below 2^-126 each).
//
// Activations are rounded once per matmul to bf16 (round to nearest even,
// NaN kept and made quiet: bit-identical to lib/quant's fp32_to_bf16), so
// the weights are never widened: 32 values per 64-byte load, one vdpbf16ps.
//   1-2 activation rows (decode): one weight row at a time (one sequential
//     stream), one cache line per step, software prefetch kDecodePrefetch
//     bytes ahead (bf16_gemv). 4 rows per pass (interleaved streams, 24 KiB
//     ahead) measured 0.85-0.9x of it on 896x151936 (tests/bench/README.md).
//   more (prompt): weight rows in chunks of kChunkRows (kept in L1/L2), and
//     per chunk register tiles of 4 weight rows x 6 activation rows (24
//     accumulators) whose sums are reduced with shuffles, 4 or 2 columns
//     at a time.
// k need not be a multiple of 32: the last step loads with a mask (zeros).

constexpr int kDecodePrefetch = 8192; // bytes ahead of the decode stream
constexpr int kChunkRows = 8;    // weight rows per prompt chunk (8 measured above 16 and 32 at k=4864)

// 16 f32 (as bits) -> 16 bf16.
inline __m256i round_bf16(__m512i u) {
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                                  _mm512_set1_epi32(0x7f800000));
    return _mm512_cvtepi32_epi16(_mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40)));
}

void convert_bf16_x86(const float *x, void *dst, int64_t k) {
    auto *d = static_cast<uint8_t *>(dst);
    int64_t i = 0;
    for (; i + 16 <= k; i += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(d + 2 * i), round_bf16(_mm512_loadu_si512(x + i)));
    if (i < k) {
        const __mmask16 m = static_cast<__mmask16>((1u << (k - i)) - 1);
        _mm256_mask_storeu_epi16(d + 2 * i, m, round_bf16(_mm512_maskz_loadu_epi32(m, x + i)));
    }
}

inline __m512bh bf16x32(const uint8_t *p) { return (__m512bh)_mm512_loadu_si512(p); }
inline __m512bh bf16x32(const uint8_t *p, __mmask32 m) { return (__m512bh)_mm512_maskz_loadu_epi16(m, p); }

// acc[r][c] += the 32 values at value offset i of weight row r and
// activation row c (masked: the first values of m only).
template <int R, int C, bool Masked>
inline void dp_step(__m512 (&acc)[R][C], const uint8_t *w, size_t ws, const uint8_t *a, size_t as, int64_t i,
                    __mmask32 m) {
    __m512bh wv[R];
    for (int r = 0; r < R; ++r) wv[r] = Masked ? bf16x32(w + r * ws + 2 * i, m) : bf16x32(w + r * ws + 2 * i);
    for (int c = 0; c < C; ++c) {
        const __m512bh av = Masked ? bf16x32(a + c * as + 2 * i, m) : bf16x32(a + c * as + 2 * i);
        for (int r = 0; r < R; ++r) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], wv[r], av);
    }
}

// Four zmm -> one: 128-bit chunk j holds 4 partial sums of vector j.
inline __m512 fold4(__m512 a, __m512 b, __m512 c, __m512 d) {
    const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                                    _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
    const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(1, 0, 1, 0)),
                                    _mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(3, 2, 3, 2)));
    return _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(3, 1, 3, 1)));
}

// Four rows x four activation rows from column c: lane r of chunk j of the
// result is the total of acc[r][c + j]; chunk j goes to out[(c + j)*os + 0..3].
template <int C>
inline void store_4x4(__m512 (&acc)[4][C], int c, float *out, size_t os) {
    __m512 s[4]; // chunk j of s[r] = partials of (r, c + j)
    for (int r = 0; r < 4; ++r) s[r] = fold4(acc[r][c], acc[r][c + 1], acc[r][c + 2], acc[r][c + 3]);
    const __m512 p = _mm512_add_ps(_mm512_unpacklo_ps(s[0], s[1]), _mm512_unpackhi_ps(s[0], s[1]));
    const __m512 q = _mm512_add_ps(_mm512_unpacklo_ps(s[2], s[3]), _mm512_unpackhi_ps(s[2], s[3]));
    const __m512d pd = _mm512_castps_pd(p), qd = _mm512_castps_pd(q);
    const __m512 t = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(pd, qd)),
                                   _mm512_castpd_ps(_mm512_unpackhi_pd(pd, qd)));
    // (immediates spelled out: the extract needs a constant even when the loop is not unrolled)
    _mm_storeu_ps(out + c * os, _mm512_castps512_ps128(t));
    _mm_storeu_ps(out + (c + 1) * os, _mm512_extractf32x4_ps(t, 1));
    _mm_storeu_ps(out + (c + 2) * os, _mm512_extractf32x4_ps(t, 2));
    _mm_storeu_ps(out + (c + 3) * os, _mm512_extractf32x4_ps(t, 3));
}

// Four rows x two activation rows from column c.
template <int C>
inline void store_4x2(__m512 (&acc)[4][C], int c, float *out, size_t os) {
    // chunks of x: (0,c) (0,c+1) (1,c) (1,c+1); of y: the same for rows 2, 3.
    const __m512 x = fold4(acc[0][c], acc[0][c + 1], acc[1][c], acc[1][c + 1]);
    const __m512 y = fold4(acc[2][c], acc[2][c + 1], acc[3][c], acc[3][c + 1]);
    __m512 p = _mm512_add_ps(_mm512_unpacklo_ps(x, y), _mm512_unpackhi_ps(x, y));
    p = _mm512_add_ps(p, _mm512_permute_ps(p, _MM_SHUFFLE(1, 0, 3, 2))); // lane 0: x's total, 1: y's
    const __m512 t = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 8, 1, 9, 4, 12, 5, 13, 0, 0, 0, 0, 0, 0, 0, 0), p);
    _mm_storeu_ps(out + c * os, _mm512_castps512_ps128(t));
    _mm_storeu_ps(out + (c + 1) * os, _mm512_extractf32x4_ps(t, 1));
}

// out[c*os + r] = sum of the lanes of acc[r][c].
template <int R, int C>
inline void store_sums(__m512 (&acc)[R][C], float *out, size_t os) {
    int c = 0;
    if constexpr (R == 4) {
        for (; c + 4 <= C; c += 4) store_4x4<C>(acc, c, out, os);
        for (; c + 2 <= C; c += 2) store_4x2<C>(acc, c, out, os);
    }
    for (; c < C; ++c)
        for (int r = 0; r < R; ++r) out[c * os + r] = _mm512_reduce_add_ps(acc[r][c]);
}

// One R x C tile over all k. H accumulator sets take alternate steps (the
// dot product latency when R*C chains are too few to hide it).
template <int R, int C, int H>
void bf16_tile(int64_t k, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
    __m512 acc[H][R][C];
    for (int h = 0; h < H; ++h)
        for (int r = 0; r < R; ++r)
            for (int c = 0; c < C; ++c) acc[h][r][c] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 * H <= k; i += 32 * H)
        for (int h = 0; h < H; ++h) dp_step<R, C, false>(acc[h], w, ws, a, as, i + 32 * h, 0);
    for (; i + 32 <= k; i += 32) dp_step<R, C, false>(acc[0], w, ws, a, as, i, 0);
    if (i < k) dp_step<R, C, true>(acc[H - 1], w, ws, a, as, i, static_cast<__mmask32>((1ull << (k - i)) - 1));
    for (int h = 1; h < H; ++h)
        for (int r = 0; r < R; ++r)
            for (int c = 0; c < C; ++c) acc[0][r][c] = _mm512_add_ps(acc[0][r][c], acc[h][r][c]);
    store_sums<R, C>(acc[0], out, os);
}

// Decode: C (1 or 2) activation rows against every weight row, one row at a
// time, one cache line per loop step: its prefetch kDecodePrefetch bytes
// ahead, one load, one vdpbf16ps per activation row, one accumulator each.
// The loop is kept rolled on purpose: from huge pages, 2 threads, 896 x
// 151936, it streams 39-40 GB/s (F16's kernel: 38-39), where the same steps
// unrolled by two into two accumulator sets streamed 30-31 GB/s (the
// kernel's instructions run faster than memory either way; the unrolled
// loop issues its prefetches and loads in bursts). kernel_bench --pages 1,
// docs/performance.md "2026-12-05 (2)".
template <int C>
void bf16_gemv(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as, float *out,
               size_t os) {
    const int64_t k32 = k & ~int64_t(31);
    const auto tail = static_cast<__mmask32>((1ull << (k - k32)) - 1);
    for (int64_t r = 0; r < n_rows; ++r, w += ws) {
        __m512 acc[1][C];
        for (int c = 0; c < C; ++c) acc[0][c] = _mm512_setzero_ps();
#pragma GCC unroll 1
        for (int64_t i = 0; i < k32; i += 32) {
            _mm_prefetch(reinterpret_cast<const char *>(w + 2 * i) + kDecodePrefetch, _MM_HINT_T0);
            dp_step<1, C, false>(acc, w, ws, a, as, i, 0);
        }
        if (tail) dp_step<1, C, true>(acc, w, ws, a, as, k32, tail);
        store_sums<1, C>(acc, out + r, os);
    }
}

// Prompt: per chunk of weight rows, every activation row in tiles of C.
template <int C>
void bf16_rows(int64_t k, const uint8_t *w, size_t ws, int64_t nr, const uint8_t *a, size_t as, float *out,
               size_t os) {
    int64_t r = 0;
    for (; r + 4 <= nr; r += 4) bf16_tile<4, C, C < 4 ? 2 : 1>(k, w + r * ws, ws, a, as, out + r, os);
    for (; r < nr; ++r) bf16_tile<1, C, 2>(k, w + r * ws, ws, a, as, out + r, os);
}

void bf16_gemm(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as,
               int64_t n_act, float *out, size_t os) {
    for (int64_t r0 = 0; r0 < n_rows; r0 += kChunkRows) {
        const int64_t nr = n_rows - r0 < kChunkRows ? n_rows - r0 : kChunkRows;
        const uint8_t *wr = w + r0 * ws;
        int64_t j = 0;
        for (; j + 6 <= n_act; j += 6) bf16_rows<6>(k, wr, ws, nr, a + j * as, as, out + j * os + r0, os);
        if (j + 4 <= n_act) {
            bf16_rows<4>(k, wr, ws, nr, a + j * as, as, out + j * os + r0, os);
            j += 4;
        }
        if (j + 2 <= n_act) {
            bf16_rows<2>(k, wr, ws, nr, a + j * as, as, out + j * os + r0, os);
            j += 2;
        }
        if (j < n_act) bf16_rows<1>(k, wr, ws, nr, a + j * as, as, out + j * os + r0, os);
    }
}

void matmul_bf16_dp(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                    int64_t n_act, float *out, size_t out_stride) {
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    if (n_act == 1) bf16_gemv<1>(k, wb, w_stride, n_rows, ab, act_stride, out, out_stride);
    else if (n_act == 2) bf16_gemv<2>(k, wb, w_stride, n_rows, ab, act_stride, out, out_stride);
    else bf16_gemm(k, wb, w_stride, n_rows, ab, act_stride, n_act, out, out_stride);
}

const MatmulKernels kX86BF16Dp = {LOOM_TYPE_BF16, convert_bf16_x86, matmul_bf16_dp};
