// The CPU kernel table: for each weight type and ISA level, how activations
// are converted before a matmul and the matmul itself. The scalar level is
// the reference every SIMD level is tested against (tests/backends/cpu).
//
// Owner: backends/cpu/kernels (scalar, avx2, avx512, neon files + dispatch).
// The CPU backend (backends/cpu) calls only this interface.
#pragma once

#include "loom.h"

#include <cstddef>
#include <cstdint>

namespace loom::cpu {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2, Neon = 3 };

struct MatmulKernels {
    // Activations (f32 rows) are converted once per matmul to this type
    // (F32, F16, Q8_0 or Q8_K).
    loom_type act_type;
    // Converts one activation row of k values (k a multiple of the weight's block size).
    void (*convert_act)(const float *x, void *dst, int64_t k);
    // out[j*out_stride + r] = dot(W row r, A row j), r in [0,n_rows), j in [0,n_act).
    // w_stride and act_stride are in bytes, out_stride in floats.
    void (*matmul)(int64_t k, const void *w, size_t w_stride, int64_t n_rows,
                   const void *act, size_t act_stride, int64_t n_act,
                   float *out, size_t out_stride);
};

// The best ISA this CPU and OS support, capped by LOOM_CPU_ISA=scalar|avx2|avx512
// if set (for tests and benchmarks).
Isa active_isa();
const char *isa_name(Isa isa);

// The kernels for `weight_type` at ISA `isa` (falling back to lower levels
// for types without a kernel there); nullptr if the type has no matmul.
const MatmulKernels *matmul_kernels(loom_type weight_type, Isa isa);

// Bytes of one converted activation row of k values.
size_t act_row_bytes(loom_type act_type, int64_t k);

} // namespace loom::cpu
