// ISA detection: cpuid for what the CPU has, xgetbv for what the OS saves on
// a context switch (a CPU with AVX-512 under an OS that does not enable ZMM
// state must not run AVX-512 code), and for AMX the process's permission to
// use tile data (Linux asks each process to request it).
#include "cpu/kernels/cpuid.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <cstdint>
#endif
#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace loom::cpu {

#if defined(__x86_64__) || defined(__i386__)
namespace {

struct Regs {
    unsigned a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(unsigned leaf, unsigned sub) {
    Regs r;
    if (!__get_cpuid_count(leaf, sub, &r.a, &r.b, &r.c, &r.d)) return Regs{};
    return r;
}

uint64_t xcr0() {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t(hi) << 32) | lo;
}

bool bit(unsigned v, int b) { return (v >> b) & 1u; }

} // namespace

Isa probe_isa() {
    const Regs l1 = cpuid(1, 0);
    if (!bit(l1.c, 27) /* OSXSAVE */) return Isa::Scalar;
    const uint64_t xcr = xcr0();
    const bool ymm_saved = (xcr & 0x6) == 0x6;      // SSE + AVX state
    const bool zmm_saved = (xcr & 0xE6) == 0xE6;    // + opmask, ZMM_Hi256, Hi16_ZMM
    const Regs l7 = cpuid(7, 0);
    const bool avx2 = ymm_saved && bit(l1.c, 28) /* AVX */ && bit(l1.c, 12) /* FMA */ &&
                      bit(l1.c, 29) /* F16C */ && bit(l7.b, 5) /* AVX2 */;
    if (!avx2) return Isa::Scalar;
    const bool avx512 = zmm_saved && bit(l7.b, 16) /* F */ && bit(l7.b, 17) /* DQ */ &&
                        bit(l7.b, 30) /* BW */ && bit(l7.b, 31) /* VL */ && bit(l7.c, 11) /* VNNI */;
    return avx512 ? Isa::Avx512 : Isa::Avx2;
}

bool x86_has_avx512_bf16() {
    return probe_isa() == Isa::Avx512 && bit(cpuid(7, 1).a, 5) /* AVX512_BF16 */;
}

namespace {

// AMX-TILE + the tile product of `kind` (CPUID.7.0:EDX bit 25 AMX-INT8,
// bit 22 AMX-BF16) on top of the Avx512 level, tile state enabled by the
// OS (XCR0 bits 17 XTILECFG, 18 XTILEDATA) and, on Linux (5.16+), granted
// to this process by arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA);
// the first tile instruction without it gets SIGILL. Elsewhere (Windows): off.
bool probe_amx(int kind_bit) {
#if defined(__x86_64__) && defined(__linux__)
    if (probe_isa() != Isa::Avx512) return false;
    const Regs l7 = cpuid(7, 0);
    if (!bit(l7.d, 24) /* AMX-TILE */ || !bit(l7.d, kind_bit)) return false;
    constexpr uint64_t kTileState = uint64_t(3) << 17;
    if ((xcr0() & kTileState) != kTileState) return false;
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
    (void)kind_bit;
    return false;
#endif
}

bool amx_env_allows() { return amx_allowed(std::getenv("LOOM_CPU_AMX"), std::getenv("LOOM_CPU_ISA")); }

} // namespace

bool x86_has_amx_int8() {
    static const bool usable = amx_env_allows() && probe_amx(25);
    return usable;
}

bool x86_has_amx_bf16() {
    static const bool usable = amx_env_allows() && x86_has_avx512_bf16() && probe_amx(22);
    return usable;
}

bool x86_is_amd() {
    static const bool amd = [] {
        const char *vendor = std::getenv("LOOM_CPU_VENDOR");   // tests and benchmarks: either vendor's paths
        if (vendor && std::strcmp(vendor, "amd") == 0) return true;
        if (vendor && std::strcmp(vendor, "intel") == 0) return false;
        const Regs l0 = cpuid(0, 0);   // the vendor string in ebx, edx, ecx
        return l0.b == 0x68747541u /* "Auth" */ && l0.d == 0x69746e65u /* "enti" */ && l0.c == 0x444d4163u /* "cAMD" */;
    }();
    return amd;
}

#else

// aarch64: Advanced SIMD is part of the base architecture.
Isa probe_isa() {
#if defined(__aarch64__)
    return Isa::Neon;
#else
    return Isa::Scalar;
#endif
}

bool x86_has_avx512_bf16() { return false; }
bool x86_has_amx_int8() { return false; }
bool x86_has_amx_bf16() { return false; }
bool x86_is_amd() { return false; }

#endif

#if defined(__aarch64__) && defined(__linux__)
// The kernel reports the dotprod extension (SDOT/UDOT) in AT_HWCAP.
bool arm_has_dotprod() { return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0; }
// ... and the int8 matrix multiply extension (SMMLA) in AT_HWCAP2.
bool arm_has_i8mm() { return (getauxval(AT_HWCAP2) & HWCAP2_I8MM) != 0; }
#else
bool arm_has_dotprod() { return false; }
bool arm_has_i8mm() { return false; }
#endif

} // namespace loom::cpu
