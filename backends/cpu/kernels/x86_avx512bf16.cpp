// The AVX-512 level on CPUs that also have AVX512_BF16 (vdpbf16ps): BF16
// weights x BF16 activations (x86_bf16.h). Every other type keeps the
// AVX-512 level's kernels. Only called where cpuid.cpp found AVX512_BF16 on
// top of the AVX-512 level. Every system header comes before the target
// pragma; the kernel headers after it hold only intrinsics code in an
// anonymous namespace.
#include "cpu/kernels/simd_tables.h"

#include "cpu/kernels/isa_target.h"

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

LOOM_AVX512_BEGIN("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx512bf16")
#define LOOM_X86_VNNI 1

namespace loom::cpu {
namespace {

#include "cpu/kernels/x86_common.h"
#include "cpu/kernels/x86_skeleton.h"
#include "cpu/kernels/x86_bf16.h"

} // namespace

const MatmulKernels *avx512bf16_kernels(loom_type t) { return t == LOOM_TYPE_BF16 ? &kX86BF16Dp : nullptr; }

} // namespace loom::cpu

LOOM_AVX512_END
