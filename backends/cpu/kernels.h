// The CPU kernel table: for each weight type and ISA level, how activations
// are converted before a matmul and the matmul itself. The scalar level is
// the reference every SIMD level is tested against (tests/backends/cpu).
//
// Owner: backends/cpu/kernels (scalar, avx2, avx512, amx, neon files + dispatch).
// The CPU backend (backends/cpu) calls only this interface.
#pragma once

#include "loom.h"

#include <cstddef>
#include <cstdint>

namespace loom::cpu {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2, Neon = 3 };

struct MatmulKernels {
    // Activations (f32 rows) are converted once per matmul to this type
    // (F32, BF16, Q8_0, Q8_1 or Q8_K; a level may pick another type than the
    // scalar level: BF16 weights take BF16 activations on CPUs with
    // AVX512_BF16).
    loom_type act_type;
    // Converts one activation row of k values (k a multiple of the weight's block size).
    void (*convert_act)(const float *x, void *dst, int64_t k);
    // out[j*out_stride + r] = dot(W row r, A row j), r in [0,n_rows), j in [0,n_act).
    // w_stride and act_stride are in bytes, out_stride in floats.
    void (*matmul)(int64_t k, const void *w, size_t w_stride, int64_t n_rows,
                   const void *act, size_t act_stride, int64_t n_act,
                   float *out, size_t out_stride);

    // Optional (nullptr: none): a load-time weight layout. repack converts a
    // whole tensor of n_rows x k values (n_rows a multiple of kPackRows) from
    // the GGUF row layout at `src` to the kernel's layout at `dst`, the same
    // size (n_rows * row bytes) and alignment-agnostic; src and dst must not
    // overlap. matmul_packed has matmul's contract over repacked bytes: `w`
    // is the repacked tensor's base plus r0 * w_stride for a first row r0
    // that is a multiple of kPackRows, w_stride is the GGUF row bytes, and
    // n_rows is a multiple of kPackRows. The results equal matmul's on the
    // original rows up to f32 summation order.
    void (*repack)(const void *src, void *dst, int64_t n_rows, int64_t k) = nullptr;
    void (*matmul_packed)(int64_t k, const void *w, size_t w_stride, int64_t n_rows,
                          const void *act, size_t act_stride, int64_t n_act,
                          float *out, size_t out_stride) = nullptr;
};

// Rows per group of a repacked weight (MatmulKernels::repack).
constexpr int64_t kPackRows = 16;

// The best ISA this CPU and OS support, capped by LOOM_CPU_ISA=scalar|avx2|avx512
// if set (for tests and benchmarks). Decided once per process.
//   Avx2:   AVX2 + FMA + F16C, with the OS saving YMM state (XCR0).
//   Avx512: Avx2 + AVX-512 F/BW/DQ/VL + VNNI, with the OS saving ZMM/opmask state.
// Within the Avx512 level, CPUs with AMX-TILE + AMX-INT8 (and, on Linux, the
// process's permission for tile data) run the prompt matmuls of Q4_0,
// IQ4_NL and Q8_0 on int8 tiles; LOOM_CPU_AMX=0 turns that off (for tests
// and benchmarks), and so does LOOM_CPU_ISA below avx512. Decided once per
// process (amx_allowed below; kernels/cpuid.h's x86_has_amx_int8).
Isa active_isa();
const char *isa_name(Isa isa);

// The kernels for `weight_type` at ISA `isa` (falling back to lower levels
// for types without a kernel there); nullptr if the type has no matmul.
const MatmulKernels *matmul_kernels(loom_type weight_type, Isa isa);

// Bytes of one converted activation row of k values.
size_t act_row_bytes(loom_type act_type, int64_t k);

// ---- appended by the kernels owner ------------------------------------------
//
// Coverage: every type lib/quant can decode has a matmul at every level.
//   F32/F16/BF16 x F32 (BF16 x BF16 through vdpbf16ps at the Avx512 level
//   when the CPU has AVX512_BF16); Q4_0/Q5_0/Q8_0/IQ4_NL x Q8_0; Q4_1/Q5_1 x Q8_1;
//   Q2_K..Q6_K, IQ4_XS x Q8_K (integer dot products, SIMD at Avx2/Avx512).
//   Other types (IQ1/IQ2/IQ3 families, TQ1_0/TQ2_0, Q8_1, Q8_K weights) use a
//   generic kernel: act_type F32, each weight row decoded with lib/quant's
//   to_float and dotted in f32 (correct, slow).
// Quantized activations: blocks of 32 (Q8_0, Q8_1) or 256 (Q8_K), scale
// d = amax/127 and q = round-to-nearest-even(x * 127/amax); Q8_0/Q8_1 store d
// (and s = d*sum(q)) as fp16, Q8_K as f32 with 16 int16 sums of 16 q each
// (GGML's block layouts; see kernels/blocks.h). convert_act is bit-identical
// across ISA levels of the same act_type; matmul results differ between
// levels only by f32 rounding (summation order, FMA), and by the activation
// rounding where the act_type differs (bf16: 2^-9 relative per value).
// Load-time layouts (repack/matmul_packed, kernels/packed.h): Q4_0, IQ4_NL,
// Q5_0, Q5_1, IQ4_XS and Q4_K at the Scalar (reference) and Avx512 levels.
// AMX (x86_amx.cpp; at the Avx512 level where x86_has_amx_int8()): Q4_0 and
// IQ4_NL (GGUF rows and the same repack) and Q8_0 calls with >= 16
// activation rows run on int8 tiles (tdpbssd per block of 32 values, 16
// activation rows x 16 weight rows), bit-identical to the Avx512 kernels
// where those sum the same blocks in one pass (GGUF rows: always; packed:
// up to 64 blocks, or up to 1024 in calls of >= 128 rows); fewer rows go
// to the Avx512 kernels. Each call configures and releases its thread's
// tiles; any n_rows (packed: multiples of 16). Stack per call ~44 KiB.
// AMX-BF16 (where x86_has_amx_bf16(), with AVX512_BF16): BF16 calls run
// their 16-row multiples of activation and weight rows (k a multiple of 32)
// on bf16 tiles (tdpbf16ps, f32 sums held in the tiles across chunks of 512
// values), the rest on the AVX512_BF16 kernel; the results differ from it
// by f32 summation order only. Stack per call ~34 KiB.
// Linux only (Windows builds compile no tile code). For speed, give calls
// activation rows in multiples of 16 (a tail of r rows costs a whole tile)
// and many weight rows: each call scales and streams every activation row
// once per 128-row panel and decodes each group of 16 weight rows once per
// panel (kernel_bench: ~2x the Avx512 kernels at 256 rows a call, ~1.2-1.8x
// at 16).
// Threads: every function here is reentrant; the backend splits n_rows.
// For speed, give each call >= 8 rows (the prompt path keeps 8 weight rows
// in the SIMD lanes) and give each thread consecutive row ranges (the
// kernels prefetch 8-24 KiB ahead along the weight rows; the Avx512 Q8_0 and
// float decodes read one row at a time, a single stream per thread).
// Avx512 (x86_gemv512.h, x86_gemm512.h, x86_kquants512.h, x86_kgemm512.h):
// calls with >= 3 activation rows (legacy types) or >= 4 (Q4_K, Q5_K, Q6_K,
// IQ4_XS) keep 16 weight rows in the zmm lanes and decode each block of
// those rows once per call, so give such calls 16 rows (or a multiple) and
// as many activation rows as possible; calls with 1 or 2 activation rows
// work row by row (any row count). Stack use per call is at most ~40 KiB.
// Neon (aarch64; always present there): the same SIMD coverage as Avx2/Avx512
// (F32/F16/BF16, the legacy types, Q2_K..Q6_K, IQ4_XS; the rest generic),
// signed int8 dot products with sdot where the CPU has the dotprod extension
// (HWCAP_ASIMDDP; arm_dotprod.cpp), else smull + sadalp (arm_neon.cpp); with
// i8mm too (HWCAP2_I8MM; arm_i8mm.cpp) calls with >= 2 activation rows take
// pairs of weight rows x pairs of activation rows through smmla. All three
// builds have bit-identical convert_act and exact integer sums.
// LOOM_NEON_BUILD=baseline|dotprod lowers the build (never raises it). No
// software prefetch; not measured on ARM hardware. Tested under qemu-aarch64
// on CPUs with i8mm, with dotprod only and with neither
// (.ci/aarch64.sh, run by CI).

// The best ISA this CPU and OS support, ignoring LOOM_CPU_ISA (tests walk
// every level up to this one).
Isa detected_isa();

// What LOOM_CPU_ISA=`value` makes of `detected`: a lower level of the same
// family ("scalar" is below everything); unknown names, nullptr and higher
// levels leave `detected`.
Isa capped_isa(const char *value, Isa detected);

// Whether LOOM_CPU_AMX=`amx` and LOOM_CPU_ISA=`isa` (either nullptr when
// unset) leave the AMX kernels on: amx "0" turns them off, and so does an
// isa that caps the Avx512 level (capped_isa). Anything else leaves them on.
bool amx_allowed(const char *amx, const char *isa);

// Interleaved Q4_0_4_4 / Q4_0_4_8 / Q4_0_8_8 tensors (rows stored in groups of
// 4 or 8) have no matmul: the backend converts them once at load with this
// into plain Q4_0 rows (same size: n_rows * k/32 * 18 bytes) and then uses
// the Q4_0 kernels. n_rows must be a multiple of the group, k of 32; src and
// dst must not overlap.
// Returns false (dst untouched) for other types or bad sizes.
bool interleaved_to_q4_0(loom_type type, const void *src, void *dst, int64_t n_rows, int64_t k);

} // namespace loom::cpu
