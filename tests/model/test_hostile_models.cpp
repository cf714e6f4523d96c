// Hostile but parseable model files: hyper-parameters whose products
// overflow, non-finite or absurd floats, metadata and tensors asking for
// computation loom does not implement. Each must fail the load with the key
// or tensor named, never load and run wrong.
#include "model_fixture.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace {

struct Loaded {
    loom_status status;
    std::string message;
};

Loaded try_load(const tinymodel::Spec &s) {
    Loaded l{LOOM_OK, ""};
    auto m = fixture::load(s, &l.status);
    if (l.status != LOOM_OK) l.message = loom_last_error();
    return l;
}

bool contains(const std::string &s, const std::string &what) { return s.find(what) != std::string::npos; }

constexpr float kInf = std::numeric_limits<float>::infinity();

} // namespace

TEST_CASE("rejects_head_count_times_key_length_overflow", "[model][hostile]") {
    tinymodel::Spec s;
    s.n_embd = 256;
    s.n_head = 256;   // 256 x 2^24 wraps a 32-bit int to 0
    s.n_head_kv = 2;
    s.extra_u32 = {{"qwen2.attention.key_length", 1u << 24}};
    Loaded l = try_load(s);
    CHECK(l.status == LOOM_ERR_FORMAT);
    CHECK(contains(l.message, "key_length"));
}

TEST_CASE("rejects_non_finite_or_absurd_rms_epsilon", "[model][hostile]") {
    for (float eps : {kInf, -kInf, std::nanf(""), 0.0f, -1e-6f, 2.0f}) {
        tinymodel::Spec s;
        s.extra_f32 = {{"qwen2.attention.layer_norm_rms_epsilon", eps}};
        Loaded l = try_load(s);
        CAPTURE(eps);
        CHECK(l.status == LOOM_ERR_FORMAT);
        CHECK(contains(l.message, "layer_norm_rms_epsilon"));
    }
}

TEST_CASE("rejects_non_finite_or_absurd_rope_freq_base", "[model][hostile]") {
    for (float base : {kInf, std::nanf(""), 1e-30f, 0.0f, 0.5f, 1e30f}) {
        tinymodel::Spec s;
        s.rope_base = base;
        Loaded l = try_load(s);
        CAPTURE(base);
        CHECK(l.status == LOOM_ERR_FORMAT);
        CHECK(contains(l.message, "rope.freq_base"));
    }
    tinymodel::Spec real;   // the bases published models use load
    for (float base : {1.0f, 10000.0f, 500000.0f, 1e6f}) {
        real.rope_base = base;
        CHECK(try_load(real).status == LOOM_OK);
    }
}

TEST_CASE("rejects_rope_scaling_naming_the_key", "[model][hostile]") {
    {
        tinymodel::Spec s;
        s.extra_str = {{"qwen2.rope.scaling.type", "yarn"}};
        Loaded l = try_load(s);
        CHECK(l.status == LOOM_ERR_UNSUPPORTED);
        CHECK(contains(l.message, "qwen2.rope.scaling.type"));
    }
    {
        tinymodel::Spec s;
        s.extra_f32 = {{"qwen2.rope.scaling.factor", 4.0f}};
        Loaded l = try_load(s);
        CHECK(l.status == LOOM_ERR_UNSUPPORTED);
        CHECK(contains(l.message, "qwen2.rope.scaling.factor"));
    }
    {
        tinymodel::Spec s;   // partial rotary dimensions
        s.extra_u32 = {{"qwen2.rope.dimension_count", 8}};
        Loaded l = try_load(s);
        CHECK(l.status == LOOM_ERR_UNSUPPORTED);
        CHECK(contains(l.message, "qwen2.rope.dimension_count"));
    }
    {
        tinymodel::Spec s;   // keys that state what loom does are fine
        s.extra_str = {{"qwen2.rope.scaling.type", "none"}};
        s.extra_f32 = {{"qwen2.rope.scaling.factor", 1.0f}};
        s.extra_u32 = {{"qwen2.rope.dimension_count", 16}, {"qwen2.attention.value_length", 16}};
        CHECK(try_load(s).status == LOOM_OK);
    }
}

TEST_CASE("rejects_rope_freqs_and_unknown_tensors_naming_them", "[model][hostile]") {
    for (const char *name : {"rope_freqs.weight", "blk.0.attn_q_norm.weight", "mystery.weight"}) {
        tinymodel::Spec s;
        s.extra_tensors = {name};
        Loaded l = try_load(s);
        CAPTURE(name);
        CHECK(l.status == LOOM_ERR_UNSUPPORTED);
        CHECK(contains(l.message, name));
    }
}

namespace {

// A tiny model with the 256 byte tokens and `extra` more, output rows boosted from `boost_from`.
tinymodel::Spec vocab_spec(int n_extra_tokens, int32_t extra_type) {
    tinymodel::Spec s;
    tinymodel::add_byte_vocab(&s);
    for (int i = 0; i < n_extra_tokens; i++) {
        s.tokens.push_back("<|extra" + std::to_string(i) + "|>");
        s.token_types.push_back(extra_type);
    }
    return s;
}

} // namespace

TEST_CASE("sampling_never_picks_output_rows_beyond_the_tokenizer_vocabulary", "[model][hostile]") {
    tinymodel::Spec s = vocab_spec(4, 3);   // 260 tokens
    s.n_vocab = 300;                        // 40 embedding rows that are no token
    s.tied = false;
    s.boost_output_rows_from = 260;         // and they get the largest logits
    loom_status st = LOOM_OK;
    auto m = fixture::load(s, &st);
    REQUIRE(st == LOOM_OK);
    auto c = fixture::context(*m, 16);
    REQUIRE(c);
    const std::vector<float> logits = fixture::decode(*c, *m, {65, 66, 67});
    REQUIRE(logits.size() == 3 * 300u);
    size_t best = 0;
    for (size_t i = 600; i < 900; i++)
        if (logits[i] > logits[best + 600]) best = i - 600;
    REQUIRE(best >= 260);   // unmasked, the greedy pick would be no token
    loom_sampler *smp = nullptr;
    REQUIRE(loom_sampler_new(&smp) == LOOM_OK);
    REQUIRE(loom_sampler_add_greedy(smp) == LOOM_OK);
    int32_t tok = -1;
    REQUIRE(loom_sample(smp, c->c, 2, &tok) == LOOM_OK);
    CHECK(tok >= 0);
    CHECK(tok < 260);
    loom_sampler_free(smp);
}

TEST_CASE("one_byte_special_token_does_not_hide_the_byte_token", "[model][hostile]") {
    tinymodel::Spec s = vocab_spec(0, 3);
    s.tokens.push_back("a");   // a control token whose text is one byte
    s.token_types.push_back(3);
    s.n_vocab = 257;
    loom_status st = LOOM_OK;
    auto m = fixture::load(s, &st);
    REQUIRE(st == LOOM_OK);
    int32_t ids[4] = {0};
    size_t n = 0;
    REQUIRE(loom_tokenize(m->m, "ab", 2, 0, ids, 4, &n) == LOOM_OK);
    REQUIRE(n == 2);
    CHECK(ids[0] == 'a');   // the byte token (byte b is id b here), not the special 256
}

TEST_CASE("unsupported_pre_tokenizer_fails_the_load_naming_it", "[model][hostile]") {
    tinymodel::Spec s = vocab_spec(0, 3);
    s.extra_str = {{"tokenizer.ggml.pre", "deepseek-llm"}};
    Loaded l = try_load(s);
    CHECK(l.status == LOOM_ERR_UNSUPPORTED);
    CHECK(contains(l.message, "pre-tokenizer 'deepseek-llm'"));
}

namespace {
int abort_now(void *) { return 1; }
} // namespace

TEST_CASE("logits_after_a_cancelled_decode_say_no_entry_has_outputs", "[model][hostile]") {
    auto m = fixture::load(tinymodel::Spec{});
    REQUIRE(m->m != nullptr);
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = 16;
    p.abort_callback = abort_now;
    loom_context *c = nullptr;
    REQUIRE(loom_context_new(m->m, &p, &c) == LOOM_OK);
    loom_batch *b = nullptr;
    REQUIRE(loom_batch_new(4, &b) == LOOM_OK);
    REQUIRE(loom_batch_add(b, 1, 0, 0, 1) == LOOM_OK);
    REQUIRE(loom_decode(c, b) == LOOM_ERR_CANCELLED);
    const float *l = nullptr;
    CHECK(loom_get_logits(c, -1, &l) == LOOM_ERR_NOT_FOUND);
    const std::string msg = loom_last_error();
    CHECK(!contains(msg, "entry -1"));
    CHECK(contains(msg, "no entry of the last decode has outputs"));
    loom_batch_free(b);
    loom_context_free(c);
}
