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
