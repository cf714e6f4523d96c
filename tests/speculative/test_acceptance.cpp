// The acceptance rule against its promise: whatever the draft's q, the
// emitted token is distributed as the target's p (chi-square over many
// seeded trials), and the acceptance rate is sum_x min(p(x), q(x)).
// A control shows the test can fail: keeping every draft gives q, not p.
// Also prompt lookup's proposals on hand-made texts.
#include "sample/rng.h"
#include "speculative/acceptance.h"
#include "speculative/ngram_lookup.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

namespace {

// Pearson's statistic of `counts` against probabilities p (categories with
// p > 0); a count in a p = 0 category makes it infinite.
double chi_square(const std::vector<int64_t> &counts, const std::vector<float> &p, int64_t n) {
    double chi = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        double expected = double(p[i]) * double(n);
        if (expected == 0) {
            if (counts[i] != 0) return INFINITY;
            continue;
        }
        double d = double(counts[i]) - expected;
        chi += d * d / expected;
    }
    return chi;
}

struct Outcome {
    std::vector<int64_t> counts;
    int64_t accepted = 0;
};

Outcome run_trials(const std::vector<float> &p, const std::vector<float> &q, int64_t n, uint64_t seed,
                   bool keep_every_draft = false) {
    loom::Xoshiro256 rng(seed);
    std::vector<double> scratch;
    Outcome o;
    o.counts.assign(p.size(), 0);
    for (int64_t t = 0; t < n; ++t) {
        int32_t x = loom::draw_dense(q, &rng);
        loom::DraftVerdict v = keep_every_draft ? loom::DraftVerdict{true, x}
                                                : loom::accept_draft_token(p, q, x, &rng, &scratch);
        o.counts[size_t(v.token)]++;
        o.accepted += v.accepted;
    }
    return o;
}

// The 0.999 quantile of chi-square with 4 and 5 degrees of freedom.
constexpr double kChi4 = 18.467, kChi5 = 20.515;

} // namespace

TEST_CASE("acceptance_rule_emits_the_target_distribution", "[speculative]") {
    // Six tokens; token 4 is impossible for the target, likely for the draft.
    const std::vector<float> p = {0.30f, 0.05f, 0.25f, 0.10f, 0.00f, 0.30f};
    const std::vector<float> q = {0.10f, 0.40f, 0.10f, 0.20f, 0.15f, 0.05f};
    const int64_t n = 200000;
    Outcome o = run_trials(p, q, n, 12345);
    CHECK(o.counts[4] == 0);
    CHECK(chi_square(o.counts, p, n) < kChi4);
    // P(accept) = sum min(p, q) = 0.40; its standard error here is 0.0011.
    CHECK(std::fabs(double(o.accepted) / double(n) - 0.40) < 0.006);

    // Control: keeping every draft emits q, which the same test rejects.
    Outcome naive = run_trials(p, q, n, 12345, true);
    CHECK(chi_square(naive.counts, p, n) > 1000.0);
}

TEST_CASE("acceptance_rule_with_a_draft_that_misses_target_tokens", "[speculative]") {
    // q gives no mass to tokens the target likes: they can only come from the residual.
    const std::vector<float> p = {0.2f, 0.2f, 0.2f, 0.2f, 0.1f, 0.1f};
    const std::vector<float> q = {0.0f, 0.0f, 0.5f, 0.5f, 0.0f, 0.0f};
    const int64_t n = 100000;
    Outcome o = run_trials(p, q, n, 777);
    CHECK(chi_square(o.counts, p, n) < kChi5);
    CHECK(std::fabs(double(o.accepted) / double(n) - 0.40) < 0.008);
}

TEST_CASE("acceptance_rule_keeps_every_draft_when_draft_equals_target", "[speculative]") {
    const std::vector<float> p = {0.5f, 0.25f, 0.125f, 0.125f};
    Outcome o = run_trials(p, p, 20000, 9);
    CHECK(o.accepted == 20000);
}

TEST_CASE("acceptance_rule_with_a_one_hot_target_is_greedy", "[speculative]") {
    const std::vector<float> p = {0.0f, 0.0f, 1.0f, 0.0f};
    const std::vector<float> q = {0.25f, 0.25f, 0.25f, 0.25f};
    Outcome o = run_trials(p, q, 4000, 3);
    CHECK(o.counts[2] == 4000);
    CHECK(std::fabs(double(o.accepted) / 4000.0 - 0.25) < 0.03);
}

TEST_CASE("lookup_proposes_what_followed_the_longest_suffix_match", "[speculative]") {
    const std::vector<int32_t> text = {1, 2, 3, 4, 5, 1, 2, 3};
    CHECK(loom::lookup_draft(text, 2, 4, 3) == std::vector<int32_t>{4, 5, 1});
    CHECK(loom::lookup_draft(text, 2, 4, 10) == std::vector<int32_t>{4, 5, 1, 2, 3});
    CHECK(loom::lookup_draft(text, 2, 4, 0).empty());
}

TEST_CASE("lookup_takes_the_latest_earlier_occurrence", "[speculative]") {
    const std::vector<int32_t> text = {7, 8, 1, 7, 8, 2, 7, 8};
    CHECK(loom::lookup_draft(text, 2, 4, 2) == std::vector<int32_t>{2, 7});
    // A longer suffix wins over a later short one: [1 7 8] occurs once before.
    const std::vector<int32_t> text2 = {1, 7, 8, 5, 7, 8, 6, 1, 7, 8};
    CHECK(loom::lookup_draft(text2, 2, 4, 1) == std::vector<int32_t>{5});
    CHECK(loom::lookup_draft(text2, 2, 2, 1) == std::vector<int32_t>{6});
}

TEST_CASE("lookup_without_a_match_proposes_nothing", "[speculative]") {
    CHECK(loom::lookup_draft({1, 2, 3, 4, 5, 6}, 1, 3, 4).empty());
    CHECK(loom::lookup_draft({5}, 1, 3, 4).empty());
    CHECK(loom::lookup_draft({}, 1, 3, 4).empty());
    // ngram_min 1 matches a single repeated token.
    CHECK(loom::lookup_draft({9, 4, 9}, 1, 3, 4) == std::vector<int32_t>{4, 9});
}
