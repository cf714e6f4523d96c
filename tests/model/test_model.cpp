// Model loading and forward math on tiny in-memory models, against the exact
// reference forward (reference_forward.cpp) on the same dequantized weights.
#include "model_fixture.h"
#include "reference_forward.h"

#include <catch2/catch.hpp>

#include <string>

using fixture::load;

namespace {

double forward_error(const tinymodel::Spec &spec, int32_t kv_type, size_t n_tokens = 12,
                     int32_t precision = LOOM_MATMUL_EXACT) {
    auto m = load(spec);
    REQUIRE(m->m != nullptr);
    auto c = fixture::context(*m, 64, 1, kv_type, 2, precision);
    REQUIRE(c);
    const std::vector<int32_t> toks = fixture::tokens(n_tokens, m->n_vocab());
    const std::vector<float> got = fixture::decode(*c, *m, toks);
    const std::vector<float> want = fixture::reference(*m, toks);
    REQUIRE(got.size() == want.size());
    REQUIRE(!want.empty());
    return reftest::rel_rms(got, want);
}

bool contains(const std::string &s, const std::string &what) { return s.find(what) != std::string::npos; }

} // namespace

// Bounds: f32 math against the double-accumulated reference differs only by
// f32 rounding of dot products of <= 96 terms (~1e-6 relative); an f16 KV
// cache rounds K and V to 11 significant bits (2^-11 = 4.9e-4 relative per
// value); a Q8_0 cache to 8 bits per block of 32 (~4e-3).
TEST_CASE("forward_matches_exact_reference_f32_weights_f32_cache", "[model]") {
    CHECK(forward_error(tinymodel::Spec{}, LOOM_TYPE_F32) < 1e-5);
}

TEST_CASE("forward_with_f16_cache_is_within_f16_rounding", "[model]") {
    CHECK(forward_error(tinymodel::Spec{}, LOOM_TYPE_F16) < 2e-3);
}

TEST_CASE("forward_with_q8_0_cache_is_within_8_bit_rounding", "[model]") {
    CHECK(forward_error(tinymodel::Spec{}, LOOM_TYPE_Q8_0) < 2e-2);
}

TEST_CASE("forward_matches_reference_for_quantized_weights", "[model]") {
    // LOOM_MATMUL_EXACT: two-part 8-bit activations (backends/cpu/matmul.cpp)
    // keep quantized matmuls within ~1e-4 of exact on the same dequantized
    // weights. Q4_1 and Q5_1 pair with Q8_1 activations, whose block sum
    // s = d * sum(q) is stored as fp16 (GGML's layout): that 2^-11 rounding
    // times the weights' offsets m gives them a larger, 3e-3 bound.
    // LOOM_MATMUL_FAST (the default): one 8-bit pass errs by up to 1/254 of
    // a block's largest value per element; measured ~1e-2 here, and it must
    // stay inside llama.cpp's measured band (<= 2.7e-2, ../shared/ref/README.md).
    struct Case {
        loom_type type;
        double bound;
    };
    for (Case c : {Case{LOOM_TYPE_F16, 1e-3}, Case{LOOM_TYPE_BF16, 1e-3}, Case{LOOM_TYPE_Q8_0, 1e-3},
                   Case{LOOM_TYPE_Q4_0, 1e-3}, Case{LOOM_TYPE_Q5_0, 1e-3}, Case{LOOM_TYPE_IQ4_NL, 1e-3},
                   Case{LOOM_TYPE_Q4_1, 3e-3}, Case{LOOM_TYPE_Q5_1, 3e-3}}) {
        tinymodel::Spec s;
        s.weight_type = c.type;
        INFO("weight type " << loom_type_name(c.type));
        CHECK(forward_error(s, LOOM_TYPE_F32) < c.bound);
        CHECK(forward_error(s, LOOM_TYPE_F32, 12, LOOM_MATMUL_FAST) < 3e-2);
    }
}

TEST_CASE("forward_matches_reference_for_llama_architecture", "[model]") {
    tinymodel::Spec s;
    s.arch = "llama";   // no biases, RoPE on adjacent pairs
    CHECK(forward_error(s, LOOM_TYPE_F32) < 1e-5);
}

TEST_CASE("forward_matches_reference_with_separate_output_weight", "[model]") {
    tinymodel::Spec s;
    s.tied = false;
    CHECK(forward_error(s, LOOM_TYPE_F32) < 1e-5);
}

TEST_CASE("token_by_token_decode_equals_one_batch", "[model]") {
    auto m = load(tinymodel::Spec{});
    auto whole = fixture::context(*m), steps = fixture::context(*m);
    const std::vector<int32_t> toks = fixture::tokens(10, m->n_vocab());
    const std::vector<float> want = fixture::decode(*whole, *m, toks);
    std::vector<float> got;
    for (size_t i = 0; i < toks.size(); i++) {
        std::vector<float> row = fixture::decode(*steps, *m, {toks[i]}, int32_t(i));
        got.insert(got.end(), row.begin(), row.end());
    }
    REQUIRE(got.size() == want.size());
    CHECK(reftest::rel_rms(got, want) < 1e-6);
}

TEST_CASE("model_getters_report_metadata_shapes", "[model]") {
    tinymodel::Spec s;
    auto m = load(s);
    REQUIRE(m->m != nullptr);
    CHECK(loom_model_n_vocab(m->m) == s.n_vocab);
    CHECK(loom_model_n_embd(m->m) == s.n_embd);
    CHECK(loom_model_n_layer(m->m) == s.n_layer);
    CHECK(loom_model_n_ctx_train(m->m) == s.n_ctx_train);
    CHECK(std::string(loom_model_backend_name(m->m)) == "cpu");
    CHECK(loom_model_gguf(m->m) != nullptr);
    CHECK(loom_model_n_vocab(nullptr) == 0);
    loom_model_free(nullptr);
}

TEST_CASE("rejects_unsupported_architecture", "[model]") {
    tinymodel::Spec s;
    s.arch = "gpt2";
    loom_status st = LOOM_OK;
    auto m = load(s, &st);
    CHECK(st == LOOM_ERR_UNSUPPORTED);
    CHECK(contains(loom_last_error(), "unsupported architecture 'gpt2'"));
}

TEST_CASE("rejects_missing_tensor_naming_it", "[model]") {
    tinymodel::Spec s;
    s.omit_tensor = "blk.1.ffn_up.weight";
    loom_status st = LOOM_OK;
    auto m = load(s, &st);
    CHECK(st == LOOM_ERR_FORMAT);
    CHECK(contains(loom_last_error(), "blk.1.ffn_up.weight"));
}

TEST_CASE("rejects_misshapen_tensor_naming_it", "[model]") {
    tinymodel::Spec s;
    s.misshape_tensor = "blk.0.attn_k.weight";
    loom_status st = LOOM_OK;
    auto m = load(s, &st);
    CHECK(st == LOOM_ERR_FORMAT);
    CHECK(contains(loom_last_error(), "blk.0.attn_k.weight"));
}

TEST_CASE("vocab_only_model_has_no_weights_and_no_context", "[model]") {
    std::vector<uint8_t> bytes = tinymodel::build(tinymodel::Spec{});
    loom_model_params p;
    loom_model_default_params(&p);
    p.vocab_only = 1;
    loom_model *m = nullptr;
    REQUIRE(loom_model_load_from_memory(bytes.data(), bytes.size(), &p, &m) == LOOM_OK);
    CHECK(loom_model_n_embd(m) == 0);
    CHECK(loom_model_n_layer(m) == 0);
    loom_context *c = nullptr;
    CHECK(loom_context_new(m, nullptr, &c) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(c == nullptr);
    loom_model_free(m);
}

TEST_CASE("load_threads_default_to_the_cores_and_reject_more_than_256", "[model]") {
    std::vector<uint8_t> bytes = tinymodel::build(tinymodel::Spec{});
    loom_model_params p;
    loom_model_default_params(&p);
    CHECK(p.n_threads == 0);
    p.backend = LOOM_BACKEND_CPU;
    p.n_threads = 257;
    loom_model *m = nullptr;
    CHECK(loom_model_load_from_memory(bytes.data(), bytes.size(), &p, &m) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(m == nullptr);
    CHECK(contains(loom_last_error(), "n_threads = 257"));
    loom_memory_plan plan;
    plan.struct_size = sizeof plan;
    CHECK(loom_model_estimate_from_memory(bytes.data(), bytes.size(), &p, &plan) == LOOM_ERR_INVALID_ARGUMENT);
    for (int32_t n : {-1, 1, 256}) {
        p.n_threads = n;
        REQUIRE(loom_model_load_from_memory(bytes.data(), bytes.size(), &p, &m) == LOOM_OK);
        loom_model_free(m);
    }
}

namespace {
struct ProgressLog {
    std::vector<float> seen;
    int cancel_after = -1;
};
int on_progress(void *ud, float f) {
    auto *log = static_cast<ProgressLog *>(ud);
    log->seen.push_back(f);
    return log->cancel_after >= 0 && int(log->seen.size()) > log->cancel_after;
}
} // namespace

TEST_CASE("load_progress_rises_to_one_and_can_cancel", "[model]") {
    std::vector<uint8_t> bytes = tinymodel::build(tinymodel::Spec{});
    ProgressLog log;
    loom_model_params p;
    loom_model_default_params(&p);
    p.backend = LOOM_BACKEND_CPU;
    p.progress = on_progress;
    p.progress_user_data = &log;
    loom_model *m = nullptr;
    REQUIRE(loom_model_load_from_memory(bytes.data(), bytes.size(), &p, &m) == LOOM_OK);
    loom_model_free(m);
    REQUIRE(!log.seen.empty());
    CHECK(log.seen.back() == 1.0f);
    for (size_t i = 1; i < log.seen.size(); i++) CHECK(log.seen[i] >= log.seen[i - 1]);

    ProgressLog cancel;
    cancel.cancel_after = 3;
    p.progress_user_data = &cancel;
    m = nullptr;
    CHECK(loom_model_load_from_memory(bytes.data(), bytes.size(), &p, &m) == LOOM_ERR_CANCELLED);
    CHECK(m == nullptr);
}
