// x86 kernels for F32 / F16 / BF16 weights x F32 activations (included inside
// the level's anonymous namespace): R rows x C activation rows per tile, 16
// values per step in two accumulator sets (FMA latency), scalar tail for k
// not a multiple of 16.

struct F32W {
    static constexpr size_t kBytes = 4;
    static __m256 load8(const uint8_t *p, int64_t i) { return _mm256_loadu_ps(reinterpret_cast<const float *>(p) + i); }
    static float value(const uint8_t *p, int64_t i) { return reinterpret_cast<const float *>(p)[i]; }
};
struct F16W {
    static constexpr size_t kBytes = 2;
    static __m256 load8(const uint8_t *p, int64_t i) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 2 * i)));
    }
    static float value(const uint8_t *p, int64_t i) { return half(reinterpret_cast<const uint16_t *>(p)[i]); }
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

template <class T, int R, int C>
void matmul_float(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                  int64_t n_act, float *out, size_t out_stride) {
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    for (int64_t j = 0; j < n_act;) {
        const bool full = n_act - j >= C;
        const uint8_t *aj = ab + j * act_stride;
        float *oj = out + j * out_stride;
        int64_t r = 0;
        for (; r + R <= n_rows; r += R) {
            if (full) ftile<T, R, C>(k, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
            else ftile<T, R, 1>(k, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
        }
        for (; r < n_rows; ++r) {
            if (full) ftile<T, 1, C>(k, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
            else ftile<T, 1, 1>(k, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
        }
        j += full ? C : 1;
    }
}
