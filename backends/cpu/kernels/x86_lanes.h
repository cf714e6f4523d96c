// The prompt (several activation rows) path of the legacy types: 8 weight
// rows in the 8 int32 lanes (included inside the level's anonymous
// namespace, after x86_legacy.h).
//
// Per block column the 8 rows are decoded and transposed so that vector j
// holds bytes 4j..4j+3 of every row; each activation block then costs 8
// broadcasts + 8 u8 x s8 dots for all 8 rows, one cvt and one fma, and the
// accumulators hold 8 finished row sums (no horizontal reduction). The
// decode and transpose are shared by the C activation rows of the tile.

inline __m256i bcast_dword(const int8_t *p) {
    int32_t v;
    __builtin_memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

template <class T, int C>
void lanes_tile(int64_t nb, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
    using W = typename T::W;
    using A = typename T::A;
    __m256 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        __m256i q[8];
        alignas(16) uint16_t dh[8], mh[8];
        for (int r = 0; r < 8; ++r) {
            const W &blk = reinterpret_cast<const W *>(w + r * ws)[b];
            prefetch_block(&blk, sizeof(W));
            LegacyDec o;
            T::decode(blk, o);
            q[r] = o.q;
            dh[r] = blk.d;
            if constexpr (T::kHasMin) mh[r] = blk.m;
        }
        transpose8x8(q);
        __m256i sgn[8];
        if (T::kSigned)
            for (int j = 0; j < 8; ++j) {
                sgn[j] = q[j];
                q[j] = _mm256_sign_epi8(q[j], q[j]);
            }
        const __m256 dw = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i *>(dh)));
        __m256 mw = _mm256_setzero_ps();
        if constexpr (T::kHasMin) mw = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i *>(mh)));
        for (int c = 0; c < C; ++c) {
            const A &ab = reinterpret_cast<const A *>(a + c * as)[b];
            __m256i isum = _mm256_setzero_si256();
            if (T::kOffsetValue) {
                const int s = hsum_i32(dot_u8s8(isum, _mm256_set1_epi8(1), load32(ab.qs)));
                isum = _mm256_set1_epi32(-T::kOffsetValue * s);
            }
            for (int j = 0; j < 8; ++j) {
                __m256i x = bcast_dword(ab.qs + 4 * j);
                if (T::kSigned) x = _mm256_sign_epi8(x, sgn[j]);
                isum = dot_u8s8(isum, q[j], x);
            }
            acc[c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(half(ab.d))), _mm256_cvtepi32_ps(isum), acc[c]);
            if constexpr (T::kHasMin) acc[c] = _mm256_fmadd_ps(mw, _mm256_set1_ps(half(ab.s)), acc[c]);
        }
    }
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(out + c * os, acc[c]);
}

// Legacy matmul: lanes tiles for groups of 8 rows when there are several
// activation rows, the register-tiled skeleton for the rest.
template <class T>
void matmul_legacy(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                   int64_t n_act, float *out, size_t out_stride) {
    if (n_act < 2 || n_rows < 8) {
        matmul_tiled<T, kTileR, kTileC>(k, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
        return;
    }
    const int64_t nb = k / kQK, rows8 = n_rows / 8 * 8;
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    for (int64_t j = 0; j < n_act;) {
        const bool full = n_act - j >= kLanesC;
        for (int64_t r = 0; r < rows8; r += 8) {
            float *o = out + j * out_stride + r;
            if (full) lanes_tile<T, kLanesC>(nb, wb + r * w_stride, w_stride, ab + j * act_stride, act_stride, o, out_stride);
            else lanes_tile<T, 1>(nb, wb + r * w_stride, w_stride, ab + j * act_stride, act_stride, o, out_stride);
        }
        j += full ? kLanesC : 1;
    }
    if (rows8 < n_rows)
        matmul_tiled<T, kTileR, kTileC>(k, wb + rows8 * w_stride, w_stride, n_rows - rows8, act, act_stride, n_act,
                                        out + rows8, out_stride);
}
