// x86 kernel types for the 256-value super-block formats x Q8_K (included
// inside the level's anonymous namespace; see x86_skeleton.h). A weight
// block decodes to 256 bytes in an L1 buffer plus 16-bit group scales laid
// out for pmaddwd: sc[g] holds the scale of values 32g..32g+15 in lanes 0..7
// and of 32g+16..32g+31 in lanes 8..15. Weights are stored unsigned where
// the format allows it (Q6_K as q+32, Q3_K as q+4: the offset comes back
// through the activation block sums, in exact integer arithmetic); IQ4_XS
// stays signed (its code book does not fit pmaddubsw unsigned).

struct KDec {
    alignas(32) uint8_t q[kQKK];
    __m256i sc[8];
    __m256i mn; // 16 x int16, one per group of 16 (subtracted via bsums)
    float d;
    float dmin; // the min scale (0 when the offset is folded into the int sum)
};

inline void set_scales(KDec &o, const int16_t sc[16], const int16_t mn[16]) {
    for (int g = 0; g < 8; ++g)
        o.sc[g] = _mm256_set_m128i(_mm_set1_epi16(sc[2 * g + 1]), _mm_set1_epi16(sc[2 * g]));
    o.mn = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(mn));
}

// kSigned: weights are signed int8 (sign trick). kFoldMin: the min term uses
// the same scale d as the main term, so it is subtracted as an integer.
template <class Wt, void (*Decode)(const Wt &, KDec &), bool kSigned, bool kFoldMin, bool kHasMin>
struct KQuant {
    using W = Wt;
    using A = BlockQ8_K;
    using Dec = KDec;
    static constexpr int kValues = kQKK;
    static void decode(const W &b, Dec &o) { Decode(b, o); }
    static void dot(const Dec &o, const A &a, __m256 &acc, float &) {
        __m256i isum = _mm256_setzero_si256();
        for (int g = 0; g < 8; ++g) {
            const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i *>(o.q + 32 * g));
            const __m256i x = load32(a.qs + 32 * g);
            const __m256i p = kSigned ? pairs_u8s8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w)) : pairs_u8s8(w, x);
            isum = madd_acc(isum, p, o.sc[g]);
        }
        if (kHasMin) {
            const __m256i mins = _mm256_madd_epi16(load32(a.bsums), o.mn);
            if (kFoldMin) {
                isum = _mm256_sub_epi32(isum, mins);
            } else {
                acc = _mm256_fnmadd_ps(_mm256_set1_ps(o.dmin * a.d), _mm256_cvtepi32_ps(mins), acc);
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(o.d * a.d), _mm256_cvtepi32_ps(isum), acc);
    }
};

inline void store32(uint8_t *p, __m256i v) { _mm256_store_si256(reinterpret_cast<__m256i *>(p), v); }
inline __m256i and_mask(__m256i v, int m) { return _mm256_and_si256(v, _mm256_set1_epi8(char(m))); }

void decode_q2_k(const BlockQ2_K &b, KDec &o) {
    for (int h = 0; h < 2; ++h) {
        const __m256i v = load32(b.qs + 32 * h);
        for (int s = 0; s < 4; ++s) store32(o.q + 128 * h + 32 * s, and_mask(_mm256_srli_epi16(v, 2 * s), 3));
    }
    int16_t sc[16], mn[16];
    for (int g = 0; g < 16; ++g) {
        sc[g] = b.scales[g] & 0xF;
        mn[g] = b.scales[g] >> 4;
    }
    set_scales(o, sc, mn);
    o.d = half(b.d);
    o.dmin = half(b.dmin);
}

void decode_q3_k(const BlockQ3_K &b, KDec &o) {
    const __m256i hm = load32(b.hmask);
    for (int h = 0; h < 2; ++h) {
        const __m256i v = load32(b.qs + 32 * h);
        for (int s = 0; s < 4; ++s) {
            const __m256i low = and_mask(_mm256_srli_epi16(v, 2 * s), 3);
            const __m256i high = _mm256_slli_epi16(and_mask(_mm256_srli_epi16(hm, 4 * h + s), 1), 2);
            store32(o.q + 128 * h + 32 * s, _mm256_or_si256(low, high)); // q + 4
        }
    }
    int8_t s8[16];
    q3_k_scales(b.scales, s8);
    int16_t sc[16], mn[16];
    for (int g = 0; g < 16; ++g) {
        sc[g] = s8[g];
        mn[g] = int16_t(4 * s8[g]);
    }
    set_scales(o, sc, mn);
    o.d = half(b.d);
    o.dmin = 0.0f;
}

template <class B>
void decode_k45(const B &b, KDec &o, const uint8_t *qh) {
    const __m256i hv = qh ? load32(qh) : _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
        const __m256i v = load32(b.qs + 32 * c);
        __m256i lo = and_mask(v, 0xF), hi = and_mask(_mm256_srli_epi16(v, 4), 0xF);
        if (qh) {
            lo = _mm256_or_si256(lo, _mm256_slli_epi16(and_mask(_mm256_srli_epi16(hv, 2 * c), 1), 4));
            hi = _mm256_or_si256(hi, _mm256_slli_epi16(and_mask(_mm256_srli_epi16(hv, 2 * c + 1), 1), 4));
        }
        store32(o.q + 64 * c, lo);
        store32(o.q + 64 * c + 32, hi);
    }
    int16_t sc[16], mn[16];
    for (int j = 0; j < 8; ++j) {
        uint8_t s, m;
        k4_scale_min(b.scales, j, &s, &m);
        sc[2 * j] = sc[2 * j + 1] = s;
        mn[2 * j] = mn[2 * j + 1] = m;
    }
    set_scales(o, sc, mn);
    o.d = half(b.d);
    o.dmin = half(b.dmin);
}
void decode_q4_k(const BlockQ4_K &b, KDec &o) { decode_k45(b, o, nullptr); }
void decode_q5_k(const BlockQ5_K &b, KDec &o) { decode_k45(b, o, b.qh); }

void decode_q6_k(const BlockQ6_K &b, KDec &o) {
    for (int h = 0; h < 2; ++h) {
        const __m256i l0 = load32(b.ql + 64 * h), l1 = load32(b.ql + 64 * h + 32), qh = load32(b.qh + 32 * h);
        const auto hb = [&](int shift) { return _mm256_slli_epi16(and_mask(_mm256_srli_epi16(qh, shift), 3), 4); };
        uint8_t *q = o.q + 128 * h;
        store32(q, _mm256_or_si256(and_mask(l0, 0xF), hb(0)));
        store32(q + 32, _mm256_or_si256(and_mask(l1, 0xF), hb(2)));
        store32(q + 64, _mm256_or_si256(and_mask(_mm256_srli_epi16(l0, 4), 0xF), hb(4)));
        store32(q + 96, _mm256_or_si256(and_mask(_mm256_srli_epi16(l1, 4), 0xF), hb(6)));
    }
    int16_t sc[16], mn[16];
    for (int g = 0; g < 16; ++g) {
        sc[g] = b.scales[g];
        mn[g] = int16_t(32 * b.scales[g]);
    }
    set_scales(o, sc, mn);
    o.d = half(b.d);
    o.dmin = 0.0f;
}

void decode_iq4_xs(const BlockIQ4_XS &b, KDec &o) {
    const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4nlValues)));
    for (int j = 0; j < 4; ++j) {
        const __m256i v = load32(b.qs + 32 * j);
        const __m256i lo = _mm256_shuffle_epi8(table, and_mask(v, 0xF));
        const __m256i hi = _mm256_shuffle_epi8(table, and_mask(_mm256_srli_epi16(v, 4), 0xF));
        store32(o.q + 64 * j, _mm256_permute2x128_si256(lo, hi, 0x20));
        store32(o.q + 64 * j + 32, _mm256_permute2x128_si256(lo, hi, 0x31));
    }
    int16_t sc[16], mn[16];
    for (int j = 0; j < 8; ++j) {
        sc[2 * j] = sc[2 * j + 1] = int16_t(iq4_xs_scale(b, j));
        mn[2 * j] = mn[2 * j + 1] = 0;
    }
    set_scales(o, sc, mn);
    o.d = half(b.d);
    o.dmin = 0.0f;
}

//                               block        decoder        signed fold   min
using KQ2_K = KQuant<BlockQ2_K, decode_q2_k, false, false, true>;
using KQ3_K = KQuant<BlockQ3_K, decode_q3_k, false, true, true>;
using KQ4_K = KQuant<BlockQ4_K, decode_q4_k, false, false, true>;
using KQ5_K = KQuant<BlockQ5_K, decode_q5_k, false, false, true>;
using KQ6_K = KQuant<BlockQ6_K, decode_q6_k, false, true, true>;
using KIQ4_XS = KQuant<BlockIQ4_XS, decode_iq4_xs, true, false, false>;
