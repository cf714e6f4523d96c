// The AVX2 level (AVX2 + FMA + F16C).
#include "cpu/kernels/simd_tables.h"

namespace loom::cpu {

const MatmulKernels *avx2_kernels(loom_type) { return nullptr; }

} // namespace loom::cpu
