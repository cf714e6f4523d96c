// The SwiGLU activation of the feed-forward block, y = silu(g) * u with
// silu(g) = g / (1 + exp(-g)), one row at a time. The scalar level is the
// reference; the x86 levels (AVX2 + FMA, shared by AVX-512) use a vector
// exp (x86_exp.h) and agree with it to a few ulp.
//
// Owner: backends/cpu (the swiglu op).
#pragma once

#include "cpu/kernels.h"

#include <cstdint>

namespace loom::cpu {

// y[i] = g[i] / (1 + exp(-g[i])) * u[i] for i < n (y may alias g or u).
using SwigluFn = void (*)(const float *g, const float *u, float *y, int64_t n);

// The kernel for `isa` (x86 levels share one AVX2 build).
SwigluFn swiglu_kernel(Isa isa);

} // namespace loom::cpu
