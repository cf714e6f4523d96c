// x86 kernel types for the 256-value super-block formats x Q8_K (included
// inside the level's anonymous namespace; see x86_skeleton.h).
//
// A format F gives group(b, g): the 32 weights of group g (values 32g..32g+31)
// as bytes, and scales(b, s): 16-bit scales laid out for pmaddwd (sc[g] holds
// the scale of values 32g..32g+15 in lanes 0..7 and of 32g+16..32g+31 in
// lanes 8..15) plus one min per 16 values. With one activation row the
// groups are decoded on the fly; with several they are decoded once into an
// L1 buffer. Weights are unsigned where the format allows it (Q6_K as q+32,
// Q3_K as q+4: the offset comes back through the activation block sums in
// exact integer arithmetic); IQ4_XS stays signed (its code book does not fit
// pmaddubsw unsigned).

struct KScales {
    __m256i sc[8];
    __m256i mn; // 16 x int16, one per group of 16 (times the bsums)
    float d;
    float dmin; // the min scale; 0 when the offset is folded into the int sum
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
    alignas(32) uint8_t q[kQKK];
    KScales s;
};

inline __m256i and_mask(__m256i v, int m) { return _mm256_and_si256(v, _mm256_set1_epi8(char(m))); }
inline __m256i shr(__m256i v, int n) { return _mm256_srli_epi16(v, n); }
inline __m128i load16(const void *p) { return _mm_loadu_si128(static_cast<const __m128i *>(p)); }

// Scales of 8 groups of 32 (8 x int16 in `s8`): sc[g] = s8[g] in every lane.
inline void scales_by_32(__m128i s8, KScales &o) {
    const __m256i s = _mm256_broadcastsi128_si256(s8);
#pragma GCC unroll 8
    for (int g = 0; g < 8; ++g) o.sc[g] = _mm256_shuffle_epi8(s, _mm256_set1_epi16(short(0x0100 + 0x0202 * g)));
}

// Scales of 16 groups of 16 (16 x int16 in `s16`).
inline void scales_by_16(__m256i s16, KScales &o) {
    const __m256i lo = _mm256_permute4x64_epi64(s16, 0x44), hi = _mm256_permute4x64_epi64(s16, 0xEE);
#pragma GCC unroll 8
    for (int g = 0; g < 8; ++g) {
        const int t = g % 4;
        const __m256i m = _mm256_set_m128i(_mm_set1_epi16(short(0x0302 + 0x0404 * t)),
                                           _mm_set1_epi16(short(0x0100 + 0x0404 * t)));
        o.sc[g] = _mm256_shuffle_epi8(g < 4 ? lo : hi, m);
    }
}

// 8 mins of groups of 32 (bytes) -> 16 x int16, each twice.
inline __m256i mins_by_32(uint64_t m8) {
    const __m128i dup = _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    return _mm256_cvtepu8_epi16(_mm_shuffle_epi8(_mm_cvtsi64_si128(int64_t(m8)), dup));
}

template <class F>
struct KQuant {
    using W = typename F::W;
    using A = BlockQ8_K;
    template <bool Many>
    using Dec = KDec<Many>;
    static constexpr int kValues = kQKK;

    static void decode(const W &b, KDec<false> &o) {
        o.blk = &b;
        F::scales(b, o.s);
    }
    static void decode(const W &b, KDec<true> &o) {
#pragma GCC unroll 8
        for (int g = 0; g < 8; ++g) _mm256_store_si256(reinterpret_cast<__m256i *>(o.q + 32 * g), F::group(b, g));
        F::scales(b, o.s);
    }
    static __m256i weights(const KDec<false> &o, int g) { return F::group(*static_cast<const W *>(o.blk), g); }
    static __m256i weights(const KDec<true> &o, int g) {
        return _mm256_load_si256(reinterpret_cast<const __m256i *>(o.q + 32 * g));
    }

    struct Act {};
    static Act prep(const A &) { return {}; }

    template <bool Many>
    static void dot(const KDec<Many> &o, const A &a, const Act &, __m256 &acc, float &) {
        __m256i isum = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int g = 0; g < 8; ++g) {
            const __m256i w = weights(o, g);
            const __m256i x = load32(a.qs + 32 * g);
            const __m256i p =
                F::kSigned ? pairs_u8s8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w)) : pairs_u8s8(w, x);
            isum = madd_acc(isum, p, o.s.sc[g]);
        }
        if (F::kHasMin) {
            const __m256i mins = _mm256_madd_epi16(load32(a.bsums), o.s.mn);
            if (F::kFoldMin) isum = _mm256_sub_epi32(isum, mins);
            else acc = _mm256_fnmadd_ps(_mm256_set1_ps(o.s.dmin * a.d), _mm256_cvtepi32_ps(mins), acc);
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(o.s.d * a.d), _mm256_cvtepi32_ps(isum), acc);
    }
};

struct FQ2_K {
    using W = BlockQ2_K;
    static constexpr bool kSigned = false, kFoldMin = false, kHasMin = true;
    static __m256i group(const W &b, int g) { return and_mask(shr(load32(b.qs + 32 * (g / 4)), 2 * (g % 4)), 3); }
    static void scales(const W &b, KScales &o) {
        const __m128i v = load16(b.scales), m = _mm_set1_epi8(0xF);
        scales_by_16(_mm256_cvtepu8_epi16(_mm_and_si128(v, m)), o);
        o.mn = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(v, 4), m));
        o.d = half(b.d);
        o.dmin = half(b.dmin);
    }
};

struct FQ3_K { // stored as q + 4 in [0, 7]
    using W = BlockQ3_K;
    static constexpr bool kSigned = false, kFoldMin = true, kHasMin = true;
    static __m256i group(const W &b, int g) {
        const __m256i low = and_mask(shr(load32(b.qs + 32 * (g / 4)), 2 * (g % 4)), 3);
        const __m256i high = _mm256_slli_epi16(and_mask(shr(load32(b.hmask), g), 1), 2);
        return _mm256_or_si256(low, high);
    }
    static void scales(const W &b, KScales &o) {
        int8_t s8[16];
        q3_k_scales(b.scales, s8);
        const __m256i s16 = _mm256_cvtepi8_epi16(load16(s8));
        scales_by_16(s16, o);
        o.mn = _mm256_slli_epi16(s16, 2);
        o.d = half(b.d);
        o.dmin = 0.0f;
    }
};

// Q4_K / Q5_K: 6-bit scales and mins packed in 12 bytes (see k4_scale_min).
// The 8 scales and 8 mins as bytes (group g in byte g).
template <class B>
void k45_raw(const B &b, uint64_t &sc8, uint64_t &mn8) {
    uint32_t a, m, c;
    __builtin_memcpy(&a, b.scales, 4);
    __builtin_memcpy(&m, b.scales + 4, 4);
    __builtin_memcpy(&c, b.scales + 8, 4);
    const uint32_t sc_lo = a & 0x3f3f3f3f, sc_hi = (c & 0x0f0f0f0f) | ((a >> 6) & 0x03030303) << 4;
    const uint32_t mn_lo = m & 0x3f3f3f3f, mn_hi = ((c >> 4) & 0x0f0f0f0f) | ((m >> 6) & 0x03030303) << 4;
    sc8 = uint64_t(sc_hi) << 32 | sc_lo;
    mn8 = uint64_t(mn_hi) << 32 | mn_lo;
}

template <class B>
void scales_k45(const B &b, KScales &o) {
    uint64_t sc8, mn8;
    k45_raw(b, sc8, mn8);
    scales_by_32(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(sc8))), o);
    o.mn = mins_by_32(mn8);
    o.d = half(b.d);
    o.dmin = half(b.dmin);
}

struct FQ4_K {
    using W = BlockQ4_K;
    static constexpr bool kSigned = false, kFoldMin = false, kHasMin = true;
    static __m256i group(const W &b, int g) { return and_mask(shr(load32(b.qs + 32 * (g / 2)), 4 * (g % 2)), 0xF); }
    static void scales(const W &b, KScales &o) { scales_k45(b, o); }
};

struct FQ5_K {
    using W = BlockQ5_K;
    static constexpr bool kSigned = false, kFoldMin = false, kHasMin = true;
    static __m256i group(const W &b, int g) {
        const __m256i low = and_mask(shr(load32(b.qs + 32 * (g / 2)), 4 * (g % 2)), 0xF);
        return _mm256_or_si256(low, _mm256_slli_epi16(and_mask(shr(load32(b.qh), g), 1), 4));
    }
    static void scales(const W &b, KScales &o) { scales_k45(b, o); }
};

struct FQ6_K { // stored as q + 32 in [0, 63]
    using W = BlockQ6_K;
    static constexpr bool kSigned = false, kFoldMin = true, kHasMin = true;
    static __m256i group(const W &b, int g) {
        const int h = g / 4, t = g % 4;
        const __m256i l = load32(b.ql + 64 * h + 32 * (t & 1));
        const __m256i low = and_mask(shr(l, 4 * (t >> 1)), 0xF);
        const __m256i high = _mm256_slli_epi16(and_mask(shr(load32(b.qh + 32 * h), 2 * t), 3), 4);
        return _mm256_or_si256(low, high);
    }
    static void scales(const W &b, KScales &o) {
        const __m256i s16 = _mm256_cvtepi8_epi16(load16(b.scales));
        scales_by_16(s16, o);
        o.mn = _mm256_slli_epi16(s16, 5);
        o.d = half(b.d);
        o.dmin = 0.0f;
    }
};

struct FIQ4_XS {
    using W = BlockIQ4_XS;
    static constexpr bool kSigned = true, kFoldMin = false, kHasMin = false;
    static __m256i group(const W &b, int g) {
        const __m256i table = _mm256_broadcastsi128_si256(load16(kIq4nlValues));
        return _mm256_shuffle_epi8(table, nibbles16(b.qs + 16 * g));
    }
    // The 8 scales minus 32 as int16. Low 4 bits: nibble j of scales_l;
    // high 2 bits: bits 2j..2j+1 of scales_h.
    static __m128i scales16(const W &b) {
        uint32_t l;
        __builtin_memcpy(&l, b.scales_l, 4);
        const __m128i lo = _mm_unpacklo_epi8(_mm_cvtsi32_si128(int(l & 0x0f0f0f0f)),
                                             _mm_cvtsi32_si128(int((l >> 4) & 0x0f0f0f0f)));
        const __m256i h = _mm256_srlv_epi32(_mm256_set1_epi32(b.scales_h), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14));
        const __m256i h2 = _mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(3)), 4);
        const __m128i h16 = _mm_packs_epi32(_mm256_castsi256_si128(h2), _mm256_extracti128_si256(h2, 1));
        return _mm_sub_epi16(_mm_or_si128(_mm_cvtepu8_epi16(lo), h16), _mm_set1_epi16(32));
    }
    static void scales(const W &b, KScales &o) {
        scales_by_32(scales16(b), o);
        o.mn = _mm256_setzero_si256();
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
