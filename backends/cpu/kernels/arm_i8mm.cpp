// The ARM level with dotprod and i8mm: the dotprod kernels, plus smmla
// (2x8 by 8x2 int8 matrix products) for the quantized types when a call
// has several activation rows (the prompt path, arm_mmla.h). Every system
// header comes before the target pragma; the kernel headers after it hold
// only intrinsics code in an anonymous namespace. Only called where
// cpuid.cpp found HWCAP_ASIMDDP and HWCAP2_I8MM.
#include "cpu/kernels/blocks.h"
#include "cpu/kernels/simd_tables.h"
#include "cpu/kernels/skeleton.h"

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+dotprod+i8mm")
#define LOOM_ARM_DOTPROD 1
#define LOOM_ARM_I8MM 1

namespace loom::cpu {
namespace {

constexpr int kTileR = 4; // single activation rows and odd leftovers: as the dotprod level
constexpr int kTileC = 4;

#include "cpu/kernels/arm_common.h"
#include "cpu/kernels/arm_skeleton.h"
#include "cpu/kernels/arm_legacy.h"
#include "cpu/kernels/arm_kquants.h"
#include "cpu/kernels/arm_float.h"
#include "cpu/kernels/arm_quantize.h"
#include "cpu/kernels/arm_mmla.h"
#include "cpu/kernels/arm_table.h"

} // namespace

const MatmulKernels *neon_i8mm_kernels(loom_type t) { return arm_table(t); }

} // namespace loom::cpu

#pragma GCC pop_options
