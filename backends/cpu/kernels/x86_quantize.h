// x86 activation quantizers (included inside the level's anonymous
// namespace). Bit-identical to the scalar ones (scalar_legacy.cpp,
// scalar_kquants.cpp): the same amax, the same x * (127/amax) product rounded
// to nearest even by cvtps2dq, the same fp16 rounding (vcvtps2ph, nearest even).

inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

// 32 floats -> 32 int8 at scale id; returns the 8 int32 lane sums of
// values 0..15 in *lo and 16..31 in *hi.
inline void quantize32(const float *x, __m256 id, int8_t *q, __m256i *lo, __m256i *hi) {
    __m256i i[4];
    for (int v = 0; v < 4; ++v) i[v] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * v), id));
    const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i[0], i[1]), _mm256_packs_epi32(i[2], i[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(q),
                        _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    *lo = _mm256_add_epi32(i[0], i[1]);
    *hi = _mm256_add_epi32(i[2], i[3]);
}

inline float amax_of(const float *x, int n) {
    __m256 m = _mm256_setzero_ps();
    for (int v = 0; v < n; v += 8) m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(x + v)));
    return hmax(m);
}

inline uint16_t to_half(float f) { return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }

template <bool kWithSum>
void quantize_q8_legacy(const float *x, void *dst, int64_t k) {
    uint8_t *y = static_cast<uint8_t *>(dst);
    const size_t bytes = kWithSum ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0);
    for (int64_t b = 0; b < k / kQK; ++b, y += bytes) {
        const float *xb = x + b * kQK;
        const float amax = amax_of(xb, kQK);
        const float id = amax > 0.0f ? 127.0f / amax : 0.0f;
        const float d = amax / 127.0f;
        __m256i lo, hi;
        if (kWithSum) {
            auto *blk = reinterpret_cast<BlockQ8_1 *>(y);
            quantize32(xb, _mm256_set1_ps(id), blk->qs, &lo, &hi);
            blk->d = to_half(d);
            blk->s = to_half(d * static_cast<float>(hsum_i32(_mm256_add_epi32(lo, hi))));
        } else {
            auto *blk = reinterpret_cast<BlockQ8_0 *>(y);
            quantize32(xb, _mm256_set1_ps(id), blk->qs, &lo, &hi);
            blk->d = to_half(d);
        }
    }
}

void quantize_q8_0_x86(const float *x, void *dst, int64_t k) { quantize_q8_legacy<false>(x, dst, k); }
void quantize_q8_1_x86(const float *x, void *dst, int64_t k) { quantize_q8_legacy<true>(x, dst, k); }

void quantize_q8_k_x86(const float *x, void *dst, int64_t k) {
    auto *y = static_cast<BlockQ8_K *>(dst);
    for (int64_t b = 0; b < k / kQKK; ++b) {
        const float *xb = x + b * kQKK;
        const float amax = amax_of(xb, kQKK);
        const __m256 id = _mm256_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
        for (int g = 0; g < 8; ++g) {
            __m256i lo, hi;
            quantize32(xb + 32 * g, id, y[b].qs + 32 * g, &lo, &hi);
            y[b].bsums[2 * g] = int16_t(hsum_i32(lo));
            y[b].bsums[2 * g + 1] = int16_t(hsum_i32(hi));
        }
        y[b].d = amax / 127.0f;
    }
}

void convert_f32_x86(const float *x, void *dst, int64_t k) { __builtin_memcpy(dst, x, sizeof(float) * size_t(k)); }
