// The scalar SwiGLU row and the per-ISA choice.
#include "cpu/kernels/swiglu.h"
#include "cpu/kernels/simd_tables.h"

#include <cmath>

namespace loom::cpu {

#if LOOM_KERNELS_X86
void swiglu_avx2(const float *g, const float *u, float *y, int64_t n);     // swiglu_x86.cpp
void swiglu_avx512(const float *g, const float *u, float *y, int64_t n);   // swiglu_avx512.cpp
#endif

namespace {

void swiglu_scalar(const float *g, const float *u, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

} // namespace

SwigluFn swiglu_kernel(Isa isa) {
#if LOOM_KERNELS_X86
    if (isa == Isa::Avx512) return swiglu_avx512;
    if (isa == Isa::Avx2) return swiglu_avx2;
#endif
    (void)isa;
    return swiglu_scalar;
}

} // namespace loom::cpu
