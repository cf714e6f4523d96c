// ARM kernel types for the 32-value legacy formats (included inside the
// level's anonymous namespace; see arm_skeleton.h). Weights decode to 32
// signed int8 in two registers (NEON multiplies signed x signed, so no
// offset trick is needed); the block dot is an exact int32 sum scaled by
// d_w * d_a (+ m_w * s_a for the _1 types).

struct LegacyDec {
    int8x16_t q0, q1; // values 0..15, 16..31
    float d;
    float m; // 0 for the symmetric types
};

struct LegacyAct {
    int8x16_t x0, x1;
    float d;
    float s; // d * sum(q) for Q8_1
};

template <class Wt, class At, void (*Decode)(const Wt &, LegacyDec &), bool kMin>
struct Legacy {
    using W = Wt;
    using A = At;
    template <bool>
    using Dec = LegacyDec;
    using Act = LegacyAct;
    static constexpr int kValues = kQK;
    static constexpr bool kHasMin = kMin;

    static Act prep(const A &a) {
        Act p;
        p.x0 = vld1q_s8(a.qs);
        p.x1 = vld1q_s8(a.qs + 16);
        p.d = half(a.d);
        p.s = 0.0f;
        if constexpr (kHasMin) p.s = half(a.s);
        return p;
    }
    static void decode(const W &b, LegacyDec &o) { Decode(b, o); }
    struct Acc {
        float32x4_t v; // lanes of d_w * d_a * sum(q * x)
        float m;       // sum of m_w * s_a
    };
    static void dot(const LegacyDec &o, const A &, const Act &p, Acc &acc) {
        const int32x4_t i = dot_s8(dot_s8(vdupq_n_s32(0), o.q0, p.x0), o.q1, p.x1);
        acc.v = vfmaq_n_f32(acc.v, vcvtq_f32_s32(i), o.d * p.d);
        if constexpr (kHasMin) acc.m += o.m * p.s;
    }
    static float finish(const Acc &acc) { return hsum(acc.v) + acc.m; }
};

// Bytes i = 0..15: 0x10 where bit i of `bits` is set (the Q5 fifth bit).
inline int8x16_t high_bits(uint16_t bits) {
    static const uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t v = vcombine_u8(vdup_n_u8(uint8_t(bits)), vdup_n_u8(uint8_t(bits >> 8)));
    return vreinterpretq_s8_u8(vandq_u8(vtstq_u8(v, vld1q_u8(kBit)), vdupq_n_u8(0x10)));
}

inline void q5_nibbles(const uint8_t qs[16], const uint8_t qh[4], LegacyDec &o) {
    uint32_t h;
    __builtin_memcpy(&h, qh, 4);
    nibbles(qs, o.q0, o.q1);
    o.q0 = vorrq_s8(o.q0, high_bits(uint16_t(h)));
    o.q1 = vorrq_s8(o.q1, high_bits(uint16_t(h >> 16)));
}

void decode_q4_0(const BlockQ4_0 &b, LegacyDec &o) {
    nibbles(b.qs, o.q0, o.q1);
    o.q0 = vsubq_s8(o.q0, vdupq_n_s8(8));
    o.q1 = vsubq_s8(o.q1, vdupq_n_s8(8));
    o.d = half(b.d);
    o.m = 0.0f;
}
void decode_q4_1(const BlockQ4_1 &b, LegacyDec &o) {
    nibbles(b.qs, o.q0, o.q1);
    o.d = half(b.d);
    o.m = half(b.m);
}
void decode_q5_0(const BlockQ5_0 &b, LegacyDec &o) {
    q5_nibbles(b.qs, b.qh, o);
    o.q0 = vsubq_s8(o.q0, vdupq_n_s8(16));
    o.q1 = vsubq_s8(o.q1, vdupq_n_s8(16));
    o.d = half(b.d);
    o.m = 0.0f;
}
void decode_q5_1(const BlockQ5_1 &b, LegacyDec &o) {
    q5_nibbles(b.qs, b.qh, o);
    o.d = half(b.d);
    o.m = half(b.m);
}
void decode_q8_0(const BlockQ8_0 &b, LegacyDec &o) {
    o.q0 = vld1q_s8(b.qs);
    o.q1 = vld1q_s8(b.qs + 16);
    o.d = half(b.d);
    o.m = 0.0f;
}
void decode_iq4_nl(const BlockIQ4_NL &b, LegacyDec &o) {
    const int8x16_t table = vld1q_s8(kIq4nlValues);
    int8x16_t lo, hi;
    nibbles(b.qs, lo, hi);
    o.q0 = vqtbl1q_s8(table, vreinterpretq_u8_s8(lo));
    o.q1 = vqtbl1q_s8(table, vreinterpretq_u8_s8(hi));
    o.d = half(b.d);
    o.m = 0.0f;
}

//                   weights      act        decoder        min
using KQ4_0 = Legacy<BlockQ4_0, BlockQ8_0, decode_q4_0, false>;
using KQ5_0 = Legacy<BlockQ5_0, BlockQ8_0, decode_q5_0, false>;
using KQ8_0 = Legacy<BlockQ8_0, BlockQ8_0, decode_q8_0, false>;
using KIQ4_NL = Legacy<BlockIQ4_NL, BlockQ8_0, decode_iq4_nl, false>;
using KQ4_1 = Legacy<BlockQ4_1, BlockQ8_1, decode_q4_1, true>;
using KQ5_1 = Legacy<BlockQ5_1, BlockQ8_1, decode_q5_1, true>;
