// The kernel table: picks the ISA once per process and hands out per-type
// kernels, falling back level by level (Avx512 -> Avx2 -> Scalar); at the
// Avx512 level, CPUs with AVX512_BF16 take BF16 weights through vdpbf16ps
// and CPUs with AMX-INT8 take Q4_0, IQ4_NL and Q8_0 prompts through tiles
// (AMX-BF16 with AVX512_BF16: BF16 prompts; amx_kernels says which types).
#include "cpu/kernels.h"
#include "cpu/kernels/blocks.h"
#include "cpu/kernels/cpuid.h"
#include "cpu/kernels/skeleton.h"
#include "cpu/kernels/simd_tables.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace loom::cpu {
namespace {

const MatmulKernels *scalar_kernels(loom_type t) {
    if (const MatmulKernels *k = scalar_float_kernels(t)) return k;
    if (const MatmulKernels *k = scalar_legacy_kernels(t)) return k;
    if (const MatmulKernels *k = scalar_kquant_kernels(t)) return k;
    return scalar_generic_kernels(t);
}

} // namespace

Isa detected_isa() {
    static const Isa isa = probe_isa();
    return isa;
}

Isa capped_isa(const char *value, Isa detected) {
    if (!value) return detected;
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Neon}) {
        if (std::strcmp(value, isa_name(isa)) != 0) continue;
        if (isa == Isa::Scalar) return isa;
        const bool x86 = isa != Isa::Neon && detected != Isa::Neon && detected != Isa::Scalar;
        return x86 && static_cast<int>(isa) < static_cast<int>(detected) ? isa : detected;
    }
    return detected;
}

bool amx_allowed(const char *amx, const char *isa) {
    if (amx && std::strcmp(amx, "0") == 0) return false;
    return capped_isa(isa, Isa::Avx512) == Isa::Avx512;
}

Isa active_isa() {
    static const Isa isa = capped_isa(std::getenv("LOOM_CPU_ISA"), detected_isa());
    return isa;
}

const char *isa_name(Isa isa) {
    switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    case Isa::Neon: return "neon";
    }
    return "?";
}

const MatmulKernels *matmul_kernels(loom_type weight_type, Isa isa) {
    const MatmulKernels *k = nullptr;
#if LOOM_KERNELS_X86
    static const bool bf16 = x86_has_avx512_bf16(), amx = x86_has_amx_int8() || x86_has_amx_bf16();
    if (isa == Isa::Avx512 && amx) k = amx_kernels(weight_type);
    if (!k && isa == Isa::Avx512 && bf16) k = avx512bf16_kernels(weight_type);
    if (!k && isa == Isa::Avx512) k = avx512_kernels(weight_type);
    if (!k && (isa == Isa::Avx512 || isa == Isa::Avx2)) k = avx2_kernels(weight_type);
#endif
#if LOOM_KERNELS_NEON
    if (isa == Isa::Neon) k = neon_kernels(weight_type);
#endif
    return k ? k : scalar_kernels(weight_type);
}

size_t act_row_bytes(loom_type act_type, int64_t k) {
    switch (act_type) {
    case LOOM_TYPE_F32: return sizeof(float) * static_cast<size_t>(k);
    case LOOM_TYPE_F16:
    case LOOM_TYPE_BF16: return sizeof(uint16_t) * static_cast<size_t>(k);
    case LOOM_TYPE_Q8_0: return sizeof(BlockQ8_0) * static_cast<size_t>(k / kQK);
    case LOOM_TYPE_Q8_1: return sizeof(BlockQ8_1) * static_cast<size_t>(k / kQK);
    case LOOM_TYPE_Q8_K: return sizeof(BlockQ8_K) * static_cast<size_t>(k / kQKK);
    default: return 0;
    }
}

} // namespace loom::cpu
