// The one matmul skeleton every scalar kernel shares: a loop over (activation
// row, weight row) pairs calling a per-type row dot product. SIMD levels have
// their own tiled skeleton (x86_skeleton.h); this one is the reference.
#pragma once

#include "cpu/kernels.h"

#include <cstddef>
#include <cstdint>

namespace loom::cpu {

// dot(W row, converted activation row) over k values.
using RowDot = float (*)(int64_t k, const void *w, const void *act);

template <RowDot Dot>
void matmul_rows(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act,
                 size_t act_stride, int64_t n_act, float *out, size_t out_stride) {
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    for (int64_t j = 0; j < n_act; ++j)
        for (int64_t r = 0; r < n_rows; ++r)
            out[j * out_stride + r] = Dot(k, wb + r * w_stride, ab + j * act_stride);
}

// The tiling every SIMD matmul can share: calls
// tiles.template run<R', C'>(r, j) for the tile of R' weight rows from r and
// C' activation rows from j, covering n_rows x n_act with activation rows in
// groups of C (then one at a time) and weight rows in groups of R (then one
// at a time). Tiles types live in the levels' anonymous namespaces, so every
// instantiation stays inside its level (compiled for its ISA).
template <int R, int C, class Tiles>
void for_each_tile(int64_t n_rows, int64_t n_act, const Tiles &tiles) {
    for (int64_t j = 0; j < n_act;) {
        const bool full = n_act - j >= C;
        int64_t r = 0;
        for (; r + R <= n_rows; r += R) full ? tiles.template run<R, C>(r, j) : tiles.template run<R, 1>(r, j);
        for (; r < n_rows; ++r) full ? tiles.template run<1, C>(r, j) : tiles.template run<1, 1>(r, j);
        j += full ? C : 1;
    }
}

// Scalar tables by family (nullptr for types the family does not hold).
const MatmulKernels *scalar_float_kernels(loom_type t);
const MatmulKernels *scalar_legacy_kernels(loom_type t);
const MatmulKernels *scalar_kquant_kernels(loom_type t);
const MatmulKernels *scalar_generic_kernels(loom_type t);

// Scalar activation converters (the reference every SIMD converter matches bit for bit).
void convert_f32(const float *x, void *dst, int64_t k);
void quantize_q8_0(const float *x, void *dst, int64_t k);
void quantize_q8_1(const float *x, void *dst, int64_t k);
void quantize_q8_k(const float *x, void *dst, int64_t k);

} // namespace loom::cpu
