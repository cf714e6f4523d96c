// ARM kernel types for the 256-value super-block formats x Q8_K (included
// inside the level's anonymous namespace; see arm_skeleton.h).
//
// A format F gives group(b, g): the 32 weights of group g (values
// 32g..32g+31) as signed bytes (offsets subtracted: Q3_K, Q6_K), and
// scales(b, s): 16 integer scales, one per 16 values, and for the formats
// with a min (Q2_K, Q4_K, Q5_K) 16 mins that multiply the activation's block
// sums. The block dot is then, as in the scalar reference,
//   d_a * (d * sum_g sc[g] * dot16_g - dmin * sum_g mn[g] * bsums[g])
// with every sum an exact int32. kBy32: both halves of a group of 32 share a
// scale, so a group costs one multiply-add instead of two. With one
// activation row the groups are decoded on the fly; with several they are
// decoded once into an L1 buffer.

struct I8x32 { // values 0..15, 16..31
    int8x16_t lo, hi;
};

// Bits shift.. (mask) of each of the 32 bytes at p.
inline I8x32 field32(const uint8_t *p, int shift, uint8_t mask) {
    return {vreinterpretq_s8_u8(bits_of(vld1q_u8(p), shift, mask)),
            vreinterpretq_s8_u8(bits_of(vld1q_u8(p + 16), shift, mask))};
}

// (low | high << shift) - offset per byte.
inline I8x32 join(I8x32 low, I8x32 high, int shift, int8_t offset) {
    const int8x16_t n = vdupq_n_s8(int8_t(shift)), o = vdupq_n_s8(offset);
    return {vsubq_s8(vorrq_s8(low.lo, vshlq_s8(high.lo, n)), o), vsubq_s8(vorrq_s8(low.hi, vshlq_s8(high.hi, n)), o)};
}

struct KScales {
    int32_t sc[16];
    int16_t mn[16];
    float d;
    float dmin;
};

// A weight block for one activation row: decoded group by group in the dot.
struct KDecLazy {
    const void *blk;
    KScales s;
};
// For several activation rows: decoded once into an L1 buffer.
struct KDecBuffered {
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
    using Dec = std::conditional_t<Many, KDecBuffered, KDecLazy>;
    static constexpr int kValues = kQKK;
    static constexpr bool kHasMin = F::kHasMin;

    static void decode(const W &b, KDecLazy &o) {
        o.blk = &b;
        F::scales(b, o.s);
    }
    static void decode(const W &b, KDecBuffered &o) {
#pragma GCC unroll 8
        for (int g = 0; g < 8; ++g) {
            const I8x32 q = F::group(b, g);
            vst1q_s8(o.q + 32 * g, q.lo);
            vst1q_s8(o.q + 32 * g + 16, q.hi);
        }
        F::scales(b, o.s);
    }
    static I8x32 weights(const KDecLazy &o, int g) { return F::group(*static_cast<const W *>(o.blk), g); }
    static I8x32 weights(const KDecBuffered &o, int g) { return {vld1q_s8(o.q + 32 * g), vld1q_s8(o.q + 32 * g + 16)}; }

    struct Act {};
    static Act prep(const A &) { return {}; }

    using Acc = float;
    static float finish(float acc) { return acc; }
    template <class Dec>
    static void dot(const Dec &o, const A &a, const Act &, float &acc) {
        int32x4_t isum = vdupq_n_s32(0);
        const int32x4_t zero = vdupq_n_s32(0);
#pragma GCC unroll 8
        for (int g = 0; g < 8; ++g) {
            const I8x32 q = weights(o, g);
            const int8x16_t x0 = vld1q_s8(a.qs + 32 * g), x1 = vld1q_s8(a.qs + 32 * g + 16);
            if (F::kBy32) {
                isum = vmlaq_n_s32(isum, dot_s8(dot_s8(zero, q.lo, x0), q.hi, x1), o.s.sc[2 * g]);
            } else {
                isum = vmlaq_n_s32(isum, dot_s8(zero, q.lo, x0), o.s.sc[2 * g]);
                isum = vmlaq_n_s32(isum, dot_s8(zero, q.hi, x1), o.s.sc[2 * g + 1]);
            }
        }
        float sum = o.s.d * static_cast<float>(vaddvq_s32(isum));
        if (F::kHasMin) sum -= o.s.dmin * static_cast<float>(min_sum(o.s.mn, a.bsums));
        acc += a.d * sum;
    }
};

// Q2_K / Q3_K low bits: group g is bits 2(g%4) of the 32 bytes qs[32(g/4)..].
inline I8x32 two_bits(const uint8_t *qs, int g) { return field32(qs + 32 * (g / 4), 2 * (g % 4), 3); }

struct FQ2_K {
    using W = BlockQ2_K;
    static constexpr bool kBy32 = false, kHasMin = true;
    static I8x32 group(const W &b, int g) { return two_bits(b.qs, g); }
    static void scales(const W &b, KScales &o) {
        for (int j = 0; j < 16; ++j) {
            o.sc[j] = b.scales[j] & 0xF;
            o.mn[j] = int16_t(b.scales[j] >> 4);
        }
        o.d = half(b.d);
        o.dmin = half(b.dmin);
    }
};

struct FQ3_K { // q = low + 4*hbit - 4, hbit = bit g of hmask
    using W = BlockQ3_K;
    static constexpr bool kBy32 = false, kHasMin = false;
    static I8x32 group(const W &b, int g) { return join(two_bits(b.qs, g), field32(b.hmask, g, 1), 2, 4); }
    static void scales(const W &b, KScales &o) {
        int8_t s8[16];
        q3_k_scales(b.scales, s8);
        for (int j = 0; j < 16; ++j) o.sc[j] = s8[j];
        o.d = half(b.d);
        o.dmin = 0.0f;
    }
};

// Q4_K / Q5_K: 8 groups of 32 with a 6-bit scale and min each.
template <class B>
void scales_k45(const B &b, KScales &o) {
    uint8_t sc[8], mn[8];
    k4_scales_mins(b.scales, sc, mn);
    for (int g = 0; g < 16; ++g) {
        o.sc[g] = sc[g / 2];
        o.mn[g] = mn[g / 2];
    }
    o.d = half(b.d);
    o.dmin = half(b.dmin);
}

// Q4_K / Q5_K low bits: group g is nibble g%2 of the 32 bytes qs[32(g/2)..].
inline I8x32 nibble_bits(const uint8_t *qs, int g) { return field32(qs + 32 * (g / 2), 4 * (g % 2), 0xF); }

struct FQ4_K {
    using W = BlockQ4_K;
    static constexpr bool kBy32 = true, kHasMin = true;
    static I8x32 group(const W &b, int g) { return nibble_bits(b.qs, g); }
    static void scales(const W &b, KScales &o) { scales_k45(b, o); }
};

struct FQ5_K { // q = low | hbit << 4, hbit = bit g of qh
    using W = BlockQ5_K;
    static constexpr bool kBy32 = true, kHasMin = true;
    static I8x32 group(const W &b, int g) { return join(nibble_bits(b.qs, g), field32(b.qh, g, 1), 4, 0); }
    static void scales(const W &b, KScales &o) { scales_k45(b, o); }
};

struct FQ6_K { // q = (low | high << 4) - 32
    using W = BlockQ6_K;
    static constexpr bool kBy32 = false, kHasMin = false;
    static I8x32 group(const W &b, int g) {
        const int h = g / 4, t = g % 4;
        return join(field32(b.ql + 64 * h + 32 * (t & 1), 4 * (t >> 1), 0xF), field32(b.qh + 32 * h, 2 * t, 3), 4, 32);
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
    static I8x32 group(const W &b, int g) {
        const int8x16_t table = vld1q_s8(kIq4nlValues);
        int8x16_t l, h;
        nibbles(b.qs + 16 * g, l, h);
        return {vqtbl1q_s8(table, vreinterpretq_u8_s8(l)), vqtbl1q_s8(table, vreinterpretq_u8_s8(h))};
    }
    static void scales(const W &b, KScales &o) {
        for (int j = 0; j < 8; ++j) o.sc[2 * j] = o.sc[2 * j + 1] = iq4_xs_scale(b, j);
        o.d = half(b.d);
        o.dmin = 0.0f;
    }
};
