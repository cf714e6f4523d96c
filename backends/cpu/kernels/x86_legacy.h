// x86 kernel types for the 32-value legacy formats (included inside the
// level's anonymous namespace; see x86_skeleton.h). Weights decode to 32
// int8 in one register; the block dot is an exact int32 sum scaled by
// d_w * d_a (+ m_w * s_a for the _1 types, kept in `extra`).

// Byte i = 0x10 where bit i of x is set.
inline __m256i high_bits(uint32_t x) {
#if LOOM_X86_VNNI // the avx512 level (BW + VL)
    return _mm256_maskz_mov_epi8(x, _mm256_set1_epi8(0x10));
#else
    const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
    const __m256i v = _mm256_or_si256(_mm256_shuffle_epi8(_mm256_set1_epi32(int(x)), shuf),
                                      _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
    return _mm256_and_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi64x(-1)), _mm256_set1_epi8(0x10));
#endif
}

inline uint32_t load_qh(const uint8_t qh[4]) {
    return uint32_t(qh[0]) | uint32_t(qh[1]) << 8 | uint32_t(qh[2]) << 16 | uint32_t(qh[3]) << 24;
}

struct LegacyDec {
    __m256i q;
    __m256 d; // broadcast, so a tile pays one vmulps per (row, activation) pair
    float m;
};

// Unsigned weights q_u = q + kOffset dot activations x as
// sum(q_u * x) - kOffset * sum(x): the second term is computed once per
// activation block (Act::base) and seeds the accumulator, so each weight
// row pays one u8 x s8 dot (exact int32). kOffset 0 with kSignedW: the sign
// trick |q| * sign(x, q) instead (pmaddubsw would saturate on 255 * 127).
// kMin: w = d*q + m, with the activation's s = d*sum(x) (Q8_1).
template <class Wt, class At, void (*Decode)(const Wt &, LegacyDec &), int kOffset, bool kSignedW, bool kMin>
struct Legacy {
    using W = Wt;
    using A = At;
    template <bool>
    using Dec = LegacyDec;
    static constexpr int kValues = kQK;
    static constexpr int kOffsetValue = kOffset;
    static constexpr bool kSigned = kSignedW, kHasMin = kMin;
    struct Act {
        __m256i x;
        __m256i base; // -kOffset * sum(x), spread over the lanes
        __m256 d;
        float s;
    };
    static Act prep(const A &a) {
        Act p;
        p.x = load32(a.qs);
        p.base = _mm256_setzero_si256();
        if (kOffset) p.base = _mm256_sub_epi32(p.base, dot_u8s8(p.base, _mm256_set1_epi8(char(kOffset)), p.x));
        p.d = _mm256_set1_ps(half(a.d));
        p.s = 0.0f;
        if constexpr (kMin) p.s = half(a.s);
        return p;
    }
    static void decode(const W &b, LegacyDec &o) { Decode(b, o); }
    static void dot(const LegacyDec &o, const A &, const Act &p, __m256 &acc, float &extra) {
        const __m256i i = kSignedW ? dot_s8s8(_mm256_setzero_si256(), o.q, p.x) : dot_u8s8(p.base, o.q, p.x);
        acc = _mm256_fmadd_ps(_mm256_mul_ps(o.d, p.d), _mm256_cvtepi32_ps(i), acc);
        if (kMin) extra += o.m * p.s;
    }
};

// pmaddubsw (the avx2 level) saturates above 255 * 127 / 2: the offset form
// of Q8_0 and IQ4_NL needs vpdpbusd.
constexpr bool kWideOffset = LOOM_X86_VNNI;

void decode_q4_0(const BlockQ4_0 &b, LegacyDec &o) { // q + 8
    o.q = nibbles16(b.qs);
    o.d = _mm256_set1_ps(half(b.d));
}
void decode_q5_0(const BlockQ5_0 &b, LegacyDec &o) { // q + 16
    o.q = _mm256_or_si256(nibbles16(b.qs), high_bits(load_qh(b.qh)));
    o.d = _mm256_set1_ps(half(b.d));
}
void decode_q8_0(const BlockQ8_0 &b, LegacyDec &o) { // q + 128 when kWideOffset
    o.q = load32(b.qs);
    if (kWideOffset) o.q = _mm256_xor_si256(o.q, _mm256_set1_epi8(char(0x80)));
    o.d = _mm256_set1_ps(half(b.d));
}
void decode_iq4_nl(const BlockIQ4_NL &b, LegacyDec &o) { // value + 128 when kWideOffset
    __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4nlValues)));
    if (kWideOffset) table = _mm256_xor_si256(table, _mm256_set1_epi8(char(0x80)));
    o.q = _mm256_shuffle_epi8(table, nibbles16(b.qs));
    o.d = _mm256_set1_ps(half(b.d));
}
void decode_q4_1(const BlockQ4_1 &b, LegacyDec &o) {
    o.q = nibbles16(b.qs);
    o.d = _mm256_set1_ps(half(b.d));
    o.m = half(b.m);
}
void decode_q5_1(const BlockQ5_1 &b, LegacyDec &o) {
    o.q = _mm256_or_si256(nibbles16(b.qs), high_bits(load_qh(b.qh)));
    o.d = _mm256_set1_ps(half(b.d));
    o.m = half(b.m);
}

constexpr int kWide = kWideOffset ? 128 : 0;
//                   weights      act        decoder        offset signed        min
using KQ4_0 = Legacy<BlockQ4_0, BlockQ8_0, decode_q4_0, 8, false, false>;
using KQ5_0 = Legacy<BlockQ5_0, BlockQ8_0, decode_q5_0, 16, false, false>;
using KQ8_0 = Legacy<BlockQ8_0, BlockQ8_0, decode_q8_0, kWide, !kWideOffset, false>;
using KIQ4_NL = Legacy<BlockIQ4_NL, BlockQ8_0, decode_iq4_nl, kWide, !kWideOffset, false>;
using KQ4_1 = Legacy<BlockQ4_1, BlockQ8_1, decode_q4_1, 0, false, true>;
using KQ5_1 = Legacy<BlockQ5_1, BlockQ8_1, decode_q5_1, 0, false, true>;
