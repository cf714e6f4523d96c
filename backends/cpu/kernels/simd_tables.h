// The SIMD levels' tables (nullptr for types a level has no kernel for; the
// dispatcher then falls back to the level below).
#pragma once

#include "cpu/kernels.h"

#if defined(__x86_64__)
#define LOOM_KERNELS_X86 1
#else
#define LOOM_KERNELS_X86 0
#endif
#if defined(__aarch64__) // arm_neon.cpp, arm_dotprod.cpp, arm_i8mm.cpp (kernels/meson.build)
#define LOOM_KERNELS_NEON 1
#else
#define LOOM_KERNELS_NEON 0
#endif

namespace loom::cpu {

const MatmulKernels *avx2_kernels(loom_type t);
const MatmulKernels *avx512_kernels(loom_type t);
const MatmulKernels *avx512bf16_kernels(loom_type t); // BF16 only; CPUs with AVX512_BF16 (x86_has_avx512_bf16)
const MatmulKernels *amx_kernels(loom_type t); // Q4_0, IQ4_NL, Q8_0 where x86_has_amx_int8; BF16 where x86_has_amx_bf16; else nullptr
const MatmulKernels *neon_kernels(loom_type t); // i8mm, dotprod or baseline build, as the CPU allows
const MatmulKernels *neon_baseline_kernels(loom_type t);
const MatmulKernels *neon_dotprod_kernels(loom_type t);
const MatmulKernels *neon_i8mm_kernels(loom_type t);

} // namespace loom::cpu
