// The tiled matmul skeleton of the x86 levels (included inside an anonymous
// namespace after the level's `#pragma GCC target`).
//
// A kernel type T describes one weight format:
//   W, A       weight block and activation block (same number of values)
//   Dec<Many>  a weight block decoded into registers or, when Many (it is
//              dotted with several activation rows), into an L1 buffer
//   decode(const W &, Dec<Many> &)
//   Act, prep(const A &)  what every weight row needs of one activation block
//   dot(const Dec &, const A &, const Act &, __m256 &acc, float &extra)  accumulate one block
// The skeleton decodes each weight block once per tile and dots it with C
// activation rows, keeping R x C accumulators in registers. Activation tiles
// are the outer loop so that the weight rows of one call (the backend hands
// out a few rows at a time) stay in cache while the activations stream once.

// Software prefetch distance ahead of each weight row. The hardware
// prefetchers alone leave a single thread at ~7 GB/s on the project's machine
// (Q8_0 decode, 62 MB matrix); 16-32 KiB ahead reaches ~24 GB/s
// (tests/bench/kernel_bench, 2026-11-22).
constexpr int kPrefetchBytes = 24576;

template <int kAhead = kPrefetchBytes>
inline void prefetch_block(const void *p, size_t bytes) {
    for (size_t off = 0; off < bytes; off += 64)
        _mm_prefetch(static_cast<const char *>(p) + off + kAhead, _MM_HINT_T0);
}

template <class T, int R, int C, int kAhead = kPrefetchBytes>
void tile(int64_t nb, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
    __m256 acc[R][C];
    float extra[R][C];
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) {
            acc[r][c] = _mm256_setzero_ps();
            extra[r][c] = 0.0f;
        }
    for (int64_t b = 0; b < nb; ++b) {
        typename T::template Dec<(C > 1)> dec[R];
        for (int r = 0; r < R; ++r)
            prefetch_block<kAhead>(reinterpret_cast<const typename T::W *>(w + r * ws) + b, sizeof(typename T::W));
        for (int r = 0; r < R; ++r) T::decode(reinterpret_cast<const typename T::W *>(w + r * ws)[b], dec[r]);
        for (int c = 0; c < C; ++c) {
            const auto &ab = reinterpret_cast<const typename T::A *>(a + c * as)[b];
            const typename T::Act ap = T::prep(ab);
            for (int r = 0; r < R; ++r) T::dot(dec[r], ab, ap, acc[r][c], extra[r][c]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) out[c * os + r] = hsum(acc[r][c]) + extra[r][c];
}

template <class T, int R, int C>
void matmul_tiled(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                  int64_t n_act, float *out, size_t out_stride) {
    const int64_t nb = k / T::kValues;
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    for (int64_t j = 0; j < n_act;) {
        const bool full = n_act - j >= C;
        const uint8_t *aj = ab + j * act_stride;
        float *oj = out + j * out_stride;
        int64_t r = 0;
        for (; r + R <= n_rows; r += R) {
            if (full) tile<T, R, C>(nb, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
            else tile<T, R, 1>(nb, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
        }
        for (; r < n_rows; ++r) {
            if (full) tile<T, 1, C>(nb, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
            else tile<T, 1, 1>(nb, wb + r * w_stride, w_stride, aj, act_stride, oj + r, out_stride);
        }
        j += full ? C : 1;
    }
}
