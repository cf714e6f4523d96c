// x86 kernels for F32 / F16 / BF16 weights x F32 activations (included inside
// the level's anonymous namespace): R rows x C activation rows per tile, 16
// values per step in two accumulator sets (FMA latency), scalar tail for k
// not a multiple of 16.

struct F32W {
    static constexpr size_t kBytes = 4;
    static __m256 load8(const uint8_t *p, int64_t i) { return _mm256_loadu_ps(reinterpret_cast<const float *>(p) + i); }
    static float value(const uint8_t *p, int64_t i) { return reinterpret_cast<const float *>(p)[i]; }
#if LOOM_X86_VNNI // the avx512 level
    static __m512 load16(const uint8_t *p, int64_t i) { return _mm512_loadu_ps(reinterpret_cast<const float *>(p) + i); }
#endif
};
struct F16W {
    static constexpr size_t kBytes = 2;
    static __m256 load8(const uint8_t *p, int64_t i) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 2 * i)));
    }
    static float value(const uint8_t *p, int64_t i) { return half(reinterpret_cast<const uint16_t *>(p)[i]); }
#if LOOM_X86_VNNI
    static __m512 load16(const uint8_t *p, int64_t i) {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 2 * i)));
    }
#endif
};
struct BF16W {
    static constexpr size_t kBytes = 2;
    static __m256 load8(const uint8_t *p, int64_t i) {
        const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 2 * i)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
    }
    static float value(const uint8_t *p, int64_t i) {
        const uint32_t u = uint32_t(reinterpret_cast<const uint16_t *>(p)[i]) << 16;
        float f;
        __builtin_memcpy(&f, &u, 4);
        return f;
    }
#if LOOM_X86_VNNI
    static __m512 load16(const uint8_t *p, int64_t i) {
        const __m512i h = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 2 * i)));
        return _mm512_castsi512_ps(_mm512_slli_epi32(h, 16));
    }
#endif
};

template <class T, int R, int C>
void ftile(int64_t k, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
    // Two accumulator sets hide the FMA latency when the tile is small;
    // with several activation rows R x C chains already do.
    constexpr int H = C > 1 ? 1 : 2;
    __m256 acc[2][R][C];
    for (int h = 0; h < 2; ++h)
        for (int r = 0; r < R; ++r)
            for (int c = 0; c < C; ++c) acc[h][r][c] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= k; i += 16) {
        for (int r = 0; r < R; ++r) prefetch_block(w + r * ws + i * T::kBytes, 16 * T::kBytes);
        for (int h = 0; h < 2; ++h) {
            const int set = h % H;
            __m256 wv[R];
            for (int r = 0; r < R; ++r) wv[r] = T::load8(w + r * ws, i + 8 * h);
            for (int c = 0; c < C; ++c) {
                const __m256 av = _mm256_loadu_ps(reinterpret_cast<const float *>(a + c * as) + i + 8 * h);
                for (int r = 0; r < R; ++r) acc[set][r][c] = _mm256_fmadd_ps(wv[r], av, acc[set][r][c]);
            }
        }
    }
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) {
            float s = hsum(_mm256_add_ps(acc[0][r][c], acc[1][r][c]));
            const float *ac = reinterpret_cast<const float *>(a + c * as);
            for (int64_t t = i; t < k; ++t) s += T::value(w + r * ws, t) * ac[t];
            out[c * os + r] = s;
        }
}

#if LOOM_X86_VNNI
// The avx512 level: 32 values per step in two 512-bit halves (two
// accumulator sets for one activation row), a 256-bit step and the scalar
// tail for the rest. Pf: software prefetch distance along each row (bytes).
template <class T, int R, int C, int Pf = kPrefetchBytes>
void ftile512(int64_t k, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
    constexpr int H = C > 1 ? 1 : 2;
    __m512 acc[2][R][C];
    for (int h = 0; h < 2; ++h)
        for (int r = 0; r < R; ++r)
            for (int c = 0; c < C; ++c) acc[h][r][c] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= k; i += 32) {
        for (int r = 0; r < R; ++r)
            for (size_t off = 0; off < 32 * T::kBytes; off += 64)
                _mm_prefetch(reinterpret_cast<const char *>(w + r * ws + i * T::kBytes + off) + Pf, _MM_HINT_T0);
        for (int h = 0; h < 2; ++h) {
            const int set = h % H;
            __m512 wv[R];
            for (int r = 0; r < R; ++r) wv[r] = T::load16(w + r * ws, i + 16 * h);
            for (int c = 0; c < C; ++c) {
                const __m512 av = _mm512_loadu_ps(reinterpret_cast<const float *>(a + c * as) + i + 16 * h);
                for (int r = 0; r < R; ++r) acc[set][r][c] = _mm512_fmadd_ps(wv[r], av, acc[set][r][c]);
            }
        }
    }
    __m256 acc8[R][C];
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) acc8[r][c] = _mm256_setzero_ps();
    for (; i + 8 <= k; i += 8)
        for (int c = 0; c < C; ++c) {
            const __m256 av = _mm256_loadu_ps(reinterpret_cast<const float *>(a + c * as) + i);
            for (int r = 0; r < R; ++r) acc8[r][c] = _mm256_fmadd_ps(T::load8(w + r * ws, i), av, acc8[r][c]);
        }
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) {
            float s = _mm512_reduce_add_ps(_mm512_add_ps(acc[0][r][c], acc[1][r][c])) + hsum(acc8[r][c]);
            const float *ac = reinterpret_cast<const float *>(a + c * as);
            for (int64_t t = i; t < k; ++t) s += T::value(w + r * ws, t) * ac[t];
            out[c * os + r] = s;
        }
}
#define LOOM_FTILE ftile512

// Decode (1-2 activation rows) streams the weights one row at a time with a
// short prefetch distance: one sequential stream per thread measured 1.27-1.44x
// the bandwidth of 4 interleaved rows with a 24 KiB distance (F16,
// 896x151936; tests/bench/README.md). The distance: 8 KiB, measured on the
// AMX Xeon; 2 KiB on AMD CPUs, where 8 KiB streamed 37-42 GB/s and 1-4 KiB
// 54-58 (Zen 4 class EPYC, kernel_bench --type F16 --k 896 --rows 151936
// --acts 1 --threads 2 --pages 1; docs/performance.md, 2026-12-05 (3)).
constexpr int kStreamPrefetch = 8192, kStreamPrefetchAmd = 2048;

template <class T, int C>
void gemv_float512(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows, const uint8_t *a, size_t as, float *out,
                   size_t os) {
    if (x86_is_amd()) {
        for (int64_t r = 0; r < n_rows; ++r)
            ftile512<T, 1, C, kStreamPrefetchAmd>(k, w + r * ws, ws, a, as, out + r, os);
        return;
    }
    for (int64_t r = 0; r < n_rows; ++r) ftile512<T, 1, C, kStreamPrefetch>(k, w + r * ws, ws, a, as, out + r, os);
}
#else
#define LOOM_FTILE ftile
#endif

template <class T, int R, int C>
void matmul_float(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                  int64_t n_act, float *out, size_t out_stride) {
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
#if LOOM_X86_VNNI
    if (n_act <= 2) {
        if (n_act == 2) gemv_float512<T, 2>(k, wb, w_stride, n_rows, ab, act_stride, out, out_stride);
        else if (n_act == 1) gemv_float512<T, 1>(k, wb, w_stride, n_rows, ab, act_stride, out, out_stride);
        return;
    }
#endif
    for (int64_t j = 0; j < n_act;) {
        const bool full = n_act - j >= C;
        const uint8_t *aj = ab + j * act_stride;
        float *oj = out + j * out_stride;
        int64_t r = 0;
        for (; r + R <= n_rows; r += R) {
            if (full) LOOM_FTILE<T, R, C>(k, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
            else LOOM_FTILE<T, R, 1>(k, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
        }
        for (; r < n_rows; ++r) {
            if (full) LOOM_FTILE<T, 1, C>(k, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
            else LOOM_FTILE<T, 1, 1>(k, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
        }
        j += full ? C : 1;
    }
}
#undef LOOM_FTILE
