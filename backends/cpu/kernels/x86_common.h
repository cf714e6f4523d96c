// Helpers shared by the x86 levels. Included by x86_avx2.cpp and
// x86_avx512.cpp after their LOOM_ISA_BEGIN (isa_target.h), inside an anonymous
// namespace, so each level compiles its own copy for its ISA. No standard
// library templates here: only intrinsics and plain loops (an inline std::
// function compiled with AVX flags could be picked by the linker for
// baseline callers).
//
// LOOM_X86_VNNI (1 at the avx512 level; GCC does not update feature
// macros for a target pragma in C++) switches the int8 dot
// products to vpdpbusd / vpdpwssd.

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline int hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

inline float hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float half(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i load32(const void *p) { return _mm256_loadu_si256(static_cast<const __m256i *>(p)); }

// 16 bytes -> 32 nibbles: low nibbles in bytes 0..15, high nibbles in 16..31.
inline __m256i nibbles16(const uint8_t *p) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    const __m128i m = _mm_set1_epi8(0xF);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), m), _mm_and_si128(v, m));
}

// sum over 4-byte groups of u8 * s8 -> 8 x int32, added to acc.
inline __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) {
#if LOOM_X86_VNNI
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    const __m256i p = _mm256_maddubs_epi16(u, s);
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
#endif
}

// Signed x signed int8 (w may be -128, a is within [-127, 127]).
inline __m256i dot_s8s8(__m256i acc, __m256i w, __m256i a) {
    return dot_u8s8(acc, _mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
}

// acc + pairwise int16 products (madd) with per-lane int16 scales.
inline __m256i madd_acc(__m256i acc, __m256i p16, __m256i sc16) {
#if LOOM_X86_VNNI
    return _mm256_dpwssd_epi32(acc, p16, sc16);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p16, sc16));
#endif
}

// u8 x s8 -> 16 x int16 pair sums (no saturation for |u| <= 63 or |s| small).
inline __m256i pairs_u8s8(__m256i u, __m256i s) { return _mm256_maddubs_epi16(u, s); }

// out[j] lane r = in[r] dword j (the 8-row lanes tiles, x86_lanes.h, and the
// 16-row decode, x86_gemm512.h).
inline void transpose8x8(__m256i v[8]) {
    __m256i t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(v[i], v[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(v[i], v[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int j = 0; j < 4; ++j) {
        v[j] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x20);
        v[j + 4] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x31);
    }
}
