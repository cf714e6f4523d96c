// The type table against llama.cpp's (golden/ggml_types.txt, dumped from
// libggml by make_golden.py), and the error paths of the public quant API.
#include "quant/quant.h"
#include "quant_check.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>

using namespace quant_test;

namespace {

std::string upper(std::string s) {
    for (char &c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

} // namespace

TEST_CASE("type_table_matches_ggml_type_table") {
    std::istringstream in(
        [] {
            std::vector<uint8_t> raw = testdata::read_file(testdata::source_path("quant/golden/ggml_types.txt"));
            return std::string(raw.begin(), raw.end());
        }());
    int checked = 0;
    int32_t number;
    std::string name;
    int64_t block_size;
    size_t block_bytes;
    while (in >> number >> name >> block_size >> block_bytes) {
        INFO("type " << number << " " << name);
        const loom::TypeTraits *t = loom::type_traits(number);
        if (block_size == 0) {
            // removed from ggml: numbers 4, 5 (Q4_2, Q4_3) unknown to loom too; 31..33
            // (Q4_0_4_4...) still in old files, where they were Q4_0-sized blocks.
            if (number == 4 || number == 5) {
                CHECK(t == nullptr);
            } else {
                REQUIRE(t != nullptr);
                CHECK(t->block_size == 32);
                CHECK(t->block_bytes == 18);
                CHECK(upper(name) == std::string("TYPE_") + t->name);
            }
            continue;
        }
        REQUIRE(t != nullptr);
        CHECK(t->type == number);
        CHECK(upper(name) == t->name);
        CHECK(t->block_size == block_size);
        CHECK(t->block_bytes == block_bytes);
        CHECK(loom_type_block_size(number) == block_size);
        CHECK(loom_type_block_bytes(number) == block_bytes);
        CHECK(std::string(loom_type_name(number)) == t->name);
        ++checked;
    }
    CHECK(checked == 31); // 36 numbers less 4, 5 and 31..33
}

TEST_CASE("every_decodable_type_has_a_decoder_and_quantizable_type_an_encoder") {
    for (const TypeCase &tc : decodable_types()) {
        INFO(tc.file);
        const loom::TypeTraits *t = loom::type_traits(tc.type);
        REQUIRE(t != nullptr);
        CHECK(t->to_float != nullptr);
        CHECK(t->row_group == 1);
    }
    for (const TypeCase &tc : interleaved_types()) {
        INFO(tc.file);
        const loom::TypeTraits *t = loom::type_traits(tc.type);
        REQUIRE(t != nullptr);
        CHECK(t->rows_to_float != nullptr);
        CHECK(t->row_group > 1);
    }
    for (const TypeCase &tc : quantizable_types()) {
        INFO(tc.file);
        CHECK(loom::type_traits(tc.type)->from_float != nullptr);
    }
}

TEST_CASE("unknown_types_have_no_name_size_or_bytes") {
    for (int32_t t : {-1, 4, 5, 36, 1000, std::numeric_limits<int32_t>::min()}) {
        CHECK(loom_type_name(t) == nullptr);
        CHECK(loom_type_block_size(t) == 0);
        CHECK(loom_type_block_bytes(t) == 0);
        CHECK(loom::type_traits(t) == nullptr);
    }
}

TEST_CASE("row_size_multiplies_blocks_and_checks_its_arguments") {
    size_t out = 7;
    REQUIRE(loom_row_size(LOOM_TYPE_Q4_K, 512, &out) == LOOM_OK);
    CHECK(out == 288);
    REQUIRE(loom_row_size(LOOM_TYPE_F16, 3, &out) == LOOM_OK);
    CHECK(out == 6);
    REQUIRE(loom_row_size(LOOM_TYPE_Q8_0, 0, &out) == LOOM_OK);
    CHECK(out == 0);
    out = 7;
    CHECK(loom_row_size(LOOM_TYPE_Q4_K, 255, &out) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("block size") != std::string::npos);
    CHECK(loom_row_size(LOOM_TYPE_Q4_0, -32, &out) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_row_size(4, 32, &out) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("unknown tensor type") != std::string::npos);
    CHECK(loom_row_size(LOOM_TYPE_Q4_0, 32, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(out == 7); // untouched on failure
}

TEST_CASE("row_size_rejects_overflow") {
    size_t out = 0;
    const int64_t max = std::numeric_limits<int64_t>::max();
    // F64: 8 bytes per value, so 2^62 values overflow a 64-bit size_t
    CHECK(loom_row_size(LOOM_TYPE_F64, int64_t(1) << 62, &out) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("overflow") != std::string::npos);
    CHECK(loom_row_size(LOOM_TYPE_Q8_0, max - max % 32, &out) == LOOM_OK); // 34/32 bytes per value fits
    CHECK(loom_row_size(LOOM_TYPE_F32, max, &out) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_row_size(LOOM_TYPE_I8, max, &out) == LOOM_OK);
    CHECK(out == size_t(max));
}

TEST_CASE("dequantize_rejects_bad_arguments") {
    std::vector<uint8_t> src(34 * 4, 0);
    std::vector<float> dst(128);
    CHECK(loom_dequantize(LOOM_TYPE_Q8_0, src.data(), src.size(), 1, 128, dst.data()) == LOOM_OK);
    CHECK(loom_dequantize(LOOM_TYPE_Q8_0, src.data(), src.size() - 1, 1, 128, dst.data()) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("src has") != std::string::npos);
    CHECK(loom_dequantize(LOOM_TYPE_Q8_0, nullptr, src.size(), 1, 128, dst.data()) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_dequantize(LOOM_TYPE_Q8_0, src.data(), src.size(), 1, 128, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_dequantize(LOOM_TYPE_Q8_0, src.data(), src.size(), 1, 100, dst.data()) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_dequantize(LOOM_TYPE_Q8_0, src.data(), src.size(), -1, 32, dst.data()) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_dequantize(99, src.data(), src.size(), 1, 32, dst.data()) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_dequantize(LOOM_TYPE_I32, src.data(), src.size(), 1, 32, dst.data()) == LOOM_ERR_UNSUPPORTED);
    CHECK(loom_dequantize(LOOM_TYPE_Q8_0, src.data(), src.size(), int64_t(1) << 40, int64_t(1) << 40, dst.data()) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_dequantize(LOOM_TYPE_Q8_0, nullptr, 0, 0, 32, nullptr) == LOOM_OK); // nothing to do
}

TEST_CASE("dequantize_interleaved_needs_whole_row_groups") {
    std::vector<uint8_t> src(18 * 8, 0);
    std::vector<float> dst(8 * 32);
    CHECK(loom_dequantize(LOOM_TYPE_Q4_0_4_4, src.data(), src.size(), 4, 32, dst.data()) == LOOM_OK);
    CHECK(loom_dequantize(LOOM_TYPE_Q4_0_4_4, src.data(), src.size(), 2, 32, dst.data()) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("row groups") != std::string::npos);
    CHECK(loom_dequantize(LOOM_TYPE_Q4_0_8_8, src.data(), src.size(), 4, 32, dst.data()) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_dequantize(LOOM_TYPE_Q4_0_8_8, src.data(), src.size(), 8, 32, dst.data()) == LOOM_OK);
}

TEST_CASE("quantize_reports_needed_size_and_rejects_bad_arguments") {
    std::vector<float> x(64, 1.0f);
    std::vector<uint8_t> dst(68);
    size_t written = 0;
    CHECK(loom_quantize(LOOM_TYPE_Q8_0, x.data(), 2, 32, dst.data(), 10, &written) == LOOM_ERR_BUFFER_TOO_SMALL);
    CHECK(written == 68);
    CHECK(loom_quantize(LOOM_TYPE_Q8_0, x.data(), 2, 32, nullptr, 0, &written) == LOOM_ERR_BUFFER_TOO_SMALL);
    CHECK(written == 68);
    CHECK(loom_quantize(LOOM_TYPE_Q8_0, x.data(), 2, 32, dst.data(), dst.size(), nullptr) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_quantize(LOOM_TYPE_Q8_0, nullptr, 2, 32, dst.data(), dst.size(), &written) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_quantize(LOOM_TYPE_Q8_0, x.data(), 2, 33, dst.data(), dst.size(), &written) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_quantize(LOOM_TYPE_IQ2_XXS, x.data(), 1, 256, dst.data(), dst.size(), &written) ==
          LOOM_ERR_UNSUPPORTED);
    CHECK(loom_quantize(LOOM_TYPE_Q4_0_4_4, x.data(), 4, 32, dst.data(), dst.size(), &written) ==
          LOOM_ERR_UNSUPPORTED);
    CHECK(loom_quantize(-3, x.data(), 2, 32, dst.data(), dst.size(), &written) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_quantize(LOOM_TYPE_Q8_0, x.data(), 2, 32, dst.data(), dst.size(), &written) == LOOM_OK);
    CHECK(written == 68);
}

// Inf/NaN inputs have no reference result (ggml's float->int casts are
// undefined there); loom must stay defined (UBSan checks it) and keep
// blocks independent: a finite block quantizes the same beside a broken one.
TEST_CASE("quantize_of_non_finite_block_leaves_neighbour_blocks_exact") {
    const float specials[] = {NAN, INFINITY, -INFINITY, 3e38f, -3e38f, 1e-40f, 0.0f, -0.0f};
    for (const TypeCase &tc : quantizable_types()) {
        INFO("type " << loom_type_name(tc.type));
        const int64_t bs = loom_type_block_size(tc.type) == 1 ? 32 : loom_type_block_size(tc.type);
        std::vector<float> finite(static_cast<size_t>(bs)), row(static_cast<size_t>(2 * bs));
        for (int64_t i = 0; i < bs; ++i) {
            finite[size_t(i)] = std::sin(float(i) * 0.7f) * 2.0f;
            row[size_t(i)] = specials[i % 8];
            row[size_t(bs + i)] = finite[size_t(i)];
        }
        size_t alone_size = 0, row_size = 0;
        std::vector<uint8_t> alone(4096), both(8192);
        REQUIRE(loom_quantize(tc.type, finite.data(), 1, bs, alone.data(), alone.size(), &alone_size) == LOOM_OK);
        REQUIRE(loom_quantize(tc.type, row.data(), 1, 2 * bs, both.data(), both.size(), &row_size) == LOOM_OK);
        REQUIRE(row_size == 2 * alone_size);
        CHECK(std::vector<uint8_t>(both.begin() + long(alone_size), both.begin() + long(row_size)) ==
              std::vector<uint8_t>(alone.begin(), alone.begin() + long(alone_size)));
        std::vector<float> back(static_cast<size_t>(2 * bs));
        CHECK(loom_dequantize(tc.type, both.data(), row_size, 1, 2 * bs, back.data()) == LOOM_OK);
    }
}
