// The AVX2 level (AVX2 + FMA + F16C): the x86 kernels compiled for it.
// Every system header comes before the target pragma; the kernel headers
// after it hold only intrinsics code in an anonymous namespace.
#include "cpu/kernels/blocks.h"
#include "cpu/kernels/simd_tables.h"

#include "cpu/kernels/isa_target.h"

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

LOOM_ISA_BEGIN("avx2,fma,f16c")
#define LOOM_X86_VNNI 0

namespace loom::cpu {
namespace {

constexpr int kTileR = 4; // 16 ymm registers: 4 x 2 accumulators + operands
constexpr int kLanesC = 4; // activation rows per 8-row lanes tile
constexpr int kTileC = 2;
#define LOOM_LEGACY(T, G) matmul_legacy<T>
#define LOOM_KQ(T, Z) matmul_tiled<T, kTileR, kTileC>

#include "cpu/kernels/x86_common.h"
#include "cpu/kernels/x86_skeleton.h"
#include "cpu/kernels/x86_legacy.h"
#include "cpu/kernels/x86_lanes.h"
#include "cpu/kernels/x86_kquants.h"
#include "cpu/kernels/x86_float.h"
#include "cpu/kernels/x86_quantize.h"
#include "cpu/kernels/x86_table.h"

} // namespace

const MatmulKernels *avx2_kernels(loom_type t) { return x86_table(t); }

} // namespace loom::cpu

LOOM_ISA_END
