// The tiled matmul skeleton of the ARM levels (included inside an anonymous
// namespace after the level's target pragma); the same contract as
// x86_skeleton.h with 128-bit vectors.
//
// A kernel type T describes one weight format:
//   W, A       weight block and activation block (same number of values)
//   Dec<Many>  a weight block decoded into registers or, when Many (it is
//              dotted with several activation rows), into an L1 buffer
//   decode(const W &, Dec<Many> &)
//   Act, prep(const A &)  what every weight row needs of one activation block
//   dot(const Dec &, const A &, const Act &, float32x4_t &acc, float &extra)  accumulate one block
// The skeleton decodes each weight block once per tile and dots it with C
// activation rows, keeping R x C accumulators in registers. No software
// prefetch: unlike the x86 levels, nothing was measured on ARM hardware yet.

template <class T, int R, int C>
void tile(int64_t nb, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
    float32x4_t acc[R][C];
    float extra[R][C];
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) {
            acc[r][c] = vdupq_n_f32(0.0f);
            extra[r][c] = 0.0f;
        }
    for (int64_t b = 0; b < nb; ++b) {
        typename T::template Dec<(C > 1)> dec[R];
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
