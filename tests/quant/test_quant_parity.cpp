// Live parity with llama.cpp's codecs: fresh random blocks and inputs each
// run (the seed is printed on failure), every type, one refcodec.py batch
// (python start-up is the cost, so everything goes through one call).
#include "quant/quant.h"
#include "quant_check.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <map>
#include <random>

using namespace quant_test;

namespace {

constexpr int64_t kInterleavedRows = 8, kInterleavedRowLen = 128;
constexpr int64_t kQuantRows = 8, kQuantRowLen = 512;

struct Batch {
    uint32_t seed = 0;
    std::string dir;
    std::map<std::string, std::vector<uint8_t>> blocks; // per type file name: input blocks
    std::map<std::string, std::vector<float>> inputs;   // per type file name: quantizer input
    std::map<std::string, std::vector<float>> weights;  // per type file name: importance weights (kQuantRowLen)
    bool ran = false;
};

std::vector<uint8_t> random_bytes(std::mt19937 &rng, size_t n) {
    std::vector<uint8_t> v(n);
    for (uint8_t &b : v) b = uint8_t(rng() >> 24);
    return v;
}

// Rows of different character: normal at a random magnitude, uniform with
// outliers, a zero run then small values, a constant row.
std::vector<float> random_input(std::mt19937 &rng) {
    std::vector<float> x;
    std::normal_distribution<float> normal;
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (int64_t r = 0; r < kQuantRows; ++r) {
        const float magnitude = std::pow(10.0f, uniform(rng) * 3.0f);
        for (int64_t i = 0; i < kQuantRowLen; ++i) {
            float v;
            switch (r % 4) {
            case 0: v = normal(rng) * magnitude; break;
            case 1: v = uniform(rng) * (rng() % 20 == 0 ? 30.0f : 1.0f); break;
            case 2: v = i < 48 ? 0.0f : normal(rng) * 1e-3f; break;
            default: v = i < 256 ? 0.75f : normal(rng); break;
            }
            x.push_back(v);
        }
    }
    return x;
}

// Importance weights as llama-imatrix's means look: positive, spread over
// orders of magnitude, a few columns near zero.
std::vector<float> random_weights(std::mt19937 &rng) {
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> w(kQuantRowLen);
    for (float &v : w) v = rng() % 16 == 0 ? 1e-6f * (1.0f + uniform(rng)) : std::pow(10.0f, 2.0f * uniform(rng));
    return w;
}

// The types with an importance-weighted encoder (ggml's quantize_*_impl with
// quant_weights).
const std::vector<TypeCase> &weighted_types() {
    static const std::vector<TypeCase> v = {
        {LOOM_TYPE_Q4_0, "q4_0"}, {LOOM_TYPE_Q4_1, "q4_1"}, {LOOM_TYPE_Q5_0, "q5_0"},     {LOOM_TYPE_Q5_1, "q5_1"},
        {LOOM_TYPE_Q2_K, "q2_k"}, {LOOM_TYPE_Q3_K, "q3_k"}, {LOOM_TYPE_Q4_K, "q4_k"},     {LOOM_TYPE_Q5_K, "q5_k"},
        {LOOM_TYPE_Q6_K, "q6_k"}, {LOOM_TYPE_IQ4_NL, "iq4_nl"}, {LOOM_TYPE_IQ4_XS, "iq4_xs"},
    };
    return v;
}

void put(const std::string &path, const void *data, size_t n) { REQUIRE(testdata::write_file(path, data, n)); }

Batch &batch() {
    static Batch b;
    if (b.ran) return b;
    b.ran = true;
    b.seed = std::random_device{}();
    std::mt19937 rng(b.seed);
    b.dir = testdata::scratch_dir() + "/quant_parity"; // overwritten by the next run
    REQUIRE(testdata::run("mkdir -p '" + b.dir + "'") == 0);
    std::string manifest;
    for (const TypeCase &tc : decodable_types()) {
        const size_t per_block = loom_type_block_bytes(tc.type);
        const size_t n_blocks = loom_type_block_size(tc.type) == 1 ? 2048 : 16384 / size_t(loom_type_block_size(tc.type));
        b.blocks[tc.file] = random_bytes(rng, per_block * n_blocks);
        put(b.dir + "/" + tc.file + ".blocks", b.blocks[tc.file].data(), b.blocks[tc.file].size());
        manifest += std::string("dequant ") + tc.file + " " + tc.file + ".blocks " + tc.file + ".f32\n";
    }
    for (const TypeCase &tc : interleaved_types()) {
        const std::vector<uint8_t> q4 = random_bytes(rng, size_t(kInterleavedRows * kInterleavedRowLen / 32 * 18));
        put(b.dir + "/" + tc.file + ".q4_0", q4.data(), q4.size());
        manifest += std::string("interleave ") + tc.file + " " + tc.file + ".q4_0 " + tc.file + ".blocks " + tc.file +
                    ".f32 " + std::to_string(kInterleavedRows) + " " + std::to_string(kInterleavedRowLen) + "\n";
    }
    for (const TypeCase &tc : quantizable_types()) {
        b.inputs[tc.file] = random_input(rng);
        put(b.dir + "/" + tc.file + ".in.f32", b.inputs[tc.file].data(), b.inputs[tc.file].size() * sizeof(float));
        manifest += std::string("quant ") + tc.file + " " + tc.file + ".in.f32 " + tc.file + ".q " +
                    std::to_string(kQuantRowLen) + "\n";
    }
    for (const TypeCase &tc : weighted_types()) {
        const std::string f = std::string(tc.file) + ".w";
        b.inputs[f] = random_input(rng);
        b.weights[f] = random_weights(rng);
        put(b.dir + "/" + f + ".in.f32", b.inputs[f].data(), b.inputs[f].size() * sizeof(float));
        put(b.dir + "/" + f + ".imatrix", b.weights[f].data(), b.weights[f].size() * sizeof(float));
        manifest += std::string("quantw ") + tc.file + " " + f + ".in.f32 " + f + ".imatrix " + f + ".q " +
                    std::to_string(kQuantRowLen) + "\n";
    }
    put(b.dir + "/manifest", manifest.data(), manifest.size());
    const std::string cmd = "LOOM_REF_DIR='" + testdata::ref_dir() + "' /usr/bin/python3 '" +
                            testdata::source_path("quant/refcodec.py") + "' batch '" + b.dir + "/manifest'";
    INFO(cmd);
    REQUIRE(testdata::run(cmd) == 0);
    return b;
}

std::string path(const Batch &b, const std::string &name) { return b.dir + "/" + name; }

} // namespace

TEST_CASE("every_type_dequant_matches_reference_on_fresh_random_blocks") {
    REQUIRE_REF_OR_SKIP();
    Batch &b = batch();
    INFO("seed " << b.seed << ", files in " << b.dir);
    for (const TypeCase &tc : decodable_types()) {
        INFO("type " << loom_type_name(tc.type));
        const std::vector<uint8_t> &src = b.blocks[tc.file];
        const std::vector<float> want = testdata::read_f32(path(b, std::string(tc.file) + ".f32"));
        std::vector<float> got(want.size());
        REQUIRE(loom_dequantize(tc.type, src.data(), src.size(), 1, int64_t(want.size()), got.data()) == LOOM_OK);
        CHECK(float_bits_diff(got, want) == "");
    }
}

TEST_CASE("interleaved_q4_0_dequant_matches_reference_q4_0_on_fresh_random_blocks") {
    REQUIRE_REF_OR_SKIP();
    Batch &b = batch();
    INFO("seed " << b.seed << ", files in " << b.dir);
    for (const TypeCase &tc : interleaved_types()) {
        INFO("type " << loom_type_name(tc.type));
        const std::vector<uint8_t> src = testdata::read_file(path(b, std::string(tc.file) + ".blocks"));
        const std::vector<float> want = testdata::read_f32(path(b, std::string(tc.file) + ".f32"));
        std::vector<float> got(want.size());
        REQUIRE(loom_dequantize(tc.type, src.data(), src.size(), kInterleavedRows, kInterleavedRowLen, got.data()) ==
                LOOM_OK);
        CHECK(float_bits_diff(got, want) == "");
    }
}

TEST_CASE("every_quantizable_type_matches_reference_on_fresh_random_input") {
    REQUIRE_REF_OR_SKIP();
    Batch &b = batch();
    INFO("seed " << b.seed << ", files in " << b.dir);
    for (const TypeCase &tc : quantizable_types()) {
        INFO("type " << loom_type_name(tc.type));
        const std::vector<float> &x = b.inputs[tc.file];
        const std::vector<uint8_t> want = testdata::read_file(path(b, std::string(tc.file) + ".q"));
        std::vector<uint8_t> got(want.size());
        size_t written = 0;
        REQUIRE(loom_quantize(tc.type, x.data(), kQuantRows, kQuantRowLen, got.data(), got.size(), &written) == LOOM_OK);
        REQUIRE(written == want.size());
        CHECK(bytes_diff(got, want, loom_type_block_bytes(tc.type)) == "");
    }
}

TEST_CASE("every_weighted_encoder_matches_reference_with_an_importance_matrix") {
    REQUIRE_REF_OR_SKIP();
    Batch &b = batch();
    INFO("seed " << b.seed << ", files in " << b.dir);
    for (const TypeCase &tc : weighted_types()) {
        INFO("type " << loom_type_name(tc.type));
        const std::string f = std::string(tc.file) + ".w";
        const std::vector<float> &x = b.inputs[f];
        const std::vector<uint8_t> want = testdata::read_file(path(b, f + ".q"));
        std::vector<uint8_t> got(want.size());
        size_t written = 0;
        REQUIRE(loom::has_weighted_encoder(tc.type));
        REQUIRE(loom::quantize_rows_weighted(tc.type, x.data(), kQuantRows, kQuantRowLen, b.weights[f].data(),
                                             got.data(), got.size(), &written)
                    .is_ok());
        REQUIRE(written == want.size());
        CHECK(bytes_diff(got, want, loom_type_block_bytes(tc.type)) == "");
        // The weights are used: the same input without them encodes otherwise.
        std::vector<uint8_t> plain(want.size());
        REQUIRE(loom_quantize(tc.type, x.data(), kQuantRows, kQuantRowLen, plain.data(), plain.size(), &written) ==
                LOOM_OK);
        CHECK(plain != got);
    }
}
