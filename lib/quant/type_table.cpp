// The tensor type table: one entry per GGML type, indexed by its GGUF number.
#include "quant/codecs.h"
#include "quant/quant.h"

#include <cstdint>
#include <limits>

namespace loom {
namespace {

// {type, name, block_size, block_bytes, quantized, to_float, from_float, row_group, rows_to_float}
#define LOOM_FLOAT(T, name, bytes, fn) {LOOM_TYPE_##T, name, 1, bytes, false, fn##_to_float, fn##_from_float, 1, nullptr}
#define LOOM_CODEC(T, name, bs, bytes, fn) {LOOM_TYPE_##T, name, bs, bytes, true, fn##_to_float, fn##_from_float, 1, nullptr}
#define LOOM_DECODER(T, name, bs, bytes, fn) {LOOM_TYPE_##T, name, bs, bytes, true, fn##_to_float, nullptr, 1, nullptr}
#define LOOM_INTERLEAVED(T, name, rows, fn) {LOOM_TYPE_##T, name, 32, 18, true, nullptr, nullptr, rows, fn##_rows_to_float}
#define LOOM_OPAQUE(T, name, bs, bytes, quantized) {LOOM_TYPE_##T, name, bs, bytes, quantized, nullptr, nullptr, 1, nullptr}

const TypeTraits kTable[] = {
    LOOM_FLOAT(F32, "F32", 4, f32),
    LOOM_FLOAT(F16, "F16", 2, f16),
    LOOM_CODEC(Q4_0, "Q4_0", 32, 18, q4_0),
    LOOM_CODEC(Q4_1, "Q4_1", 32, 20, q4_1),
    LOOM_CODEC(Q5_0, "Q5_0", 32, 22, q5_0),
    LOOM_CODEC(Q5_1, "Q5_1", 32, 24, q5_1),
    LOOM_CODEC(Q8_0, "Q8_0", 32, 34, q8_0),
    LOOM_CODEC(Q8_1, "Q8_1", 32, 36, q8_1),
    LOOM_CODEC(Q2_K, "Q2_K", 256, 84, q2_k),
    LOOM_CODEC(Q3_K, "Q3_K", 256, 110, q3_k),
    LOOM_CODEC(Q4_K, "Q4_K", 256, 144, q4_k),
    LOOM_CODEC(Q5_K, "Q5_K", 256, 176, q5_k),
    LOOM_CODEC(Q6_K, "Q6_K", 256, 210, q6_k),
    LOOM_CODEC(Q8_K, "Q8_K", 256, 292, q8_k),
    LOOM_DECODER(IQ2_XXS, "IQ2_XXS", 256, 66, iq2_xxs),
    LOOM_DECODER(IQ2_XS, "IQ2_XS", 256, 74, iq2_xs),
    LOOM_CODEC(IQ3_XXS, "IQ3_XXS", 256, 98, iq3_xxs),
    LOOM_DECODER(IQ1_S, "IQ1_S", 256, 50, iq1_s),
    LOOM_CODEC(IQ4_NL, "IQ4_NL", 32, 18, iq4_nl),
    LOOM_CODEC(IQ3_S, "IQ3_S", 256, 110, iq3_s),
    LOOM_CODEC(IQ2_S, "IQ2_S", 256, 82, iq2_s),
    LOOM_CODEC(IQ4_XS, "IQ4_XS", 256, 136, iq4_xs),
    LOOM_OPAQUE(I8, "I8", 1, 1, false),
    LOOM_OPAQUE(I16, "I16", 1, 2, false),
    LOOM_OPAQUE(I32, "I32", 1, 4, false),
    LOOM_OPAQUE(I64, "I64", 1, 8, false),
    LOOM_OPAQUE(F64, "F64", 1, 8, false),
    LOOM_CODEC(IQ1_M, "IQ1_M", 256, 56, iq1_m),
    LOOM_FLOAT(BF16, "BF16", 2, bf16),
    LOOM_INTERLEAVED(Q4_0_4_4, "Q4_0_4_4", 4, q4_0_4_4),
    LOOM_INTERLEAVED(Q4_0_4_8, "Q4_0_4_8", 4, q4_0_4_8),
    LOOM_INTERLEAVED(Q4_0_8_8, "Q4_0_8_8", 8, q4_0_8_8),
    LOOM_CODEC(TQ1_0, "TQ1_0", 256, 54, tq1_0),
    LOOM_CODEC(TQ2_0, "TQ2_0", 256, 66, tq2_0),
};

#undef LOOM_FLOAT
#undef LOOM_CODEC
#undef LOOM_DECODER
#undef LOOM_OPAQUE
#undef LOOM_INTERLEAVED

// The table sorted by type number (numbers 4 and 5 were Q4_2/Q4_3, removed from the format).
struct Index {
    const TypeTraits *by_number[LOOM_TYPE_TQ2_0 + 1] = {};
    Index() {
        for (const TypeTraits &t : kTable) by_number[t.type] = &t;
    }
};

// Initialised at start-up after kTable (same file, declared earlier). Not
// constexpr: kTable's function pointers make it no constant expression for
// clang (gcc accepted it).
const Index kIndex{};

} // namespace

const TypeTraits *type_traits(int32_t type) {
    if (type < 0 || type > LOOM_TYPE_TQ2_0) return nullptr;
    return kIndex.by_number[type];
}

Status row_bytes(int32_t type, int64_t n, size_t *out) {
    const TypeTraits *t = type_traits(type);
    if (!t) return error(LOOM_ERR_INVALID_ARGUMENT, "unknown tensor type %d", int(type));
    if (n < 0) return error(LOOM_ERR_INVALID_ARGUMENT, "negative row length %lld", (long long)n);
    if (n % t->block_size != 0)
        return error(LOOM_ERR_INVALID_ARGUMENT, "row length %lld is not a multiple of %s's block size %lld",
                     (long long)n, t->name, (long long)t->block_size);
    const uint64_t blocks = uint64_t(n / t->block_size);
    if (blocks > std::numeric_limits<size_t>::max() / t->block_bytes)
        return error(LOOM_ERR_INVALID_ARGUMENT, "a row of %lld %s values overflows size_t", (long long)n, t->name);
    *out = size_t(blocks) * t->block_bytes;
    return Status::ok();
}

} // namespace loom
