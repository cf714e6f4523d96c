// The sampler through the C API: building chains, errors, determinism.
#include "loom.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

TEST_CASE("c_api_builds_and_runs_a_seeded_chain", "[sample]") {
    std::vector<float> logits(300);
    for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(float(i) * 0.37f) * 4.0f;
    auto generate = [&](uint64_t seed) {
        loom_sampler *s = nullptr;
        REQUIRE(loom_sampler_new(&s) == LOOM_OK);
        int32_t ban = 7;
        float ninf = -INFINITY;
        REQUIRE(loom_sampler_add_penalties(s, 16, 1.1f, 0.1f, 0.1f) == LOOM_OK);
        REQUIRE(loom_sampler_add_logit_bias(s, &ban, &ninf, 1) == LOOM_OK);
        REQUIRE(loom_sampler_add_top_k(s, 40) == LOOM_OK);
        REQUIRE(loom_sampler_add_typical(s, 0.98f) == LOOM_OK);
        REQUIRE(loom_sampler_add_top_p(s, 0.9f) == LOOM_OK);
        REQUIRE(loom_sampler_add_min_p(s, 0.05f) == LOOM_OK);
        REQUIRE(loom_sampler_add_temperature(s, 0.9f) == LOOM_OK);
        REQUIRE(loom_sampler_add_dist(s, seed) == LOOM_OK);
        CHECK(loom_sampler_add_greedy(s) == LOOM_ERR_INVALID_ARGUMENT); // after a pick stage
        CHECK(std::string(loom_last_error()).find("pick stage") != std::string::npos);
        std::vector<int32_t> out;
        for (int i = 0; i < 50; ++i) {
            int32_t tok = -1;
            REQUIRE(loom_sampler_sample_logits(s, logits.data(), int32_t(logits.size()), &tok) == LOOM_OK);
            REQUIRE(loom_sampler_accept(s, tok) == LOOM_OK);
            CHECK(tok != 7);
            out.push_back(tok);
        }
        loom_sampler_free(s);
        return out;
    };
    CHECK(generate(9) == generate(9));
    CHECK(generate(9) != generate(10));
}

TEST_CASE("c_api_rejects_bad_arguments", "[sample]") {
    loom_sampler *s = nullptr;
    CHECK(loom_sampler_new(nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    CHECK(loom_sampler_add_top_k(s, 0) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("top-k") != std::string::npos);
    CHECK(loom_sampler_add_top_p(s, 1.5f) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_add_top_k(nullptr, 5) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_add_logit_bias(s, nullptr, nullptr, 2) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_accept(s, -1) == LOOM_ERR_INVALID_ARGUMENT);
    float l[2] = {0, 1};
    int32_t tok = -1;
    CHECK(loom_sampler_sample_logits(s, l, 0, &tok) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_sample_logits(s, nullptr, 2, &tok) == LOOM_ERR_INVALID_ARGUMENT);
    REQUIRE(loom_sampler_sample_logits(s, l, 2, &tok) == LOOM_OK); // empty chain: greedy
    CHECK(tok == 1);
    CHECK(loom_sample(s, nullptr, 0, &tok) == LOOM_ERR_INVALID_ARGUMENT);
    loom_sampler_reset(nullptr);
    loom_sampler_free(s);
    loom_sampler_free(nullptr);
}

TEST_CASE("tiny_temperature_behaves_as_its_limit_greedy", "[sample]") {
    // logit / 1e-39 overflows to +inf for every positive logit: the draw must
    // still go to the highest logit (ties at the top share it), as t -> 0+.
    const std::vector<float> logits = {4.8f, 5.0f, 4.9f, -1.0f, 3.0f, 5.0f, 0.5f};
    for (float t : {1e-39f, 1e-45f, 1e-30f, 1e-10f}) {
        int seen[7] = {0};
        for (uint64_t seed = 0; seed < 200; seed++) {
            loom_sampler *s = nullptr;
            REQUIRE(loom_sampler_new(&s) == LOOM_OK);
            REQUIRE(loom_sampler_add_temperature(s, t) == LOOM_OK);
            REQUIRE(loom_sampler_add_dist(s, seed) == LOOM_OK);
            int32_t tok = -1;
            REQUIRE(loom_sampler_sample_logits(s, logits.data(), int32_t(logits.size()), &tok) == LOOM_OK);
            REQUIRE(tok >= 0);
            REQUIRE(tok < 7);
            seen[tok]++;
            loom_sampler_free(s);
        }
        CAPTURE(t);
        CHECK(seen[1] + seen[5] == 200);   // only the two tied highest logits
        CHECK(seen[1] > 50);
        CHECK(seen[5] > 50);
    }
}
