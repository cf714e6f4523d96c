// The prompt (several activation rows) path of the i8mm level (included
// inside the level's anonymous namespace, after the kernel types).
//
// smmla multiplies a 2x8 by an 8x2 int8 matrix into 2x2 int32: with two
// weight rows u, v in the first operand and two activation rows x, y in the
// second, one instruction adds 8 values of each of the four dot products
// [u.x, u.y, v.x, v.y]. Weight blocks are decoded once per pair of rows and
// rearranged into 8-byte chunks (u's chunk, then v's); activation blocks
// likewise per pair of activation rows. The accumulators then hold four
// finished outputs each (no horizontal sums).
//
// A pair kernel P gives WPair, weights(u, v, WPair &) for two weight rows'
// blocks, APair, acts(x, y, APair &) for two activation rows' blocks, and
// dot(const WPair &, const APair &, float32x4_t acc) -> acc + one block.

// Two rows' 16-byte vectors -> two 2x8 operands (bytes 0..7, then 8..15 of each).
inline void pair_up(int8x16_t u, int8x16_t v, int8x16_t &lo, int8x16_t &hi) {
    lo = vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(u), vreinterpretq_s64_s8(v)));
    hi = vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(u), vreinterpretq_s64_s8(v)));
}

// [u, u, v, v] (weight pairs) or [x, y, x, y] (activation pairs).
inline float32x4_t per_row(float u, float v) {
    const float f[4] = {u, u, v, v};
    return vld1q_f32(f);
}
inline float32x4_t per_act(float x, float y) {
    const float f[4] = {x, y, x, y};
    return vld1q_f32(f);
}

// R2 pairs of weight rows x C2 pairs of activation rows; [u.x, u.y, v.x, v.y]
// go to rows (u, v) of activation rows (x, y).
template <class P>
struct PairTile {
    template <int R2, int C2>
    static void tile(int64_t nb, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
        using W = typename P::W;
        using A = typename P::A;
        float32x4_t acc[R2][C2];
        for (int p = 0; p < R2; ++p)
            for (int q = 0; q < C2; ++q) acc[p][q] = vdupq_n_f32(0.0f);
        for (int64_t b = 0; b < nb; ++b) {
            typename P::WPair wp[R2];
#pragma GCC unroll 2
            for (int p = 0; p < R2; ++p)
                P::weights(reinterpret_cast<const W *>(w + 2 * p * ws)[b],
                           reinterpret_cast<const W *>(w + (2 * p + 1) * ws)[b], wp[p]);
#pragma GCC unroll 2
            for (int q = 0; q < C2; ++q) {
                typename P::APair ap;
                P::acts(reinterpret_cast<const A *>(a + 2 * q * as)[b], reinterpret_cast<const A *>(a + (2 * q + 1) * as)[b],
                        ap);
#pragma GCC unroll 2
                for (int p = 0; p < R2; ++p) acc[p][q] = P::dot(wp[p], ap, acc[p][q]);
            }
        }
        for (int p = 0; p < R2; ++p)
            for (int q = 0; q < C2; ++q) {
                float *o = out + 2 * q * os + 2 * p;
                o[0] = vgetq_lane_f32(acc[p][q], 0);
                o[os] = vgetq_lane_f32(acc[p][q], 1);
                o[1] = vgetq_lane_f32(acc[p][q], 2);
                o[os + 1] = vgetq_lane_f32(acc[p][q], 3);
            }
    }
};

// ---- legacy formats (32 values, one scale): d_w*d_a*sum (+ m_w*s_a) ---------

template <class T>
struct LegacyPairs {
    using W = typename T::W;
    using A = typename T::A;
    struct WPair {
        int8x16_t q[4];  // 2x8 chunks of the two rows
        float32x4_t d, m; // [du, du, dv, dv], the same for the mins (the _1 types)
    };
    struct APair {
        int8x16_t q[4];
        float32x4_t d, s; // [dx, dy, dx, dy], the same for s (Q8_1)
    };
    static void weights(const W &u, const W &v, WPair &o) {
        LegacyDec a, b;
        T::decode(u, a);
        T::decode(v, b);
        pair_up(a.q0, b.q0, o.q[0], o.q[1]);
        pair_up(a.q1, b.q1, o.q[2], o.q[3]);
        o.d = per_row(a.d, b.d);
        o.m = per_row(a.m, b.m);
    }
    static void acts(const A &x, const A &y, APair &o) {
        pair_up(vld1q_s8(x.qs), vld1q_s8(y.qs), o.q[0], o.q[1]);
        pair_up(vld1q_s8(x.qs + 16), vld1q_s8(y.qs + 16), o.q[2], o.q[3]);
        o.d = per_act(half(x.d), half(y.d));
        o.s = vdupq_n_f32(0.0f);
        if constexpr (T::kHasMin) o.s = per_act(half(x.s), half(y.s));
    }
    static float32x4_t dot(const WPair &w, const APair &a, float32x4_t acc) {
        int32x4_t i = vdupq_n_s32(0);
        for (int t = 0; t < 4; ++t) i = vmmlaq_s32(i, w.q[t], a.q[t]);
        acc = vfmaq_f32(acc, vcvtq_f32_s32(i), vmulq_f32(w.d, a.d));
        if constexpr (T::kHasMin) acc = vfmaq_f32(acc, w.m, a.s);
        return acc;
    }
};

// ---- super-block formats (256 values, a scale per 16) ------------------------
// d_a * (d * sum_g sc[g]*dot16_g - dmin * sum_g mn[g]*bsums[g]), as KQuant::dot.

template <class T>
struct KQuantPairs {
    using W = typename T::W;
    using A = BlockQ8_K;
    struct WPair {
        alignas(16) int8_t q[2 * kQKK]; // 2x8 chunks of the two rows
        int32x4_t sc[16];               // [sc_u, sc_u, sc_v, sc_v] per 16 values
        int16_t mn[2][16];
        float32x4_t d, dmin;            // [du, du, dv, dv], the same for dmin
    };
    struct APair {
        int8x16_t q[32];
        float32x4_t d;
        const int16_t *bx, *by; // block sums
    };
    static void weights(const W &u, const W &v, WPair &o) {
        KDecBuffered a, b;
        T::decode(u, a);
        T::decode(v, b);
        for (int i = 0; i < 16; ++i) {
            int8x16_t lo, hi;
            pair_up(vld1q_s8(a.q + 16 * i), vld1q_s8(b.q + 16 * i), lo, hi);
            vst1q_s8(o.q + 32 * i, lo);
            vst1q_s8(o.q + 32 * i + 16, hi);
            const int32_t s[4] = {a.s.sc[i], a.s.sc[i], b.s.sc[i], b.s.sc[i]};
            o.sc[i] = vld1q_s32(s);
        }
        if constexpr (T::kHasMin) {
            __builtin_memcpy(o.mn[0], a.s.mn, sizeof o.mn[0]);
            __builtin_memcpy(o.mn[1], b.s.mn, sizeof o.mn[1]);
        }
        o.d = per_row(a.s.d, b.s.d);
        o.dmin = per_row(a.s.dmin, b.s.dmin);
    }
    static void acts(const A &x, const A &y, APair &o) {
        for (int i = 0; i < 16; ++i) pair_up(vld1q_s8(x.qs + 16 * i), vld1q_s8(y.qs + 16 * i), o.q[2 * i], o.q[2 * i + 1]);
        o.d = per_act(x.d, y.d);
        o.bx = x.bsums;
        o.by = y.bsums;
    }
    static float32x4_t dot(const WPair &w, const APair &a, float32x4_t acc) {
        int32x4_t isum = vdupq_n_s32(0);
        for (int g = 0; g < 16; ++g) {
            const int32x4_t d16 = vmmlaq_s32(vmmlaq_s32(vdupq_n_s32(0), vld1q_s8(w.q + 32 * g), a.q[2 * g]),
                                             vld1q_s8(w.q + 32 * g + 16), a.q[2 * g + 1]);
            isum = vmlaq_s32(isum, d16, w.sc[g]);
        }
        float32x4_t s = vmulq_f32(w.d, vcvtq_f32_s32(isum));
        if constexpr (T::kHasMin) {
            const int32_t m[4] = {min_sum(w.mn[0], a.bx), min_sum(w.mn[0], a.by), min_sum(w.mn[1], a.bx),
                                  min_sum(w.mn[1], a.by)};
            s = vfmsq_f32(s, w.dmin, vcvtq_f32_s32(vld1q_s32(m)));
        }
        return vfmaq_f32(acc, a.d, s);
    }
};

// ---- the matmul: pairs through smmla, an odd last weight row / activation
// row through the register-tiled skeleton ------------------------------------

template <class T, class P>
void matmul_mmla(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                 int64_t n_act, float *out, size_t out_stride) {
    if (n_act < 2 || n_rows < 2) {
        matmul_tiled<T, kTileR, kTileC>(k, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
        return;
    }
    const int64_t rows2 = n_rows / 2 * 2, acts2 = n_act / 2 * 2;
    matmul_grid<PairTile<P>, 2, 2, 2>(k / T::kValues, w, w_stride, rows2, act, act_stride, acts2, out, out_stride);
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    if (rows2 < n_rows) // the odd last weight row, every activation row
        matmul_tiled<T, kTileR, kTileC>(k, wb + rows2 * w_stride, w_stride, 1, act, act_stride, n_act, out + rows2,
                                        out_stride);
    if (acts2 < n_act) // the odd last activation row, the paired weight rows
        matmul_tiled<T, kTileR, kTileC>(k, w, w_stride, rows2, ab + acts2 * act_stride, act_stride, 1,
                                        out + acts2 * out_stride, out_stride);
}
