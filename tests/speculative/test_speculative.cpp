// loom_speculative_* on tiny random-weight models (no reference needed):
// greedy text equals plain greedy decoding with the same model as its own
// draft (every proposal kept), with a draft of other weights, and with prompt
// lookup; lookup with a sampling chain gives plain sampling's exact tokens;
// a full cache ends where plain decoding ends; bad arguments are refused.
#include "model_fixture.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace {

// Untied output weights: a tied tiny model mostly predicts its input token again.
tinymodel::Spec untied(uint32_t seed) {
    tinymodel::Spec s;
    s.tied = false;
    s.seed = seed;
    return s;
}

fixture::Model &model_a() {
    static std::unique_ptr<fixture::Model> m = fixture::load(untied(1));
    REQUIRE(m->m != nullptr);
    return *m;
}

// Same shapes and vocabulary, other weights.
fixture::Model &model_b() {
    static std::unique_ptr<fixture::Model> m = [] {
        tinymodel::Spec s = untied(2);
        s.n_layer = 1;
        return fixture::load(s);
    }();
    REQUIRE(m->m != nullptr);
    return *m;
}

// Greedy with penalties (a tiny random model alone soon repeats one token;
// the penalties also make each position's choice depend on the tokens kept
// before it), or a seeded draw.
struct Sampler {
    loom_sampler *s = nullptr;
    explicit Sampler(uint64_t seed = 0, bool draws = false) {
        REQUIRE(loom_sampler_new(&s) == LOOM_OK);
        REQUIRE(loom_sampler_add_penalties(s, 64, 1.3f, 0.4f, 0.4f) == LOOM_OK);
        if (draws) {
            REQUIRE(loom_sampler_add_top_k(s, 20) == LOOM_OK);
            REQUIRE(loom_sampler_add_temperature(s, 1.5f) == LOOM_OK);
            REQUIRE(loom_sampler_add_dist(s, seed) == LOOM_OK);
        } else {
            REQUIRE(loom_sampler_add_greedy(s) == LOOM_OK);
        }
    }
    ~Sampler() { loom_sampler_free(s); }
};

struct Spec {
    loom_speculative *s = nullptr;
    ~Spec() { loom_speculative_free(s); }
};

// Plain decoding: the prompt, then one token per decode, `n` tokens.
std::vector<int32_t> plain(const fixture::Model &m, const std::vector<int32_t> &prompt, int n, Sampler &smp,
                           uint32_t n_ctx = 128) {
    auto c = fixture::context(m, n_ctx);
    REQUIRE(loom_batch_add_tokens(c->b, prompt.data(), int32_t(prompt.size()), 0, 0, LOOM_BATCH_OUTPUTS_LAST) ==
            LOOM_OK);
    REQUIRE(loom_decode(c->c, c->b) == LOOM_OK);
    std::vector<int32_t> out;
    int32_t pos = int32_t(prompt.size());
    for (int i = 0; i < n; ++i) {
        int32_t t = -1;
        REQUIRE(loom_sample(smp.s, c->c, -1, &t) == LOOM_OK);
        REQUIRE(loom_sampler_accept(smp.s, t) == LOOM_OK);
        out.push_back(t);
        if (i + 1 == n) break;
        loom_batch_clear(c->b);
        REQUIRE(loom_batch_add(c->b, t, pos++, 0, 1) == LOOM_OK);
        REQUIRE(loom_decode(c->c, c->b) == LOOM_OK);
    }
    return out;
}

struct Run {
    std::vector<int32_t> tokens;
    int64_t rounds = 0, drafted = 0, accepted = 0;
};

// Speculative decoding of `n` tokens (a round never gives more than asked).
Run speculative(loom_context *target, loom_context *draft, const std::vector<int32_t> &prompt, int n, Sampler &smp,
                int32_t draft_max = 4, float p_min = 0.0f) {
    loom_speculative_params p;
    REQUIRE(loom_speculative_default_params(&p) == LOOM_OK);
    p.draft_max = draft_max;
    p.draft_p_min = p_min;
    Spec spec;
    REQUIRE(loom_speculative_new(target, draft, &p, &spec.s) == LOOM_OK);
    REQUIRE(loom_speculative_prompt(spec.s, prompt.data(), int32_t(prompt.size())) == LOOM_OK);
    Run r;
    std::vector<int32_t> buf(size_t(draft_max) + 1);
    while (int(r.tokens.size()) < n) {
        int32_t got = 0;
        int32_t cap = std::min<int32_t>(int32_t(buf.size()), n - int32_t(r.tokens.size()));
        REQUIRE(loom_speculative_next(spec.s, smp.s, buf.data(), cap, &got) == LOOM_OK);
        REQUIRE((got >= 1 && got <= cap));
        r.tokens.insert(r.tokens.end(), buf.begin(), buf.begin() + got);
    }
    REQUIRE(loom_speculative_stats(spec.s, &r.rounds, &r.drafted, &r.accepted) == LOOM_OK);
    return r;
}

const std::vector<int32_t> kPrompt = {3, 17, 42, 5, 60, 11, 29, 8};

// The greedy text of model_a after kPrompt, plain and with `draft` as the draft model.
Run greedy_with_draft(fixture::Model &draft_model, int32_t draft_max, std::vector<int32_t> *want) {
    Sampler a, b;
    *want = plain(model_a(), kPrompt, 40, a);
    auto target = fixture::context(model_a(), 128), draft = fixture::context(draft_model, 128);
    return speculative(target->c, draft->c, kPrompt, 40, b, draft_max);
}

} // namespace

TEST_CASE("speculative_self_draft_keeps_every_proposal_and_the_greedy_text", "[speculative]") {
    std::vector<int32_t> want;
    Run r = greedy_with_draft(model_a(), 4, &want);
    CHECK(r.tokens == want);
    CHECK(r.drafted > 0);
    CHECK(r.accepted == r.drafted);
    CHECK(r.rounds < 15); // 5 tokens a round, less the last rounds cut to fit 40
}

TEST_CASE("speculative_other_draft_model_gives_the_greedy_text", "[speculative]") {
    std::vector<int32_t> want;
    Run r = greedy_with_draft(model_b(), 3, &want);
    CHECK(r.tokens == want);
    CHECK(r.drafted > 0);
    CHECK(r.accepted < r.drafted); // unrelated weights: not everything agrees
}

TEST_CASE("speculative_draft_p_min_stops_an_unsure_draft", "[speculative]") {
    Sampler a, b, c;
    std::vector<int32_t> want = plain(model_a(), kPrompt, 20, a);
    auto target = fixture::context(model_a(), 128), draft = fixture::context(model_b(), 128);
    // No token of a random model is that sure: nothing is proposed, the text is the same.
    Run none = speculative(target->c, draft->c, kPrompt, 20, b, 4, 0.999f);
    CHECK(none.tokens == want);
    CHECK(none.drafted == 0);
    CHECK(none.rounds == 20);
    Run some = speculative(target->c, draft->c, kPrompt, 20, c, 4, 0.01f);
    CHECK(some.tokens == want);
    CHECK(some.drafted > 0);
}

TEST_CASE("speculative_prompt_lookup_gives_the_greedy_text", "[speculative]") {
    // A prompt that repeats itself, so the lookup has something to propose.
    std::vector<int32_t> prompt = {3, 17, 42, 5, 60, 11, 3, 17, 42, 5, 60, 11, 3, 17, 42};
    Sampler a, b;
    std::vector<int32_t> want = plain(model_a(), prompt, 30, a);
    auto target = fixture::context(model_a(), 128);
    Run r = speculative(target->c, nullptr, prompt, 30, b, 5);
    CHECK(r.tokens == want);
    CHECK(r.drafted > 0);
}

TEST_CASE("speculative_prompt_lookup_samples_the_same_tokens_as_plain_sampling", "[speculative]") {
    std::vector<int32_t> prompt = {3, 17, 42, 5, 60, 11, 3, 17, 42, 5, 60, 11, 3, 17, 42};
    Sampler a(99, true), b(99, true);
    std::vector<int32_t> want = plain(model_a(), prompt, 30, a);
    auto target = fixture::context(model_a(), 128);
    Run r = speculative(target->c, nullptr, prompt, 30, b, 5);
    CHECK(r.tokens == want);
}

TEST_CASE("speculative_sampling_with_a_draft_model_stays_consistent", "[speculative]") {
    Sampler b(5, true);
    auto target = fixture::context(model_a(), 128), draft = fixture::context(model_a(), 128);
    Run r = speculative(target->c, draft->c, kPrompt, 40, b, 4);
    REQUIRE(r.tokens.size() == 40);
    for (int32_t t : r.tokens) CHECK((t >= 0 && t < model_a().n_vocab()));
    // The self draft's q equals p: the rule keeps (almost) every proposal.
    CHECK(r.accepted >= r.drafted * 9 / 10);
    // The caches hold the text but its last token.
    int32_t pos = -1;
    REQUIRE(loom_kv_seq_pos_max(target->c, 0, &pos) == LOOM_OK);
    CHECK(pos == int32_t(kPrompt.size() + 40) - 2);
}

TEST_CASE("speculative_stops_where_the_cache_is_full_as_plain_decoding_does", "[speculative]") {
    const uint32_t n_ctx = 32;
    Sampler a, b;
    // Plain decoding fills n_ctx cells and samples one more token: n_ctx + 1 - prompt tokens.
    const int n_out = int(n_ctx) + 1 - int(kPrompt.size());
    std::vector<int32_t> want = plain(model_a(), kPrompt, n_out, a, n_ctx);
    auto target = fixture::context(model_a(), n_ctx), draft = fixture::context(model_b(), n_ctx);
    loom_speculative_params p;
    loom_speculative_default_params(&p);
    p.draft_max = 6;
    Spec spec;
    REQUIRE(loom_speculative_new(target->c, draft->c, &p, &spec.s) == LOOM_OK);
    REQUIRE(loom_speculative_prompt(spec.s, kPrompt.data(), int32_t(kPrompt.size())) == LOOM_OK);
    std::vector<int32_t> got, buf(7);
    loom_status st = LOOM_OK;
    for (int guard = 0; guard < 100 && st == LOOM_OK; ++guard) {
        int32_t n = -1;
        st = loom_speculative_next(spec.s, b.s, buf.data(), 7, &n);
        if (st == LOOM_OK) got.insert(got.end(), buf.begin(), buf.begin() + n);
        else CHECK(n == 0);
    }
    CHECK(st == LOOM_ERR_CONTEXT_FULL);
    CHECK(got == want);
}

TEST_CASE("speculative_refuses_bad_arguments", "[speculative]") {
    auto target = fixture::context(model_a(), 64), draft = fixture::context(model_a(), 64);
    Spec spec;
    CHECK(loom_speculative_new(nullptr, nullptr, nullptr, &spec.s) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_speculative_new(target->c, nullptr, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_speculative_new(target->c, target->c, nullptr, &spec.s) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("draft context is the target") != std::string::npos);

    loom_speculative_params p;
    loom_speculative_default_params(&p);
    p.draft_max = 0;
    CHECK(loom_speculative_new(target->c, draft->c, &p, &spec.s) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("draft_max") != std::string::npos);
    loom_speculative_default_params(&p);
    p.ngram_min = 3;
    p.ngram_max = 2;
    CHECK(loom_speculative_new(target->c, nullptr, &p, &spec.s) == LOOM_ERR_INVALID_ARGUMENT);
    loom_speculative_default_params(&p);
    p.draft_p_min = 1.5f;
    CHECK(loom_speculative_new(target->c, draft->c, &p, &spec.s) == LOOM_ERR_INVALID_ARGUMENT);
    p.struct_size = 3;
    CHECK(loom_speculative_new(target->c, draft->c, &p, &spec.s) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(spec.s == nullptr);

    REQUIRE(loom_speculative_new(target->c, nullptr, nullptr, &spec.s) == LOOM_OK);
    Sampler smp;
    int32_t buf[4], n = -1;
    CHECK(loom_speculative_next(spec.s, smp.s, buf, 4, &n) == LOOM_ERR_INVALID_ARGUMENT); // no prompt yet
    CHECK(std::string(loom_last_error()).find("loom_speculative_prompt") != std::string::npos);
    const int32_t bad[] = {1, 2, 80};
    CHECK(loom_speculative_prompt(spec.s, bad, 3) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("outside the vocabulary") != std::string::npos);
    CHECK(loom_speculative_prompt(spec.s, bad, 0) == LOOM_ERR_INVALID_ARGUMENT);
    REQUIRE(loom_speculative_prompt(spec.s, bad, 2) == LOOM_OK);
    CHECK(loom_speculative_next(spec.s, smp.s, buf, 0, &n) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_speculative_next(spec.s, nullptr, buf, 4, &n) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_speculative_next(spec.s, smp.s, buf, 1, &n) == LOOM_OK);
    CHECK(n == 1);
    std::vector<int32_t> long_prompt(65, 1);
    CHECK(loom_speculative_prompt(spec.s, long_prompt.data(), 65) == LOOM_ERR_CONTEXT_FULL);
    CHECK(loom_speculative_stats(nullptr, nullptr, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    loom_speculative_free(nullptr);
}

TEST_CASE("speculative_checks_the_draft_vocabulary", "[speculative]") {
    tinymodel::Spec other;
    other.n_vocab = 96;
    auto m96 = fixture::load(other);
    REQUIRE(m96->m != nullptr);
    auto target = fixture::context(model_a(), 64), draft = fixture::context(*m96, 64);
    Spec spec;
    CHECK(loom_speculative_new(target->c, draft->c, nullptr, &spec.s) == LOOM_ERR_TYPE_MISMATCH);

    // With tokenizers: embedding padding (300 rows against 256 tokens) is no
    // difference; a tokenizer against none, or another token, is.
    tinymodel::Spec t256, t300, tother;
    tinymodel::add_byte_vocab(&t256);
    t256.n_vocab = 256;
    t300 = t256;
    t300.n_vocab = 300;
    t300.seed = 4;
    tother = t256;
    std::swap(tother.tokens[65], tother.tokens[66]);
    auto m256 = fixture::load(t256), m300 = fixture::load(t300), mother = fixture::load(tother);
    REQUIRE((m256->m && m300->m && mother->m));
    auto c256 = fixture::context(*m256, 64), c300 = fixture::context(*m300, 64), cother = fixture::context(*mother, 64);
    Spec ok, bad_tok, no_tok;
    CHECK(loom_speculative_new(c256->c, c300->c, nullptr, &ok.s) == LOOM_OK);
    CHECK(loom_speculative_new(c256->c, cother->c, nullptr, &bad_tok.s) == LOOM_ERR_TYPE_MISMATCH);
    CHECK(std::string(loom_last_error()).find("token 65") != std::string::npos);
    CHECK(loom_speculative_new(target->c, c256->c, nullptr, &no_tok.s) == LOOM_ERR_TYPE_MISMATCH);
}

namespace {

// The chain's distribution for one logits row: top-k 20, then softmax(logits / 1.5)
// (the penalties stage has nothing in its window at the first position).
std::vector<double> top20_t15(const float *logits, int32_t n) {
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) ids[size_t(i)] = i;
    std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
    std::vector<double> p(static_cast<size_t>(n), 0.0);
    double sum = 0;
    for (size_t k = 0; k < 20; ++k) {
        const int32_t id = ids[k];
        p[size_t(id)] = std::exp(double(logits[id] - logits[ids[0]]) / 1.5);
        sum += p[size_t(id)];
    }
    for (double &x : p) x /= sum;
    return p;
}

} // namespace

TEST_CASE("speculative_sampling_with_another_draft_emits_the_target_distribution", "[speculative]") {
    // The first token of a round goes through the acceptance rule (model_b
    // proposes from its own distribution). Over many seeds its frequencies
    // must match the target's chain distribution, computed from the target's
    // own logits here.
    auto ref = fixture::context(model_a(), 64);
    std::vector<float> rows = fixture::decode(*ref, model_a(), kPrompt);
    const int32_t nv = model_a().n_vocab();
    REQUIRE(rows.size() == kPrompt.size() * size_t(nv));
    const std::vector<double> p = top20_t15(rows.data() + (kPrompt.size() - 1) * size_t(nv), nv);

    auto target = fixture::context(model_a(), 64), draft = fixture::context(model_b(), 64);
    const int trials = 1500;
    std::vector<int> counts(size_t(nv), 0);
    int64_t drafted = 0, accepted = 0;
    for (int t = 0; t < trials; ++t) {
        loom_speculative_params sp;
        loom_speculative_default_params(&sp);
        sp.draft_max = 2;
        sp.seed = uint64_t(t) * 7919u + 1;
        Spec spec;
        REQUIRE(loom_speculative_new(target->c, draft->c, &sp, &spec.s) == LOOM_OK);
        REQUIRE(loom_speculative_prompt(spec.s, kPrompt.data(), int32_t(kPrompt.size())) == LOOM_OK);
        Sampler smp(uint64_t(t), true);
        int32_t out[3], n = 0;
        REQUIRE(loom_speculative_next(spec.s, smp.s, out, 3, &n) == LOOM_OK);
        REQUIRE(n >= 1);
        counts[size_t(out[0])]++;
        int64_t d = 0, a = 0;
        loom_speculative_stats(spec.s, nullptr, &d, &a);
        drafted += d, accepted += a;
    }
    double chi = 0;
    int df = -1;
    for (int32_t i = 0; i < nv; ++i) {
        const double expected = p[size_t(i)] * trials;
        if (expected == 0) {
            CHECK(counts[size_t(i)] == 0);   // outside the target's top 20: never emitted
            continue;
        }
        chi += (counts[size_t(i)] - expected) * (counts[size_t(i)] - expected) / expected;
        df++;
    }
    CHECK(df == 19);
    CHECK(chi < 43.82);                      // the 0.999 quantile of chi-square with 19 degrees of freedom
    CHECK(accepted > 0);                     // the rule kept some of model_b's proposals...
    CHECK(accepted < drafted);               // ...and refused some
}
