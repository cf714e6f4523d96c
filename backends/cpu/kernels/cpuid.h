// What the CPU and the OS support, from cpuid and xgetbv.
#pragma once

#include "cpu/kernels.h"

namespace loom::cpu {

// The highest ISA level usable here (no environment override).
Isa probe_isa();

// x86: whether the CPU has AVX512_BF16 (vdpbf16ps) on top of the Avx512
// level with its OS state checks (probe_isa() == Avx512); false elsewhere.
// Picks the BF16 kernels of x86_avx512bf16.cpp.
bool x86_has_avx512_bf16();

// x86: whether the AVX-512 level's prompt matmuls of Q4_0, IQ4_NL and Q8_0
// take AMX int8 tiles (x86_amx.cpp): the CPU has AMX-TILE + AMX-INT8 on top
// of the Avx512 level, the OS saves tile state and (Linux) granted this
// process its use, and neither LOOM_CPU_AMX=0 nor a LOOM_CPU_ISA cap below
// avx512 turned it off (amx_allowed). Decided once per process (it asks the
// kernel for the permission then); false elsewhere. Never prints or aborts.
bool x86_has_amx_int8();

// x86: the same for AMX-BF16 (CPUID.7.0:EDX bit 22) with AVX512_BF16: the
// AVX-512 level's prompt matmuls of BF16 weights take bf16 tiles.
bool x86_has_amx_bf16();

// x86: whether the CPU's vendor is AMD ("AuthenticAMD"), or what
// LOOM_CPU_VENDOR=amd|intel says (so the tests run both vendors' paths on
// either CPU); false elsewhere. For choices measured to differ between
// vendors (the F16 decode stream's prefetch distance, x86_float.h; the
// packed Q4_0 / IQ4_NL decode in pairs of groups, x86_packed512.h). Decided
// once per process.
bool x86_is_amd();

// aarch64 Linux: whether the CPU has the dotprod extension (HWCAP_ASIMDDP);
// false elsewhere. Picks the Neon level's build (arm_neon.cpp).
bool arm_has_dotprod();

// aarch64 Linux: whether the CPU has the i8mm extension (HWCAP2_I8MM).
bool arm_has_i8mm();

} // namespace loom::cpu
