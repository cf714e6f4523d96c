// Sampler stages and chain: each stage's kept set and probabilities against
// values computed here from the definitions, seeded draws against the exact
// distribution (chi-square), determinism, and argument errors.
#include "sample/rng.h"
#include "sample/sampler.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <vector>

namespace {

std::vector<float> random_logits(uint64_t seed, int n, float scale = 3.0f) {
    std::mt19937_64 rng(seed);
    std::vector<float> v(static_cast<size_t>(n));
    for (float &x : v) x = scale * static_cast<float>(static_cast<double>(rng() >> 11) * 0x1.0p-53 * 2 - 1);
    return v;
}

std::vector<double> exact_softmax(const std::vector<float> &l) {
    double mx = *std::max_element(l.begin(), l.end()), sum = 0;
    std::vector<double> p(l.size());
    for (size_t i = 0; i < l.size(); ++i) sum += p[i] = std::exp(double(l[i]) - mx);
    for (double &x : p) x /= sum;
    return p;
}

// Ids ordered by descending logit (ascending id on ties).
std::vector<int32_t> by_logit(const std::vector<float> &l) {
    std::vector<int32_t> ids(l.size());
    std::iota(ids.begin(), ids.end(), 0);
    std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return l[size_t(a)] > l[size_t(b)]; });
    return ids;
}

// Runs a one-stage chain (plus the implicit greedy pick) and returns the kept ids.
std::set<int32_t> kept_by(std::unique_ptr<loom::SamplerStage> stage, const std::vector<float> &logits) {
    loom::SamplerChain chain;
    REQUIRE(chain.add(std::move(stage)).is_ok());
    int32_t tok = -1;
    REQUIRE(chain.sample(logits.data(), int32_t(logits.size()), &tok).is_ok());
    std::set<int32_t> ids;
    for (const loom::Candidate &c : chain.candidates().items()) ids.insert(c.id);
    CHECK(ids.count(tok) == 1);
    return ids;
}

template <typename Make, typename... Args>
std::unique_ptr<loom::SamplerStage> stage(Make make, Args... args) {
    std::unique_ptr<loom::SamplerStage> s;
    REQUIRE(make(args..., &s).is_ok());
    return s;
}

} // namespace

TEST_CASE("xoshiro_matches_the_published_algorithm", "[sample]") {
    // From tests/sample/xoshiro_ref.py, an independent implementation.
    const uint64_t want[3][4] = {
        {0x99ec5f36cb75f2b4ull, 0xbf6e1f784956452aull, 0x1a5f849d4933e6e0ull, 0x6aa594f1262d2d2cull},
        {0x15780b2e0c2ec716ull, 0x6104d9866d113a7eull, 0xae17533239e499a1ull, 0xecb8ad4703b360a1ull},
        {0x8f5520d52a7ead08ull, 0xc476a018caa1802dull, 0x81de31c0d260469eull, 0xbf658d7e065f3c2full}};
    const uint64_t seeds[3] = {0, 42, ~0ull};
    for (int s = 0; s < 3; ++s) {
        loom::Xoshiro256 rng(seeds[s]);
        for (int i = 0; i < 4; ++i) CHECK(rng.next() == want[s][i]);
    }
    loom::Xoshiro256 rng(1);
    for (int i = 0; i < 10000; ++i) {
        double u = rng.uniform();
        REQUIRE((u >= 0.0 && u < 1.0));
    }
}

TEST_CASE("softmax_matches_exact_probabilities", "[sample]") {
    std::vector<float> l = random_logits(1, 1000, 8.0f);
    loom::Candidates c;
    c.load(l.data(), int32_t(l.size()));
    c.softmax();
    std::vector<double> p = exact_softmax(l);
    for (const loom::Candidate &x : c.items()) CHECK(x.p == Approx(p[size_t(x.id)]).epsilon(1e-6).margin(1e-12));
}

TEST_CASE("greedy_picks_the_highest_logit_lowest_id_on_ties", "[sample]") {
    std::vector<float> l = {0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
    loom::SamplerChain chain;
    REQUIRE(chain.add(loom::make_greedy()).is_ok());
    int32_t tok = -1;
    REQUIRE(chain.sample(l.data(), 5, &tok).is_ok());
    CHECK(tok == 1);
}

TEST_CASE("top_k_keeps_the_k_highest", "[sample]") {
    std::vector<float> l = random_logits(2, 5000);
    std::vector<int32_t> order = by_logit(l);
    for (int32_t k : {1, 7, 40, 4999, 5000, 100000}) {
        size_t n = std::min<size_t>(size_t(k), l.size());
        std::set<int32_t> want(order.begin(), order.begin() + std::ptrdiff_t(n));
        CHECK(kept_by(stage(loom::make_top_k, k), l) == want);
    }
}

TEST_CASE("top_p_keeps_the_smallest_prefix_reaching_p", "[sample]") {
    std::vector<float> l = random_logits(3, 3000, 6.0f);
    std::vector<double> p = exact_softmax(l);
    std::vector<int32_t> order = by_logit(l);
    for (float top_p : {0.05f, 0.3f, 0.9f, 0.999f, 1.0f}) {
        std::set<int32_t> want;
        double mass = 0;
        for (int32_t id : order) {
            want.insert(id);
            if ((mass += p[size_t(id)]) >= top_p) break;
        }
        INFO("p = " << top_p);
        CHECK(kept_by(stage(loom::make_top_p, top_p), l) == want);
    }
}

TEST_CASE("min_p_keeps_tokens_within_a_factor_of_the_best", "[sample]") {
    std::vector<float> l = random_logits(4, 2000, 5.0f);
    std::vector<double> p = exact_softmax(l);
    double best = *std::max_element(p.begin(), p.end());
    for (float m : {0.0f, 0.05f, 0.5f, 1.0f}) {
        std::set<int32_t> want;
        for (size_t i = 0; i < p.size(); ++i)
            if (p[i] >= m * best * (1 - 1e-6)) want.insert(int32_t(i));
        INFO("min_p = " << m);
        CHECK(kept_by(stage(loom::make_min_p, m), l) == want);
    }
}

TEST_CASE("typical_keeps_the_most_typical_prefix", "[sample]") {
    std::vector<float> l = random_logits(5, 500, 4.0f);
    std::vector<double> p = exact_softmax(l);
    double h = 0;
    for (double x : p) h -= x * std::log(x);
    std::vector<int32_t> order(l.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        return std::fabs(-std::log(p[size_t(a)]) - h) < std::fabs(-std::log(p[size_t(b)]) - h);
    });
    for (float tp : {0.2f, 0.7f, 0.95f}) {
        std::set<int32_t> want;
        double mass = 0;
        for (int32_t id : order) {
            want.insert(id);
            if ((mass += p[size_t(id)]) >= tp) break;
        }
        INFO("typical p = " << tp);
        CHECK(kept_by(stage(loom::make_typical, tp), l) == want);
    }
}

TEST_CASE("temperature_divides_logits_and_zero_keeps_the_argmax", "[sample]") {
    std::vector<float> l = random_logits(6, 100);
    loom::SamplerChain chain;
    REQUIRE(chain.add(stage(loom::make_temperature, 0.7f)).is_ok());
    int32_t tok = -1;
    REQUIRE(chain.sample(l.data(), 100, &tok).is_ok());
    for (const loom::Candidate &c : chain.candidates().items()) CHECK(c.logit == l[size_t(c.id)] / 0.7f);
    CHECK(kept_by(stage(loom::make_temperature, 0.0f), l) == std::set<int32_t>{by_logit(l)[0]});
}

TEST_CASE("penalties_follow_the_formula_over_the_window", "[sample]") {
    std::vector<float> l = {2.0f, -1.0f, 0.5f, 3.0f, -2.0f, 1.0f};
    const float rep = 1.5f, freq = 0.25f, pres = 0.5f;
    loom::SamplerChain chain;
    REQUIRE(chain.add(stage(loom::make_penalties, 4, rep, freq, pres)).is_ok());
    for (int32_t t : {5, 0, 1, 1, 3, 1}) REQUIRE(chain.accept(t).is_ok()); // window of 4: {1, 1, 3, 1}
    int32_t tok = -1;
    REQUIRE(chain.sample(l.data(), 6, &tok).is_ok());
    std::map<int32_t, int> count = {{1, 3}, {3, 1}};
    for (const loom::Candidate &c : chain.candidates().items()) {
        float want = l[size_t(c.id)];
        if (count.count(c.id)) {
            want = want > 0 ? want / rep : want * rep;
            want -= float(count[c.id]) * freq + pres;
        }
        INFO("token " << c.id);
        CHECK(c.logit == Approx(want));
    }
    CHECK(tok == 0); // 3 fell to 3/1.5 - 0.75 = 1.25 < 2
    chain.reset();
    REQUIRE(chain.sample(l.data(), 6, &tok).is_ok());
    CHECK(tok == 3);
}

TEST_CASE("penalties_and_bias_apply_after_a_reordering_stage", "[sample]") {
    // After top-k the candidates are sorted by logit, not by id: the stages
    // must still reach the right tokens.
    std::vector<float> l = random_logits(11, 64);
    std::vector<int32_t> order = by_logit(l);
    int32_t ids[] = {order[2], order[2], order[40]};
    float bias[] = {0.5f, 0.25f, 9.0f};
    loom::SamplerChain chain;
    REQUIRE(chain.add(stage(loom::make_top_k, 10)).is_ok());
    REQUIRE(chain.add(stage(loom::make_penalties, 3, 2.0f, 0.0f, 0.0f)).is_ok());
    REQUIRE(chain.add(stage(loom::make_logit_bias, ids, bias, size_t(3))).is_ok());
    for (int32_t t : {order[0], order[5], order[0]}) REQUIRE(chain.accept(t).is_ok());
    int32_t tok = -1;
    REQUIRE(chain.sample(l.data(), 64, &tok).is_ok());
    REQUIRE(chain.candidates().size() == 10);
    for (const loom::Candidate &c : chain.candidates().items()) {
        float want = l[size_t(c.id)];
        if (c.id == order[0] || c.id == order[5]) want = want > 0 ? want / 2.0f : want * 2.0f;
        if (c.id == order[2]) want += 0.75f;
        INFO("token " << c.id);
        CHECK(c.logit == Approx(want));
    }
}

TEST_CASE("logit_bias_shifts_and_bans_tokens", "[sample]") {
    std::vector<float> l = {1.0f, 3.0f, 2.0f};
    int32_t ids[] = {1, 0};
    float bias[] = {-std::numeric_limits<float>::infinity(), 1.5f};
    loom::SamplerChain chain;
    REQUIRE(chain.add(stage(loom::make_logit_bias, ids, bias, size_t(2))).is_ok());
    int32_t tok = -1;
    REQUIRE(chain.sample(l.data(), 3, &tok).is_ok());
    CHECK(tok == 0); // 1 banned, 0 -> 2.5 beats 2
    CHECK(chain.sample(l.data(), 1, &tok).code() == LOOM_ERR_INVALID_ARGUMENT); // token 1 outside a vocab of 1
}

TEST_CASE("dist_draws_match_the_exact_distribution", "[sample]") {
    // 100k seeded draws from top-k(8) at temperature 0.8 over 50 logits: the
    // chi-square statistic against softmax(top 8 / 0.8) must stay below the
    // 0.001 critical value for 7 degrees of freedom (24.32).
    std::vector<float> l = random_logits(7, 50, 2.0f);
    std::vector<int32_t> order = by_logit(l);
    std::vector<float> top;
    for (int i = 0; i < 8; ++i) top.push_back(l[size_t(order[size_t(i)])] / 0.8f);
    std::vector<double> p = exact_softmax(top);
    loom::SamplerChain chain;
    REQUIRE(chain.add(stage(loom::make_top_k, 8)).is_ok());
    REQUIRE(chain.add(stage(loom::make_temperature, 0.8f)).is_ok());
    REQUIRE(chain.add(loom::make_dist(1234)).is_ok());
    std::map<int32_t, int> seen;
    const int n = 100000;
    for (int i = 0; i < n; ++i) {
        int32_t tok = -1;
        REQUIRE(chain.sample(l.data(), 50, &tok).is_ok());
        seen[tok]++;
    }
    double chi2 = 0;
    for (int i = 0; i < 8; ++i) {
        double expect = n * p[size_t(i)], got = seen[order[size_t(i)]];
        chi2 += (got - expect) * (got - expect) / expect;
    }
    CHECK(seen.size() == 8);
    CHECK(chi2 < 24.32);
}

TEST_CASE("same_seed_same_tokens_different_seed_different", "[sample]") {
    std::vector<float> l = random_logits(8, 1000, 1.0f);
    auto run = [&](uint64_t seed, int n) {
        loom::SamplerChain chain;
        REQUIRE(chain.add(stage(loom::make_top_p, 0.95f)).is_ok());
        REQUIRE(chain.add(loom::make_dist(seed)).is_ok());
        std::vector<int32_t> out;
        for (int i = 0; i < n; ++i) {
            int32_t tok = -1;
            REQUIRE(chain.sample(l.data(), 1000, &tok).is_ok());
            out.push_back(tok);
        }
        chain.reset();
        int32_t first = -1;
        REQUIRE(chain.sample(l.data(), 1000, &first).is_ok());
        CHECK(first == out[0]); // reset reseeds
        return out;
    };
    CHECK(run(42, 64) == run(42, 64));
    CHECK(run(42, 64) != run(43, 64));
}

TEST_CASE("nan_logits_are_never_picked", "[sample]") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    std::vector<float> l = {nan, -5.0f, nan, -6.0f};
    loom::SamplerChain chain;
    REQUIRE(chain.add(loom::make_dist(3)).is_ok());
    for (int i = 0; i < 200; ++i) {
        int32_t tok = -1;
        REQUIRE(chain.sample(l.data(), 4, &tok).is_ok());
        CHECK((tok == 1 || tok == 3));
    }
    std::vector<float> plus = {1.0f, inf, 2.0f, inf};
    std::set<int32_t> seen;
    for (int i = 0; i < 200; ++i) {
        int32_t tok = -1;
        REQUIRE(chain.sample(plus.data(), 4, &tok).is_ok());
        seen.insert(tok);
    }
    CHECK(seen == std::set<int32_t>{1, 3});
    std::vector<float> none = {nan, -inf};
    int32_t tok = -1;
    CHECK(chain.sample(none.data(), 2, &tok).code() == LOOM_ERR_INVALID_ARGUMENT);
}

TEST_CASE("rejects_out_of_range_stage_arguments", "[sample]") {
    std::unique_ptr<loom::SamplerStage> s;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    CHECK(loom::make_top_k(0, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom::make_top_k(-3, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    for (float p : {0.0f, -0.1f, 1.01f, nan}) {
        CHECK(loom::make_top_p(p, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
        CHECK(loom::make_typical(p, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    }
    CHECK(loom::make_min_p(-0.1f, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom::make_min_p(nan, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom::make_temperature(-1.0f, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom::make_temperature(nan, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom::make_penalties(-1, 1.1f, 0, 0, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom::make_penalties(64, 0.0f, 0, 0, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    int32_t neg = -1;
    float b = 1.0f, pinf = std::numeric_limits<float>::infinity();
    int32_t ok_id = 0;
    CHECK(loom::make_logit_bias(&neg, &b, 1, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom::make_logit_bias(&ok_id, &pinf, 1, &s).code() == LOOM_ERR_INVALID_ARGUMENT);
    loom::SamplerChain chain;
    REQUIRE(chain.add(loom::make_greedy()).is_ok());
    CHECK(chain.add(loom::make_dist(1)).code() == LOOM_ERR_INVALID_ARGUMENT);
}
