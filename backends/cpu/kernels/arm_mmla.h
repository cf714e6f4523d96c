// The prompt (several activation rows) path of the i8mm level (included
// inside the level's anonymous namespace, after the kernel types).
//
// smmla multiplies a 2x8 by an 8x2 int8 matrix into 2x2 int32: with two
// weight rows u, v in the first operand and two activation rows x, y in the
// second, one instruction adds 8 values of each of the four dot products
// [u.x, u.y, v.x, v.y]. Weight blocks are decoded once per pair of rows and
// rearranged into 8-byte chunks (u's chunk, then v's); activation blocks
// likewise per pair of activation rows. The accumulators then hold four
// finished outputs each (no horizontal sums), scaled by
// [du*dx, du*dy, dv*dx, dv*dy].

// Two rows' 16-byte vectors -> two 2x8 operands (bytes 0..7, then 8..15 of each).
inline void pair_up(int8x16_t u, int8x16_t v, int8x16_t &lo, int8x16_t &hi) {
    lo = vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(u), vreinterpretq_s64_s8(v)));
    hi = vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(u), vreinterpretq_s64_s8(v)));
}

inline float32x4_t lanes4(float a, float b, float c, float d) {
    const float v[4] = {a, b, c, d};
    return vld1q_f32(v);
}

// Stores [u.x, u.y, v.x, v.y] at rows (r, r+1) of activation rows (c, c+1).
inline void store2x2(float32x4_t v, float *out, size_t os) {
    out[0] = vgetq_lane_f32(v, 0);
    out[os] = vgetq_lane_f32(v, 1);
    out[1] = vgetq_lane_f32(v, 2);
    out[os + 1] = vgetq_lane_f32(v, 3);
}

// ---- legacy formats (32 values, one scale) -----------------------------------

struct LegacyPair {
    int8x16_t q[4];  // 2x8 chunks of the two rows
    float32x4_t d;   // [du, du, dv, dv]
    float32x4_t m;   // [mu, mu, mv, mv] (the _1 types)
};

template <class T>
LegacyPair legacy_pair(const typename T::W &u, const typename T::W &v) {
    LegacyDec a, b;
    T::decode(u, a);
    T::decode(v, b);
    LegacyPair p;
    pair_up(a.q0, b.q0, p.q[0], p.q[1]);
    pair_up(a.q1, b.q1, p.q[2], p.q[3]);
    p.d = lanes4(a.d, a.d, b.d, b.d);
    p.m = lanes4(a.m, a.m, b.m, b.m);
    return p;
}

// R2 pairs of weight rows x C2 pairs of activation rows.
struct LegacyMmla {
    template <class T, int R2, int C2>
    static void tile(int64_t nb, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
        using W = typename T::W;
        using A = typename T::A;
        float32x4_t acc[R2][C2];
        for (int p = 0; p < R2; ++p)
            for (int q = 0; q < C2; ++q) acc[p][q] = vdupq_n_f32(0.0f);
        for (int64_t b = 0; b < nb; ++b) {
            LegacyPair wp[R2];
            for (int p = 0; p < R2; ++p)
                wp[p] = legacy_pair<T>(reinterpret_cast<const W *>(w + 2 * p * ws)[b],
                                       reinterpret_cast<const W *>(w + (2 * p + 1) * ws)[b]);
            for (int q = 0; q < C2; ++q) {
                const A &x = reinterpret_cast<const A *>(a + 2 * q * as)[b];
                const A &y = reinterpret_cast<const A *>(a + (2 * q + 1) * as)[b];
                int8x16_t xy[4];
                pair_up(vld1q_s8(x.qs), vld1q_s8(y.qs), xy[0], xy[1]);
                pair_up(vld1q_s8(x.qs + 16), vld1q_s8(y.qs + 16), xy[2], xy[3]);
                const float dx = half(x.d), dy = half(y.d);
                const float32x4_t da = lanes4(dx, dy, dx, dy);
                float32x4_t sa = vdupq_n_f32(0.0f);
                if constexpr (T::kHasMin) sa = lanes4(half(x.s), half(y.s), half(x.s), half(y.s));
                for (int p = 0; p < R2; ++p) {
                    int32x4_t i = vdupq_n_s32(0);
                    for (int t = 0; t < 4; ++t) i = vmmlaq_s32(i, wp[p].q[t], xy[t]);
                    acc[p][q] = vfmaq_f32(acc[p][q], vcvtq_f32_s32(i), vmulq_f32(wp[p].d, da));
                    if constexpr (T::kHasMin) acc[p][q] = vfmaq_f32(acc[p][q], wp[p].m, sa);
                }
            }
        }
        for (int p = 0; p < R2; ++p)
            for (int q = 0; q < C2; ++q) store2x2(acc[p][q], out + 2 * q * os + 2 * p, os);
    }
};

// ---- super-block formats (256 values, a scale per 16) ------------------------

struct KPair {
    alignas(16) int8_t q[2 * kQKK]; // 2x8 chunks of the two rows
    int32x4_t sc[16];               // [sc_u, sc_u, sc_v, sc_v] per 16 values
    int16_t mn[2][16];
    float32x4_t d, dmin;            // [du, du, dv, dv], the same for dmin
};

template <class T>
void kquant_pair(const typename T::W &u, const typename T::W &v, KPair &o) {
    KDec<true> a, b;
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
    o.d = lanes4(a.s.d, a.s.d, b.s.d, b.s.d);
    o.dmin = lanes4(a.s.dmin, a.s.dmin, b.s.dmin, b.s.dmin);
}

// Per pair: da * (d * sum_g sc[g]*dot16_g - dmin * sum_g mn[g]*bsums[g]), as KQuant::dot.
struct KQuantMmla {
    template <class T, int R2, int C2>
    static void tile(int64_t nb, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
        using W = typename T::W;
        float32x4_t acc[R2][C2];
        for (int p = 0; p < R2; ++p)
            for (int q = 0; q < C2; ++q) acc[p][q] = vdupq_n_f32(0.0f);
        for (int64_t b = 0; b < nb; ++b) {
            KPair wp[R2];
            for (int p = 0; p < R2; ++p)
                kquant_pair<T>(reinterpret_cast<const W *>(w + 2 * p * ws)[b],
                               reinterpret_cast<const W *>(w + (2 * p + 1) * ws)[b], wp[p]);
            for (int q = 0; q < C2; ++q) {
                const BlockQ8_K &x = reinterpret_cast<const BlockQ8_K *>(a + 2 * q * as)[b];
                const BlockQ8_K &y = reinterpret_cast<const BlockQ8_K *>(a + (2 * q + 1) * as)[b];
                int8x16_t xy[32];
                for (int i = 0; i < 16; ++i) pair_up(vld1q_s8(x.qs + 16 * i), vld1q_s8(y.qs + 16 * i), xy[2 * i], xy[2 * i + 1]);
                const float32x4_t da = lanes4(x.d, y.d, x.d, y.d);
                for (int p = 0; p < R2; ++p) {
                    const KPair &kp = wp[p];
                    int32x4_t isum = vdupq_n_s32(0);
                    for (int g = 0; g < 16; ++g) {
                        int32x4_t d16 = vmmlaq_s32(vdupq_n_s32(0), vld1q_s8(kp.q + 32 * g), xy[2 * g]);
                        d16 = vmmlaq_s32(d16, vld1q_s8(kp.q + 32 * g + 16), xy[2 * g + 1]);
                        isum = vmlaq_s32(isum, d16, kp.sc[g]);
                    }
                    float32x4_t s = vmulq_f32(kp.d, vcvtq_f32_s32(isum));
                    if constexpr (T::kHasMin) {
                        const int32_t m[4] = {min_sum(kp.mn[0], x.bsums), min_sum(kp.mn[0], y.bsums),
                                              min_sum(kp.mn[1], x.bsums), min_sum(kp.mn[1], y.bsums)};
                        s = vfmsq_f32(s, kp.dmin, vcvtq_f32_s32(vld1q_s32(m)));
                    }
                    acc[p][q] = vfmaq_f32(acc[p][q], da, s);
                }
            }
        }
        for (int p = 0; p < R2; ++p)
            for (int q = 0; q < C2; ++q) store2x2(acc[p][q], out + 2 * q * os + 2 * p, os);
    }
};

// ---- the matmul: pairs through smmla, an odd last row / activation row
// through the register-tiled skeleton --------------------------------------------

// M::tile<T, R2, C2> handles R2 pairs of weight rows x C2 pairs of activation rows.
template <class T, class M>
void matmul_mmla(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                 int64_t n_act, float *out, size_t out_stride) {
    if (n_act < 2 || n_rows < 2) {
        matmul_tiled<T, kTileR, kTileC>(k, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
        return;
    }
    const int64_t nb = k / T::kValues, rows2 = n_rows / 2 * 2, acts2 = n_act / 2 * 2;
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    for (int64_t j = 0; j < acts2;) {
        const bool four = acts2 - j >= 4;
        const uint8_t *aj = ab + j * act_stride;
        float *oj = out + j * out_stride;
        int64_t r = 0;
        for (; r + 4 <= rows2; r += 4) {
            if (four) M::template tile<T, 2, 2>(nb, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
            else M::template tile<T, 2, 1>(nb, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
        }
        for (; r < rows2; r += 2) {
            if (four) M::template tile<T, 1, 2>(nb, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
            else M::template tile<T, 1, 1>(nb, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
        }
        j += four ? 4 : 2;
    }
    if (rows2 < n_rows) // the odd last weight row, every activation row
        matmul_tiled<T, kTileR, kTileC>(k, wb + rows2 * w_stride, w_stride, n_rows - rows2, act, act_stride, n_act,
                                        out + rows2, out_stride);
    if (acts2 < n_act) // the odd last activation row, the paired weight rows
        matmul_tiled<T, kTileR, kTileC>(k, w, w_stride, rows2, ab + acts2 * act_stride, act_stride, n_act - acts2,
                                        out + acts2 * out_stride, out_stride);
}
