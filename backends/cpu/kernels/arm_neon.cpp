// The baseline ARM level (armv8-a Advanced SIMD, present on every aarch64
// CPU): the ARM kernels compiled without extensions, and the level's entry
// point, which hands out the dotprod build (arm_dotprod.cpp) instead where
// the CPU has sdot, and the i8mm build (arm_i8mm.cpp) where it also has
// smmla (cpuid.cpp), unless LOOM_NEON_BUILD lowers the choice.
#include "cpu/kernels/blocks.h"
#include "cpu/kernels/cpuid.h"
#include "cpu/kernels/simd_tables.h"
#include "cpu/kernels/skeleton.h"

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#define LOOM_ARM_DOTPROD 0
#define LOOM_ARM_I8MM 0

namespace loom::cpu {
namespace {

constexpr int kTileR = 4; // 32 q registers: 4 x 2 accumulators + weights, activations, widening temporaries
constexpr int kTileC = 2;

#include "cpu/kernels/arm_common.h"
#include "cpu/kernels/arm_skeleton.h"
#include "cpu/kernels/arm_legacy.h"
#include "cpu/kernels/arm_kquants.h"
#include "cpu/kernels/arm_float.h"
#include "cpu/kernels/arm_quantize.h"
#include "cpu/kernels/arm_table.h"

} // namespace

const MatmulKernels *neon_baseline_kernels(loom_type t) { return arm_table(t); }

namespace {

enum class NeonBuild { Baseline, Dotprod, I8mm };

// The best build this CPU runs, lowered by LOOM_NEON_BUILD=baseline|dotprod
// (to test or time the lower builds on ARM hardware; never raised).
NeonBuild neon_build() {
    const NeonBuild best = !arm_has_dotprod() ? NeonBuild::Baseline
                           : arm_has_i8mm()   ? NeonBuild::I8mm
                                              : NeonBuild::Dotprod;
    const char *cap = std::getenv("LOOM_NEON_BUILD");
    if (cap && std::strcmp(cap, "baseline") == 0) return NeonBuild::Baseline;
    if (cap && std::strcmp(cap, "dotprod") == 0 && best == NeonBuild::I8mm) return NeonBuild::Dotprod;
    return best;
}

} // namespace

const MatmulKernels *neon_kernels(loom_type t) {
    static const NeonBuild build = neon_build();
    switch (build) {
    case NeonBuild::I8mm: return neon_i8mm_kernels(t);
    case NeonBuild::Dotprod: return neon_dotprod_kernels(t);
    case NeonBuild::Baseline: break;
    }
    return neon_baseline_kernels(t);
}

} // namespace loom::cpu
