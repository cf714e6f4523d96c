// The AVX-512 level (AVX2 + AVX-512 F/BW/DQ/VL + VNNI; 256-bit vectors, 32 registers, vpdpbusd): the x86 kernels compiled for it.
// Every system header comes before the target pragma; the kernel headers
// after it hold only intrinsics code in an anonymous namespace.
#include "cpu/kernels/blocks.h"
#include "cpu/kernels/cpuid.h"
#include "cpu/kernels/packed.h"
#include "cpu/kernels/simd_tables.h"

#include "cpu/kernels/isa_target.h"

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

LOOM_AVX512_BEGIN("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")
#define LOOM_X86_VNNI 1

namespace loom::cpu {
namespace {

constexpr int kTileR = 4; // 32 ymm registers: 4 x 4 accumulators + operands
constexpr int kLanesC = 8; // activation rows per 8-row lanes tile
constexpr int kTileC = 4;
constexpr int kGemvR = 4; // weight rows per decode (one activation row) tile
#define LOOM_LEGACY(T, G) matmul_legacy512<T, G>
#define LOOM_KQ(T, Z) matmul_kquant512<T, Z>

#include "cpu/kernels/x86_common.h"
#include "cpu/kernels/x86_skeleton.h"
#include "cpu/kernels/x86_legacy.h"
#include "cpu/kernels/x86_lanes.h"
#include "cpu/kernels/x86_gemm512.h"
#include "cpu/kernels/x86_gemv512.h"
#include "cpu/kernels/x86_kquants.h"
#include "cpu/kernels/x86_kquants512.h"
#include "cpu/kernels/x86_kgemm512.h"
#include "cpu/kernels/x86_float.h"
#include "cpu/kernels/x86_quantize.h"
#include "cpu/kernels/x86_packed512.h"
#include "cpu/kernels/x86_table.h"

} // namespace

const MatmulKernels *avx512_kernels(loom_type t) { return x86_table(t); }

} // namespace loom::cpu

LOOM_AVX512_END
