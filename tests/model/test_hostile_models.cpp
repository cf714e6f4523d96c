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
