// The AVX-512 level (F/BW/DQ/VL + VNNI).
#include "cpu/kernels/simd_tables.h"

namespace loom::cpu {

const MatmulKernels *avx512_kernels(loom_type) { return nullptr; }

} // namespace loom::cpu
