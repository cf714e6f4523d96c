// Every codec against the committed golden vectors (made by make_golden.py
// from llama.cpp's own codecs): dequantization bit for bit, NaN payloads
// included (on x86; elsewhere a NaN's sign is not: nan_signs_unless_x86); quantization byte for byte.
#include "quant_check.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdio>

using namespace quant_test;

namespace {

std::string golden(const std::string &name) { return testdata::source_path("quant/golden/" + name); }

void check_dequant(const TypeCase &tc, int64_t n_rows) {
    INFO("type " << loom_type_name(tc.type));
    const std::vector<uint8_t> blocks = testdata::read_file(golden(std::string(tc.file) + ".blocks"));
    std::vector<float> want = testdata::read_f32(golden(std::string(tc.file) + ".f32"));
    REQUIRE(!blocks.empty());
    REQUIRE(want.size() % size_t(n_rows) == 0);
    const int64_t row_len = int64_t(want.size()) / n_rows;
    std::vector<float> got(want.size());
    REQUIRE(loom_dequantize(tc.type, blocks.data(), blocks.size(), n_rows, row_len, got.data()) == LOOM_OK);
    nan_signs_unless_x86(&got);
    nan_signs_unless_x86(&want);
    CHECK(float_bits_diff(got, want) == "");
}

void check_quant(const TypeCase &tc) {
    INFO("type " << loom_type_name(tc.type));
    const std::vector<float> x = testdata::read_f32(golden(std::string(tc.file) + ".in.f32"));
    const std::vector<uint8_t> want = testdata::read_file(golden(std::string(tc.file) + ".q"));
    REQUIRE(x.size() % 256 == 0);
    std::vector<uint8_t> got(want.size() + 16, 0xA5); // guard bytes past the end
    size_t written = 0;
    REQUIRE(loom_quantize(tc.type, x.data(), int64_t(x.size() / 256), 256, got.data(), got.size(), &written) ==
            LOOM_OK);
    REQUIRE(written == want.size());
    for (size_t i = written; i < got.size(); ++i) REQUIRE(got[i] == 0xA5);
    got.resize(written);
    CHECK(bytes_diff(got, want, loom_type_block_bytes(tc.type)) == "");
}

const TypeCase &find(const std::vector<TypeCase> &list, int32_t type) {
    for (const TypeCase &tc : list)
        if (tc.type == type) return tc;
    FAIL("type " << type << " is not in the test's list");
    return list.front();
}

} // namespace

#define LOOM_GOLDEN_DEQUANT(name, T)                                                               \
    TEST_CASE(#name "_dequant_matches_reference") { check_dequant(find(decodable_types(), LOOM_TYPE_##T), 1); }
#define LOOM_GOLDEN_QUANT(name, T)                                                                 \
    TEST_CASE(#name "_quant_matches_reference") { check_quant(find(quantizable_types(), LOOM_TYPE_##T)); }

LOOM_GOLDEN_DEQUANT(f32, F32)
LOOM_GOLDEN_DEQUANT(f16, F16)
LOOM_GOLDEN_DEQUANT(bf16, BF16)
LOOM_GOLDEN_DEQUANT(q4_0, Q4_0)
LOOM_GOLDEN_DEQUANT(q4_1, Q4_1)
LOOM_GOLDEN_DEQUANT(q5_0, Q5_0)
LOOM_GOLDEN_DEQUANT(q5_1, Q5_1)
LOOM_GOLDEN_DEQUANT(q8_0, Q8_0)
LOOM_GOLDEN_DEQUANT(q8_1, Q8_1)
LOOM_GOLDEN_DEQUANT(q2_k, Q2_K)
LOOM_GOLDEN_DEQUANT(q3_k, Q3_K)
LOOM_GOLDEN_DEQUANT(q4_k, Q4_K)
LOOM_GOLDEN_DEQUANT(q5_k, Q5_K)
LOOM_GOLDEN_DEQUANT(q6_k, Q6_K)
LOOM_GOLDEN_DEQUANT(q8_k, Q8_K)
LOOM_GOLDEN_DEQUANT(iq1_s, IQ1_S)
LOOM_GOLDEN_DEQUANT(iq1_m, IQ1_M)
LOOM_GOLDEN_DEQUANT(iq2_xxs, IQ2_XXS)
LOOM_GOLDEN_DEQUANT(iq2_xs, IQ2_XS)
LOOM_GOLDEN_DEQUANT(iq2_s, IQ2_S)
LOOM_GOLDEN_DEQUANT(iq3_xxs, IQ3_XXS)
LOOM_GOLDEN_DEQUANT(iq3_s, IQ3_S)
LOOM_GOLDEN_DEQUANT(iq4_nl, IQ4_NL)
LOOM_GOLDEN_DEQUANT(iq4_xs, IQ4_XS)
LOOM_GOLDEN_DEQUANT(tq1_0, TQ1_0)
LOOM_GOLDEN_DEQUANT(tq2_0, TQ2_0)

// Interleaved tensors of 8 rows x 64 values made from Q4_0 blocks (make_golden.py).
#define LOOM_GOLDEN_INTERLEAVED(name, T)                                                           \
    TEST_CASE(#name "_dequant_matches_reference") { check_dequant(find(interleaved_types(), LOOM_TYPE_##T), 8); }
LOOM_GOLDEN_INTERLEAVED(q4_0_4_4, Q4_0_4_4)
LOOM_GOLDEN_INTERLEAVED(q4_0_4_8, Q4_0_4_8)
LOOM_GOLDEN_INTERLEAVED(q4_0_8_8, Q4_0_8_8)

LOOM_GOLDEN_QUANT(f32, F32)
LOOM_GOLDEN_QUANT(f16, F16)
LOOM_GOLDEN_QUANT(bf16, BF16)
LOOM_GOLDEN_QUANT(q4_0, Q4_0)
LOOM_GOLDEN_QUANT(q4_1, Q4_1)
LOOM_GOLDEN_QUANT(q5_0, Q5_0)
LOOM_GOLDEN_QUANT(q5_1, Q5_1)
LOOM_GOLDEN_QUANT(q8_0, Q8_0)
LOOM_GOLDEN_QUANT(q8_1, Q8_1)
LOOM_GOLDEN_QUANT(q8_k, Q8_K)
LOOM_GOLDEN_QUANT(q2_k, Q2_K)
LOOM_GOLDEN_QUANT(q3_k, Q3_K)
LOOM_GOLDEN_QUANT(q4_k, Q4_K)
LOOM_GOLDEN_QUANT(q5_k, Q5_K)
LOOM_GOLDEN_QUANT(q6_k, Q6_K)
LOOM_GOLDEN_QUANT(iq4_nl, IQ4_NL)
LOOM_GOLDEN_QUANT(iq4_xs, IQ4_XS)
LOOM_GOLDEN_QUANT(tq1_0, TQ1_0)
LOOM_GOLDEN_QUANT(tq2_0, TQ2_0)
