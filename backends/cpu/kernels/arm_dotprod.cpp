// The ARM level with the dotprod extension (sdot: 16 int8 products summed
// into 4 int32 lanes per instruction): the ARM kernels compiled for
// armv8.2-a+dotprod. Every system header comes before the target pragma; the
// kernel headers after it hold only intrinsics code in an anonymous
// namespace. Only called where cpuid.cpp found HWCAP_ASIMDDP.
#include "cpu/kernels/blocks.h"
#include "cpu/kernels/simd_tables.h"
#include "cpu/kernels/skeleton.h"

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+dotprod")
#define LOOM_ARM_DOTPROD 1
#define LOOM_ARM_I8MM 0

namespace loom::cpu {
namespace {

constexpr int kTileR = 4; // 32 q registers: 4 x 4 accumulators + weights and activations
constexpr int kTileC = 4;

#include "cpu/kernels/arm_common.h"
#include "cpu/kernels/arm_skeleton.h"
#include "cpu/kernels/arm_legacy.h"
#include "cpu/kernels/arm_kquants.h"
#include "cpu/kernels/arm_float.h"
#include "cpu/kernels/arm_quantize.h"
#include "cpu/kernels/arm_table.h"

} // namespace

const MatmulKernels *neon_dotprod_kernels(loom_type t) { return arm_table(t); }

} // namespace loom::cpu

#pragma GCC pop_options
