// The fallback for types without an integer dot product yet (IQ1/IQ2/IQ3,
// TQ1_0/TQ2_0, ...): each weight row is decoded to f32 with lib/quant's
// to_float, a chunk at a time on the stack, and dotted with f32 activations.
// Correct and slow; the same function serves every ISA level.
#include "cpu/kernels/skeleton.h"

#include "quant/quant.h"

namespace loom::cpu {
namespace {

constexpr int64_t kChunk = 256; // every block size divides it

template <int T>
float dot_dequant(int64_t k, const void *w, const void *act) {
    const TypeTraits *tt = type_traits(T);
    const auto *wp = static_cast<const uint8_t *>(w);
    const auto *a = static_cast<const float *>(act);
    float buf[kChunk];
    float sum = 0.0f;
    for (int64_t i0 = 0; i0 < k; i0 += kChunk) {
        const int64_t n = k - i0 < kChunk ? k - i0 : kChunk;
        tt->to_float(wp + (i0 / tt->block_size) * tt->block_bytes, buf, n);
        for (int64_t i = 0; i < n; ++i) sum += buf[i] * a[i0 + i];
    }
    return sum;
}

#define GENERIC(T) {LOOM_TYPE_F32, convert_f32, matmul_rows<dot_dequant<LOOM_TYPE_##T>>}
const MatmulKernels kGeneric[] = {
    GENERIC(IQ2_XXS), GENERIC(IQ2_XS), GENERIC(IQ3_XXS), GENERIC(IQ1_S), GENERIC(IQ3_S),
    GENERIC(IQ2_S),   GENERIC(IQ1_M),  GENERIC(TQ1_0),   GENERIC(TQ2_0), GENERIC(Q8_1),
    GENERIC(Q8_K),
};
#undef GENERIC
const loom_type kGenericTypes[] = {
    LOOM_TYPE_IQ2_XXS, LOOM_TYPE_IQ2_XS, LOOM_TYPE_IQ3_XXS, LOOM_TYPE_IQ1_S,
    LOOM_TYPE_IQ3_S,   LOOM_TYPE_IQ2_S,  LOOM_TYPE_IQ1_M,   LOOM_TYPE_TQ1_0,
    LOOM_TYPE_TQ2_0,   LOOM_TYPE_Q8_1,   LOOM_TYPE_Q8_K,
};
static_assert(sizeof kGeneric / sizeof kGeneric[0] == sizeof kGenericTypes / sizeof kGenericTypes[0],
              "one entry per type");

} // namespace

const MatmulKernels *scalar_generic_kernels(loom_type t) {
    const TypeTraits *tt = type_traits(t);
    if (!tt || !tt->to_float || tt->block_size > kChunk || kChunk % tt->block_size != 0) return nullptr;
    for (size_t i = 0; i < sizeof kGenericTypes / sizeof kGenericTypes[0]; ++i)
        if (kGenericTypes[i] == t) return &kGeneric[i];
    return nullptr;
}

} // namespace loom::cpu
