// ARM kernels for F32 / F16 / BF16 weights x F32 activations (included
// inside the level's anonymous namespace): R rows x C activation rows per
// tile, 8 values per step in two accumulator sets (FMA latency), scalar
// tail for k not a multiple of 8.

struct F32W {
    static constexpr size_t kBytes = 4;
    static float32x4_t load4(const uint8_t *p, int64_t i) { return vld1q_f32(reinterpret_cast<const float *>(p) + i); }
    static float value(const uint8_t *p, int64_t i) { return reinterpret_cast<const float *>(p)[i]; }
};
struct F16W {
    static constexpr size_t kBytes = 2;
    static float32x4_t load4(const uint8_t *p, int64_t i) {
        return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t *>(p) + i)));
    }
    static float value(const uint8_t *p, int64_t i) { return half(reinterpret_cast<const uint16_t *>(p)[i]); }
};
struct BF16W {
    static constexpr size_t kBytes = 2;
    static float32x4_t load4(const uint8_t *p, int64_t i) {
        return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(reinterpret_cast<const uint16_t *>(p) + i), 16));
    }
    static float value(const uint8_t *p, int64_t i) {
        const uint32_t u = uint32_t(reinterpret_cast<const uint16_t *>(p)[i]) << 16;
        float f;
        __builtin_memcpy(&f, &u, 4);
        return f;
    }
};

template <class T>
struct FloatTile {
    template <int R, int C>
    static void tile(int64_t k, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
        float32x4_t acc[2][R][C];
        for (int h = 0; h < 2; ++h)
            for (int r = 0; r < R; ++r)
                for (int c = 0; c < C; ++c) acc[h][r][c] = vdupq_n_f32(0.0f);
        int64_t i = 0;
        for (; i + 8 <= k; i += 8)
#pragma GCC unroll 2
            for (int h = 0; h < 2; ++h) {
                float32x4_t wv[R];
#pragma GCC unroll 8
                for (int r = 0; r < R; ++r) wv[r] = T::load4(w + r * ws, i + 4 * h);
#pragma GCC unroll 8
                for (int c = 0; c < C; ++c) {
                    const float32x4_t av = vld1q_f32(reinterpret_cast<const float *>(a + c * as) + i + 4 * h);
#pragma GCC unroll 8
                    for (int r = 0; r < R; ++r) acc[h][r][c] = vfmaq_f32(acc[h][r][c], wv[r], av);
                }
            }
        for (int r = 0; r < R; ++r)
            for (int c = 0; c < C; ++c)
                out[c * os + r] = hsum(vaddq_f32(acc[0][r][c], acc[1][r][c])) + tail(w + r * ws, a + c * as, i, k);
    }
    // Values [i, k) of one row pair (k not a multiple of 8).
    static float tail(const uint8_t *w, const uint8_t *a, int64_t i, int64_t k) {
        float s = 0.0f;
        for (; i < k; ++i) s += T::value(w, i) * reinterpret_cast<const float *>(a)[i];
        return s;
    }
};

template <class T, int R, int C>
void matmul_float(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                  int64_t n_act, float *out, size_t out_stride) {
    matmul_grid<FloatTile<T>, R, C>(k, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
}
