// loom_logprobs against a direct log-softmax, and the mask stages
// (loom_sampler_add_mask, loom_sampler_add_allowed_tokens) through the C API.
#include "loom.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

namespace {

// log p(t) computed the plain way in long double (no max subtraction: the
// test logits stay small enough for exp in long double).
long double direct_logprob(const std::vector<float> &l, int32_t t) {
    long double sum = 0.0L;
    for (float x : l) sum += std::exp((long double)x);
    return (long double)l[size_t(t)] - std::log(sum);
}

std::vector<float> wavy(size_t n, float offset) {
    std::vector<float> l(n);
    for (size_t i = 0; i < n; i++) l[i] = offset + std::sin(float(i) * 0.61f) * 6.0f + float(i % 7) * 0.25f;
    return l;
}

} // namespace

TEST_CASE("logprobs_equal_a_direct_log_softmax_and_sort_the_top", "[sample][logprobs]") {
    const std::vector<float> l = wavy(1000, 0.0f);
    std::vector<int32_t> order(l.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = int32_t(i);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return l[size_t(a)] > l[size_t(b)]; });
    std::vector<int32_t> top(20);
    std::vector<float> top_lp(20);
    for (int32_t t : {0, 17, 999}) {
        float lp = 1.0f;
        REQUIRE(loom_logprobs(l.data(), 1000, t, &lp, 20, top.data(), top_lp.data()) == LOOM_OK);
        CHECK(double(lp) == Approx(double(direct_logprob(l, t))).epsilon(1e-6));
    }
    for (size_t k = 0; k < 20; k++) {
        CHECK(top[k] == order[k]);
        CHECK(double(top_lp[k]) == Approx(double(direct_logprob(l, order[k]))).epsilon(1e-6));
    }
    // Probabilities sum to 1.
    double total = 0.0;
    for (int32_t t = 0; t < 1000; t++) {
        float lp = 0.0f;
        REQUIRE(loom_logprobs(l.data(), 1000, t, &lp, 0, nullptr, nullptr) == LOOM_OK);
        total += std::exp(double(lp));
    }
    CHECK(total == Approx(1.0).epsilon(1e-5));
}

TEST_CASE("logprobs_are_stable_under_huge_logits", "[sample][logprobs]") {
    // exp(1e4) overflows a double: only the shift by the highest logit keeps
    // the result finite, and equal to that of the same logits near 0.
    const std::vector<float> small = wavy(300, 0.0f), big = wavy(300, 1.0e4f);
    for (int32_t t : {3, 150}) {
        float a = 0.0f, b = 0.0f;
        REQUIRE(loom_logprobs(small.data(), 300, t, &a, 0, nullptr, nullptr) == LOOM_OK);
        REQUIRE(loom_logprobs(big.data(), 300, t, &b, 0, nullptr, nullptr) == LOOM_OK);
        CHECK(std::isfinite(b));
        // The shifted logits are rounded to float at 1e4 (ulp 2^-10), so allow that.
        CHECK(b == Approx(a).margin(2e-3));
    }
}

TEST_CASE("logprobs_treat_nan_and_infinities_as_the_sampler_does", "[sample][logprobs]") {
    const float inf = INFINITY;
    std::vector<float> l = {1.0f, NAN, 2.0f, -inf, 1.0f};
    float lp = 0.0f;
    REQUIRE(loom_logprobs(l.data(), 5, 1, &lp, 0, nullptr, nullptr) == LOOM_OK);
    CHECK((std::isinf(lp) && lp < 0));
    int32_t top[5];
    float top_lp[5];
    REQUIRE(loom_logprobs(l.data(), 5, -1, nullptr, 5, top, top_lp) == LOOM_OK);
    CHECK(std::vector<int32_t>(top, top + 5) == std::vector<int32_t>{2, 0, 4, 1, 3});   // ties: lower id first
    CHECK(top_lp[1] == top_lp[2]);
    l = {inf, 0.0f, inf, 5.0f};
    REQUIRE(loom_logprobs(l.data(), 4, 2, &lp, 0, nullptr, nullptr) == LOOM_OK);
    CHECK(double(lp) == Approx(-std::log(2.0)));
    REQUIRE(loom_logprobs(l.data(), 4, 3, &lp, 0, nullptr, nullptr) == LOOM_OK);
    CHECK((std::isinf(lp) && lp < 0));
    l = {-inf, NAN};
    CHECK(loom_logprobs(l.data(), 2, 0, &lp, 0, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
}

TEST_CASE("logprobs_reject_bad_arguments", "[sample][logprobs]") {
    const std::vector<float> l = wavy(10, 0.0f);
    float lp = 0.0f;
    int32_t top[11];
    float top_lp[11];
    CHECK(loom_logprobs(nullptr, 10, 0, &lp, 0, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_logprobs(l.data(), 0, 0, &lp, 0, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_logprobs(l.data(), 10, 10, &lp, 0, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_logprobs(l.data(), 10, -2, &lp, 0, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_logprobs(l.data(), 10, 0, nullptr, 0, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_logprobs(l.data(), 10, -1, nullptr, 11, top, top_lp) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("top_n 11") != std::string::npos);
    CHECK(loom_logprobs(l.data(), 10, -1, nullptr, -1, top, top_lp) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_logprobs(l.data(), 10, -1, nullptr, 2, nullptr, top_lp) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_logprobs(l.data(), 10, -1, nullptr, 10, top, top_lp) == LOOM_OK);
}

namespace {

// Bans every token whose id is a multiple of 3; counts its calls.
struct BanThirds {
    int calls = 0;
    int stop = 0;
    static int fn(void *ud, uint8_t *allowed, int32_t n) {
        auto *self = static_cast<BanThirds *>(ud);
        self->calls++;
        for (int32_t i = 0; i < n; i += 3) allowed[i] = 0;
        return self->stop;
    }
};

int ban_all(void *, uint8_t *allowed, int32_t n) {
    std::fill(allowed, allowed + n, uint8_t(0));
    return 0;
}

} // namespace

TEST_CASE("mask_callback_removes_tokens_before_the_other_stages", "[sample][mask]") {
    const std::vector<float> l = wavy(200, 0.0f);
    BanThirds ban;
    loom_sampler *s = nullptr;
    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    REQUIRE(loom_sampler_add_mask(s, &BanThirds::fn, &ban) == LOOM_OK);
    REQUIRE(loom_sampler_add_top_k(s, 5) == LOOM_OK);
    REQUIRE(loom_sampler_add_dist(s, 42) == LOOM_OK);
    // The 5 best tokens among those not banned: top-k saw only allowed ones.
    std::vector<int32_t> allowed;
    for (int32_t i = 0; i < 200; i++)
        if (i % 3) allowed.push_back(i);
    std::stable_sort(allowed.begin(), allowed.end(), [&](int32_t a, int32_t b) { return l[size_t(a)] > l[size_t(b)]; });
    const std::set<int32_t> best5(allowed.begin(), allowed.begin() + 5);
    std::set<int32_t> seen;
    for (int i = 0; i < 200; i++) {
        int32_t tok = -1;
        REQUIRE(loom_sampler_sample_logits(s, l.data(), 200, &tok) == LOOM_OK);
        CHECK(best5.count(tok) == 1);
        seen.insert(tok);
    }
    CHECK(seen.size() == 5);   // the draw reached all five
    CHECK(ban.calls == 200);
    ban.stop = 1;
    int32_t tok = -1;
    CHECK(loom_sampler_sample_logits(s, l.data(), 200, &tok) == LOOM_ERR_CANCELLED);
    loom_sampler_free(s);

    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    REQUIRE(loom_sampler_add_mask(s, ban_all, nullptr) == LOOM_OK);
    CHECK(loom_sampler_sample_logits(s, l.data(), 200, &tok) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("allows none") != std::string::npos);
    CHECK(loom_sampler_add_mask(s, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_add_mask(nullptr, ban_all, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    loom_sampler_free(s);
}

TEST_CASE("allowed_token_list_keeps_only_its_tokens", "[sample][mask]") {
    const std::vector<float> l = wavy(100, 0.0f);
    const int32_t list[] = {90, 4, 4, 61, 5000};   // a duplicate and an id past this vocabulary
    loom_sampler *s = nullptr;
    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    REQUIRE(loom_sampler_add_allowed_tokens(s, list, 5) == LOOM_OK);
    REQUIRE(loom_sampler_add_greedy(s) == LOOM_OK);
    int32_t tok = -1;
    REQUIRE(loom_sampler_sample_logits(s, l.data(), 100, &tok) == LOOM_OK);
    int32_t best = 4;
    for (int32_t id : {61, 90})
        if (l[size_t(id)] > l[size_t(best)]) best = id;
    CHECK(tok == best);
    loom_sampler_free(s);

    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    const int32_t out_of_vocab = 5000;
    REQUIRE(loom_sampler_add_allowed_tokens(s, &out_of_vocab, 1) == LOOM_OK);
    CHECK(loom_sampler_sample_logits(s, l.data(), 100, &tok) == LOOM_ERR_INVALID_ARGUMENT);
    const int32_t neg = -1;
    CHECK(loom_sampler_add_allowed_tokens(s, &neg, 1) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_add_allowed_tokens(s, list, 0) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_add_allowed_tokens(s, nullptr, 1) == LOOM_ERR_INVALID_ARGUMENT);
    loom_sampler_free(s);
}
