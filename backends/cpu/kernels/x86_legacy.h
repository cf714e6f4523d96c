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
    float d;
    float m;
};

// Signed weights x Q8_0.
template <class Wt, void (*Decode)(const Wt &, LegacyDec &)>
struct SymmetricQ8_0 {
    using W = Wt;
    using A = BlockQ8_0;
    template <bool> using Dec = LegacyDec;
    static constexpr int kValues = kQK;
    static void decode(const W &b, LegacyDec &o) { Decode(b, o); }
    static void dot(const LegacyDec &o, const A &a, __m256 &acc, float &) {
        const __m256i i = dot_s8s8(_mm256_setzero_si256(), o.q, load32(a.qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(o.d * half(a.d)), _mm256_cvtepi32_ps(i), acc);
    }
};

// Unsigned weights with a min x Q8_1.
template <class Wt, void (*Decode)(const Wt &, LegacyDec &)>
struct MinQ8_1 {
    using W = Wt;
    using A = BlockQ8_1;
    template <bool> using Dec = LegacyDec;
    static constexpr int kValues = kQK;
    static void decode(const W &b, LegacyDec &o) { Decode(b, o); }
    static void dot(const LegacyDec &o, const A &a, __m256 &acc, float &extra) {
        const __m256i i = dot_u8s8(_mm256_setzero_si256(), o.q, load32(a.qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(o.d * half(a.d)), _mm256_cvtepi32_ps(i), acc);
        extra += o.m * half(a.s);
    }
};

void decode_q4_0(const BlockQ4_0 &b, LegacyDec &o) {
    o.q = _mm256_sub_epi8(nibbles16(b.qs), _mm256_set1_epi8(8));
    o.d = half(b.d);
}
void decode_q5_0(const BlockQ5_0 &b, LegacyDec &o) {
    o.q = _mm256_sub_epi8(_mm256_or_si256(nibbles16(b.qs), high_bits(load_qh(b.qh))), _mm256_set1_epi8(16));
    o.d = half(b.d);
}
void decode_q8_0(const BlockQ8_0 &b, LegacyDec &o) {
    o.q = load32(b.qs);
    o.d = half(b.d);
}
void decode_iq4_nl(const BlockIQ4_NL &b, LegacyDec &o) {
    const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4nlValues)));
    o.q = _mm256_shuffle_epi8(table, nibbles16(b.qs));
    o.d = half(b.d);
}
void decode_q4_1(const BlockQ4_1 &b, LegacyDec &o) {
    o.q = nibbles16(b.qs);
    o.d = half(b.d);
    o.m = half(b.m);
}
void decode_q5_1(const BlockQ5_1 &b, LegacyDec &o) {
    o.q = _mm256_or_si256(nibbles16(b.qs), high_bits(load_qh(b.qh)));
    o.d = half(b.d);
    o.m = half(b.m);
}

using KQ4_0 = SymmetricQ8_0<BlockQ4_0, decode_q4_0>;
using KQ5_0 = SymmetricQ8_0<BlockQ5_0, decode_q5_0>;
using KQ8_0 = SymmetricQ8_0<BlockQ8_0, decode_q8_0>;
using KIQ4_NL = SymmetricQ8_0<BlockIQ4_NL, decode_iq4_nl>;
using KQ4_1 = MinQ8_1<BlockQ4_1, decode_q4_1>;
using KQ5_1 = MinQ8_1<BlockQ5_1, decode_q5_1>;
