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
//   Acc        one output's accumulator (zero when value-initialized)
//   dot(const Dec &, const A &, const Act &, Acc &)  accumulate one block
//   finish(const Acc &) -> float
// BlockTile decodes each weight block once per tile and dots it with C
// activation rows, keeping R x C accumulators in registers. No software
// prefetch: unlike the x86 levels, nothing was measured on ARM hardware yet.

// One call's operands; run<R, C>(r, j) hands K::tile<R, C> the tile at
// weight row U*r and activation row U*j (U = 2 where K's tiles count pairs).
// n is what K::tile wants first (values or blocks per row).
template <class K, int U>
struct Grid {
    int64_t n;
    const uint8_t *w;
    size_t ws;
    const uint8_t *a;
    size_t as;
    float *out;
    size_t os;
    template <int R, int C>
    void run(int64_t r, int64_t j) const {
        K::template tile<R, C>(n, w + U * r * ws, ws, a + U * j * as, as, out + U * (j * os + r), os);
    }
};

// The n_rows x n_act outputs (whole multiples of U of each) in K's tiles (skeleton.h's for_each_tile).
template <class K, int R, int C, int U = 1>
void matmul_grid(int64_t n, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                 int64_t n_act, float *out, size_t out_stride) {
    const Grid<K, U> grid{n, static_cast<const uint8_t *>(w), w_stride, static_cast<const uint8_t *>(act), act_stride,
                          out, out_stride};
    for_each_tile<R, C>(n_rows / U, n_act / U, grid);
}

template <class T>
struct BlockTile {
    template <int R, int C>
    static void tile(int64_t nb, const uint8_t *w, size_t ws, const uint8_t *a, size_t as, float *out, size_t os) {
        typename T::Acc acc[R][C] = {};
        for (int64_t b = 0; b < nb; ++b) {
            typename T::template Dec<(C > 1)> dec[R];
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) T::decode(reinterpret_cast<const typename T::W *>(w + r * ws)[b], dec[r]);
#pragma GCC unroll 8
            for (int c = 0; c < C; ++c) {
                const auto &ab = reinterpret_cast<const typename T::A *>(a + c * as)[b];
                const typename T::Act ap = T::prep(ab);
#pragma GCC unroll 8
                for (int r = 0; r < R; ++r) T::dot(dec[r], ab, ap, acc[r][c]);
            }
        }
        for (int r = 0; r < R; ++r)
            for (int c = 0; c < C; ++c) out[c * os + r] = T::finish(acc[r][c]);
    }
};

template <class T, int R, int C>
void matmul_tiled(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                  int64_t n_act, float *out, size_t out_stride) {
    matmul_grid<BlockTile<T>, R, C>(k / T::kValues, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
}
