// ARM kernel types for the 256-value super-block formats x Q8_K (included
// inside the level's anonymous namespace; see arm_skeleton.h).
//
// A format F gives group(b, g, lo, hi): the 32 weights of group g (values
// 32g..32g+31) as signed bytes (offsets subtracted: Q3_K, Q6_K), and
// scales(b, s): 16 integer scales, one per 16 values, and for the formats
// with a min (Q2_K, Q4_K, Q5_K) 16 mins that multiply the activation's block
// sums. The block dot is then, as in the scalar reference,
//   d_a * (d * sum_g sc[g] * dot16_g - dmin * sum_g mn[g] * bsums[g])
// with every sum an exact int32. kBy32: both halves of a group of 32 share a
// scale, so a group costs one multiply-add instead of two. With one
// activation row the groups are decoded on the fly; with several they are
// decoded once into an L1 buffer.

struct KScales {
    int32_t sc[16];
    int16_t mn[16];
    float d;
    float dmin;
};

template <bool Many>
struct KDec;
template <>
struct KDec<false> {
    const void *blk;
    KScales s;
};
template <>
struct KDec<true> {
    alignas(16) int8_t q[kQKK];
    KScales s;
};

// sum_g mn[g] * bsums[g] over the 16 groups of 16 (exact: |mn| < 64, |bsums| <= 16*127).
inline int32_t min_sum(const int16_t mn[16], const int16_t bsums[16]) {
    const int16x8_t b0 = vld1q_s16(bsums), b1 = vld1q_s16(bsums + 8);
    const int16x8_t m0 = vld1q_s16(mn), m1 = vld1q_s16(mn + 8);
    int32x4_t s = vmull_s16(vget_low_s16(b0), vget_low_s16(m0));
    s = vmlal_high_s16(s, b0, m0);
    s = vmlal_s16(s, vget_low_s16(b1), vget_low_s16(m1));
    return vaddvq_s32(vmlal_high_s16(s, b1, m1));
}

template <class F>
struct KQuant {
    using W = typename F::W;
    using A = BlockQ8_K;
    template <bool Many>
    using Dec = KDec<Many>;
    static constexpr int kValues = kQKK;
    static constexpr bool kHasMin = F::kHasMin;

    static void decode(const W &b, KDec<false> &o) {
        o.blk = &b;
        F::scales(b, o.s);
    }
    static void decode(const W &b, KDec<true> &o) {
#pragma GCC unroll 8
        for (int g = 0; g < 8; ++g) {
            int8x16_t lo, hi;
            F::group(b, g, lo, hi);
            vst1q_s8(o.q + 32 * g, lo);
            vst1q_s8(o.q + 32 * g + 16, hi);
        }
        F::scales(b, o.s);
    }
    static void weights(const KDec<false> &o, int g, int8x16_t &lo, int8x16_t &hi) {
        F::group(*static_cast<const W *>(o.blk), g, lo, hi);
    }
    static void weights(const KDec<true> &o, int g, int8x16_t &lo, int8x16_t &hi) {
        lo = vld1q_s8(o.q + 32 * g);
        hi = vld1q_s8(o.q + 32 * g + 16);
    }

    struct Act {};
    static Act prep(const A &) { return {}; }

    template <bool Many>
    static void dot(const KDec<Many> &o, const A &a, const Act &, float32x4_t &, float &extra) {
        int32x4_t isum = vdupq_n_s32(0);
        const int32x4_t zero = vdupq_n_s32(0);
#pragma GCC unroll 8
        for (int g = 0; g < 8; ++g) {
            int8x16_t lo, hi;
            weights(o, g, lo, hi);
            const int8x16_t x0 = vld1q_s8(a.qs + 32 * g), x1 = vld1q_s8(a.qs + 32 * g + 16);
            if (F::kBy32) {
                isum = vmlaq_n_s32(isum, dot_s8(dot_s8(zero, lo, x0), hi, x1), o.s.sc[2 * g]);
            } else {
                isum = vmlaq_n_s32(isum, dot_s8(zero, lo, x0), o.s.sc[2 * g]);
                isum = vmlaq_n_s32(isum, dot_s8(zero, hi, x1), o.s.sc[2 * g + 1]);
            }
        }
        float sum = o.s.d * static_cast<float>(vaddvq_s32(isum));
        if (F::kHasMin) sum -= o.s.dmin * static_cast<float>(min_sum(o.s.mn, a.bsums));
        extra += a.d * sum;
    }
};

// Q2_K / Q3_K low bits: group g is bits 2(g%4) of the 32 bytes qs[32(g/4)..].
inline void two_bit_group(const uint8_t *qs, int g, uint8x16_t &lo, uint8x16_t &hi) {
    lo = bits_of(vld1q_u8(qs + 32 * (g / 4)), 2 * (g % 4), 3);
    hi = bits_of(vld1q_u8(qs + 32 * (g / 4) + 16), 2 * (g % 4), 3);
}

struct FQ2_K {
    using W = BlockQ2_K;
    static constexpr bool kBy32 = false, kHasMin = true;
    static void group(const W &b, int g, int8x16_t &lo, int8x16_t &hi) {
        uint8x16_t l, h;
        two_bit_group(b.qs, g, l, h);
        lo = vreinterpretq_s8_u8(l);
        hi = vreinterpretq_s8_u8(h);
    }
    static void scales(const W &b, KScales &o) {
        for (int j = 0; j < 16; ++j) {
            o.sc[j] = b.scales[j] & 0xF;
            o.mn[j] = int16_t(b.scales[j] >> 4);
        }
        o.d = half(b.d);
        o.dmin = half(b.dmin);
    }
};

struct FQ3_K { // q = low + 4*hbit - 4
    using W = BlockQ3_K;
    static constexpr bool kBy32 = false, kHasMin = false;
    static void group(const W &b, int g, int8x16_t &lo, int8x16_t &hi) {
        uint8x16_t l, h;
        two_bit_group(b.qs, g, l, h);
        const uint8x16_t hb0 = vshlq_n_u8(bits_of(vld1q_u8(b.hmask), g, 1), 2);
        const uint8x16_t hb1 = vshlq_n_u8(bits_of(vld1q_u8(b.hmask + 16), g, 1), 2);
        lo = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(l, hb0)), vdupq_n_s8(4));
        hi = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(h, hb1)), vdupq_n_s8(4));
    }
    static void scales(const W &b, KScales &o) {
        int8_t s8[16];
        q3_k_scales(b.scales, s8);
        for (int j = 0; j < 16; ++j) o.sc[j] = s8[j];
        o.d = half(b.d);
        o.dmin = 0.0f;
    }
};

// Q4_K / Q5_K: 6-bit scales and mins of 8 groups of 32 packed in 12 bytes
// (see k4_scale_min), unpacked four at a time from 32-bit words.
template <class B>
void scales_k45(const B &b, KScales &o) {
    uint32_t a, m, c;
    __builtin_memcpy(&a, b.scales, 4);
    __builtin_memcpy(&m, b.scales + 4, 4);
    __builtin_memcpy(&c, b.scales + 8, 4);
    const uint32_t sc[2] = {a & 0x3f3f3f3f, (c & 0x0f0f0f0f) | ((a >> 6) & 0x03030303) << 4};
    const uint32_t mn[2] = {m & 0x3f3f3f3f, ((c >> 4) & 0x0f0f0f0f) | ((m >> 6) & 0x03030303) << 4};
    for (int j = 0; j < 8; ++j) {
        o.sc[2 * j] = o.sc[2 * j + 1] = int32_t((sc[j / 4] >> (8 * (j % 4))) & 0xFF);
        o.mn[2 * j] = o.mn[2 * j + 1] = int16_t((mn[j / 4] >> (8 * (j % 4))) & 0xFF);
    }
    o.d = half(b.d);
    o.dmin = half(b.dmin);
}

// Q4_K / Q5_K low bits: group g is nibble g%2 of the 32 bytes qs[32(g/2)..].
inline void nibble_group(const uint8_t *qs, int g, uint8x16_t &lo, uint8x16_t &hi) {
    lo = bits_of(vld1q_u8(qs + 32 * (g / 2)), 4 * (g % 2), 0xF);
    hi = bits_of(vld1q_u8(qs + 32 * (g / 2) + 16), 4 * (g % 2), 0xF);
}

struct FQ4_K {
    using W = BlockQ4_K;
    static constexpr bool kBy32 = true, kHasMin = true;
    static void group(const W &b, int g, int8x16_t &lo, int8x16_t &hi) {
        uint8x16_t l, h;
        nibble_group(b.qs, g, l, h);
        lo = vreinterpretq_s8_u8(l);
        hi = vreinterpretq_s8_u8(h);
    }
    static void scales(const W &b, KScales &o) { scales_k45(b, o); }
};

struct FQ5_K {
    using W = BlockQ5_K;
    static constexpr bool kBy32 = true, kHasMin = true;
    static void group(const W &b, int g, int8x16_t &lo, int8x16_t &hi) {
        uint8x16_t l, h;
        nibble_group(b.qs, g, l, h);
        lo = vreinterpretq_s8_u8(vorrq_u8(l, vshlq_n_u8(bits_of(vld1q_u8(b.qh), g, 1), 4)));
        hi = vreinterpretq_s8_u8(vorrq_u8(h, vshlq_n_u8(bits_of(vld1q_u8(b.qh + 16), g, 1), 4)));
    }
    static void scales(const W &b, KScales &o) { scales_k45(b, o); }
};

struct FQ6_K { // q = (low | high << 4) - 32
    using W = BlockQ6_K;
    static constexpr bool kBy32 = false, kHasMin = false;
    static void group(const W &b, int g, int8x16_t &lo, int8x16_t &hi) {
        const int h = g / 4, t = g % 4;
        const uint8_t *ql = b.ql + 64 * h + 32 * (t & 1), *qh = b.qh + 32 * h;
        const uint8x16_t l0 = bits_of(vld1q_u8(ql), 4 * (t >> 1), 0xF);
        const uint8x16_t l1 = bits_of(vld1q_u8(ql + 16), 4 * (t >> 1), 0xF);
        const uint8x16_t h0 = vshlq_n_u8(bits_of(vld1q_u8(qh), 2 * t, 3), 4);
        const uint8x16_t h1 = vshlq_n_u8(bits_of(vld1q_u8(qh + 16), 2 * t, 3), 4);
        lo = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(l0, h0)), vdupq_n_s8(32));
        hi = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(l1, h1)), vdupq_n_s8(32));
    }
    static void scales(const W &b, KScales &o) {
        for (int j = 0; j < 16; ++j) o.sc[j] = b.scales[j];
        o.d = half(b.d);
        o.dmin = 0.0f;
    }
};

struct FIQ4_XS {
    using W = BlockIQ4_XS;
    static constexpr bool kBy32 = true, kHasMin = false;
    static void group(const W &b, int g, int8x16_t &lo, int8x16_t &hi) {
        const int8x16_t table = vld1q_s8(kIq4nlValues);
        int8x16_t l, h;
        nibbles(b.qs + 16 * g, l, h);
        lo = vqtbl1q_s8(table, vreinterpretq_u8_s8(l));
        hi = vqtbl1q_s8(table, vreinterpretq_u8_s8(h));
    }
    static void scales(const W &b, KScales &o) {
        for (int j = 0; j < 8; ++j) o.sc[2 * j] = o.sc[2 * j + 1] = iq4_xs_scale(b, j);
        o.d = half(b.d);
        o.dmin = 0.0f;
    }
};

using KQ2_K = KQuant<FQ2_K>;
using KQ3_K = KQuant<FQ3_K>;
using KQ4_K = KQuant<FQ4_K>;
using KQ5_K = KQuant<FQ5_K>;
using KQ6_K = KQuant<FQ6_K>;
using KIQ4_XS = KQuant<FIQ4_XS>;
