// Shared by the quant tests: the list of types with their file names, and
// bit-exact comparisons that say where the first difference is.
#pragma once

#include "loom.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace quant_test {

struct TypeCase {
    int32_t type;
    const char *file; // lower-case name used for golden files and refcodec.py
};

// Every type loom decodes, row-interleaved ones last.
inline const std::vector<TypeCase> &decodable_types() {
    static const std::vector<TypeCase> v = {
        {LOOM_TYPE_F32, "f32"},         {LOOM_TYPE_F16, "f16"},         {LOOM_TYPE_BF16, "bf16"},
        {LOOM_TYPE_Q4_0, "q4_0"},       {LOOM_TYPE_Q4_1, "q4_1"},       {LOOM_TYPE_Q5_0, "q5_0"},
        {LOOM_TYPE_Q5_1, "q5_1"},       {LOOM_TYPE_Q8_0, "q8_0"},       {LOOM_TYPE_Q8_1, "q8_1"},
        {LOOM_TYPE_Q2_K, "q2_k"},       {LOOM_TYPE_Q3_K, "q3_k"},       {LOOM_TYPE_Q4_K, "q4_k"},
        {LOOM_TYPE_Q5_K, "q5_k"},       {LOOM_TYPE_Q6_K, "q6_k"},       {LOOM_TYPE_Q8_K, "q8_k"},
        {LOOM_TYPE_IQ1_S, "iq1_s"},     {LOOM_TYPE_IQ1_M, "iq1_m"},     {LOOM_TYPE_IQ2_XXS, "iq2_xxs"},
        {LOOM_TYPE_IQ2_XS, "iq2_xs"},   {LOOM_TYPE_IQ2_S, "iq2_s"},     {LOOM_TYPE_IQ3_XXS, "iq3_xxs"},
        {LOOM_TYPE_IQ3_S, "iq3_s"},     {LOOM_TYPE_IQ4_NL, "iq4_nl"},   {LOOM_TYPE_IQ4_XS, "iq4_xs"},
        {LOOM_TYPE_TQ1_0, "tq1_0"},     {LOOM_TYPE_TQ2_0, "tq2_0"},
    };
    return v;
}

inline const std::vector<TypeCase> &interleaved_types() {
    static const std::vector<TypeCase> v = {
        {LOOM_TYPE_Q4_0_4_4, "q4_0_4_4"}, {LOOM_TYPE_Q4_0_4_8, "q4_0_4_8"}, {LOOM_TYPE_Q4_0_8_8, "q4_0_8_8"}};
    return v;
}

// Every type loom quantizes to (bit-exact with ggml_quantize_chunk, no imatrix).
inline const std::vector<TypeCase> &quantizable_types() {
    static const std::vector<TypeCase> v = {
        {LOOM_TYPE_F32, "f32"},       {LOOM_TYPE_F16, "f16"},       {LOOM_TYPE_BF16, "bf16"},
        {LOOM_TYPE_Q4_0, "q4_0"},     {LOOM_TYPE_Q4_1, "q4_1"},     {LOOM_TYPE_Q5_0, "q5_0"},
        {LOOM_TYPE_Q5_1, "q5_1"},     {LOOM_TYPE_Q8_0, "q8_0"},     {LOOM_TYPE_Q8_1, "q8_1"},
        {LOOM_TYPE_Q8_K, "q8_k"},     {LOOM_TYPE_Q2_K, "q2_k"},     {LOOM_TYPE_Q3_K, "q3_k"},
        {LOOM_TYPE_Q4_K, "q4_k"},     {LOOM_TYPE_Q5_K, "q5_k"},     {LOOM_TYPE_Q6_K, "q6_k"},
        {LOOM_TYPE_IQ4_NL, "iq4_nl"}, {LOOM_TYPE_IQ4_XS, "iq4_xs"}, {LOOM_TYPE_TQ1_0, "tq1_0"},
        {LOOM_TYPE_TQ2_0, "tq2_0"},
    };
    return v;
}

// IEEE 754 does not specify the sign of a NaN result. The golden
// dequantizations were made on x86, which creates 0xffc00000 (Inf * 0,
// Inf - Inf) where ARM creates 0x7fc00000, and whether the compiler then
// negates it (fnmul, fneg for a code's sign) differs with the instruction
// sequence. So on a CPU that creates another NaN than x86 this clears the
// sign of every NaN (called on both sides); payloads, and every other value,
// are still compared bit for bit. On x86 it changes nothing: the sign of a
// NaN is compared there too.
inline void nan_signs_unless_x86(std::vector<float> *v) {
    volatile float inf = std::numeric_limits<float>::infinity(), zero = 0.0f;
    const float created = inf * zero;
    uint32_t created_bits;
    std::memcpy(&created_bits, &created, 4);
    if (created_bits == 0xffc00000u) return;
    for (float &f : *v) {
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        if ((bits & 0x7fffffffu) > 0x7f800000u) bits &= 0x7fffffffu;
        std::memcpy(&f, &bits, 4);
    }
}

// "" when a and b hold the same bit patterns (so NaN == NaN), else where they first differ.
inline std::string float_bits_diff(const std::vector<float> &got, const std::vector<float> &want) {
    if (got.size() != want.size())
        return "size " + std::to_string(got.size()) + " != " + std::to_string(want.size());
    size_t count = 0, first = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0 && count++ == 0) first = i;
    }
    if (count == 0) return "";
    uint32_t g, w;
    std::memcpy(&g, &got[first], 4);
    std::memcpy(&w, &want[first], 4);
    char buf[200];
    std::snprintf(buf, sizeof buf, "%zu values differ; first at %zu: got %.9g (0x%08x) want %.9g (0x%08x)", count,
                  first, double(got[first]), unsigned(g), double(want[first]), unsigned(w));
    return buf;
}

inline std::string bytes_diff(const std::vector<uint8_t> &got, const std::vector<uint8_t> &want,
                              size_t block_bytes) {
    if (got.size() != want.size())
        return "size " + std::to_string(got.size()) + " != " + std::to_string(want.size());
    size_t count = 0, first = 0;
    for (size_t i = 0; i < got.size(); ++i)
        if (got[i] != want[i] && count++ == 0) first = i;
    if (count == 0) return "";
    char buf[200];
    std::snprintf(buf, sizeof buf, "%zu bytes differ; first at %zu (block %zu, byte %zu): got 0x%02x want 0x%02x",
                  count, first, first / block_bytes, first % block_bytes, got[first], want[first]);
    return buf;
}

} // namespace quant_test
