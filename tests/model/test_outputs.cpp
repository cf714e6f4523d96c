// What a decode gives back besides logits: embeddings-only contexts (no
// output matmul), pooled and normalised per-sequence vectors, bulk batch
// filling, log-probabilities of a decoded row. Expected values come from the
// per-entry outputs of the same model (or a logits context) computed directly.
#include "model_fixture.h"
#include "reference_forward.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace {

fixture::Model &model() {
    static std::unique_ptr<fixture::Model> m = fixture::load(tinymodel::Spec{});
    REQUIRE(m->m != nullptr);
    return *m;
}

struct Ctx {
    loom_context *c = nullptr;
    loom_batch *b = nullptr;
    ~Ctx() {
        loom_batch_free(b);
        loom_context_free(c);
    }
};

std::unique_ptr<Ctx> make(int32_t embeddings, int32_t pooling = LOOM_POOLING_NONE, int32_t normalize = 0,
                          uint32_t n_seq = 1) {
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = 64;
    p.n_batch = 64;
    p.n_seq_max = n_seq;
    p.n_threads = 2;
    p.kv_type = LOOM_TYPE_F32;
    p.matmul_precision = LOOM_MATMUL_EXACT;
    p.embeddings = embeddings;
    p.pooling_type = pooling;
    p.embd_normalize = normalize;
    auto c = std::make_unique<Ctx>();
    REQUIRE(loom_context_new(model().m, &p, &c->c) == LOOM_OK);
    REQUIRE(loom_batch_new(64, &c->b) == LOOM_OK);
    return c;
}

std::vector<float> embd_of(Ctx &c, int32_t i) {
    const float *e = nullptr;
    REQUIRE(loom_get_embeddings(c.c, i, &e) == LOOM_OK);
    return std::vector<float>(e, e + loom_model_n_embd(model().m));
}

std::vector<float> pooled_of(Ctx &c, int32_t seq) {
    const float *e = nullptr;
    REQUIRE(loom_get_embeddings_seq(c.c, seq, &e) == LOOM_OK);
    return std::vector<float>(e, e + loom_model_n_embd(model().m));
}

double max_abs_diff(const std::vector<float> &a, const std::vector<double> &b) {
    double d = 0.0;
    for (size_t k = 0; k < a.size(); k++) d = std::max(d, std::fabs(double(a[k]) - b[k]));
    return d;
}

std::vector<double> l2_normalised(std::vector<double> v) {
    double ss = 0.0;
    for (double x : v) ss += x * x;
    for (double &x : v) x /= std::sqrt(ss);
    return v;
}

} // namespace

TEST_CASE("embeddings_only_context_gives_the_same_embeddings_and_no_logits", "[outputs]") {
    const int32_t nv = model().n_vocab();
    const std::vector<int32_t> toks = fixture::tokens(9, nv, 11);
    auto both = make(LOOM_EMBEDDINGS_WITH_LOGITS), only = make(LOOM_EMBEDDINGS_ONLY);
    for (Ctx *c : {both.get(), only.get()}) {
        REQUIRE(loom_batch_add_tokens(c->b, toks.data(), int32_t(toks.size()), 0, 0, LOOM_BATCH_OUTPUTS_ALL) == LOOM_OK);
        REQUIRE(loom_decode(c->c, c->b) == LOOM_OK);
    }
    for (int32_t i = 0; i < int32_t(toks.size()); i++) CHECK(embd_of(*only, i) == embd_of(*both, i));
    const float *p = nullptr;
    CHECK(loom_get_logits(only->c, 0, &p) == LOOM_ERR_UNSUPPORTED);
    CHECK(std::string(loom_last_error()).find("embeddings only") != std::string::npos);
    float lp = 0.0f;
    CHECK(loom_get_logprobs(only->c, -1, 0, &lp, 0, nullptr, nullptr) == LOOM_ERR_UNSUPPORTED);
    loom_sampler *s = nullptr;
    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    int32_t tok = -1;
    CHECK(loom_sample(s, only->c, -1, &tok) == LOOM_ERR_UNSUPPORTED);
    loom_sampler_free(s);
    // The state of an embeddings-only context round-trips (no logits in it)
    // and is refused by a context that keeps logits.
    size_t size = 0;
    REQUIRE(loom_state_save(only->c, nullptr, 0, &size) == LOOM_ERR_BUFFER_TOO_SMALL);
    std::vector<uint8_t> state(size);
    REQUIRE(loom_state_save(only->c, state.data(), state.size(), &size) == LOOM_OK);
    auto again = make(LOOM_EMBEDDINGS_ONLY);
    REQUIRE(loom_state_load(again->c, state.data(), state.size()) == LOOM_OK);
    CHECK(embd_of(*again, 4) == embd_of(*only, 4));
    CHECK(loom_state_load(both->c, state.data(), state.size()) == LOOM_ERR_FORMAT);
}

TEST_CASE("pooled_mean_and_last_equal_the_per_entry_embeddings", "[outputs]") {
    const int32_t nv = model().n_vocab();
    const int32_t n_embd = loom_model_n_embd(model().m);
    const std::vector<int32_t> a = fixture::tokens(7, nv, 3), b = fixture::tokens(4, nv, 5);
    for (int32_t pooling : {LOOM_POOLING_MEAN, LOOM_POOLING_LAST}) {
        for (int32_t normalize : {0, 1}) {
            INFO("pooling " << pooling << " normalize " << normalize);
            auto c = make(LOOM_EMBEDDINGS_ONLY, pooling, normalize, 3);
            // Interleaved: a's entries 0..6 at even batch indices first, b's
            // after; b's entry 2 asks for no output (it is left out of pooling).
            std::vector<std::pair<int32_t, int32_t>> entries;   // (seq, index)
            for (int32_t i = 0; i < 7; i++) {
                entries.push_back({0, i});
                if (i < 4) entries.push_back({1, i});
            }
            for (auto &e : entries) {
                const bool want = !(e.first == 1 && e.second == 2);
                const int32_t tok = e.first == 0 ? a[size_t(e.second)] : b[size_t(e.second)];
                REQUIRE(loom_batch_add(c->b, tok, e.second, e.first, want) == LOOM_OK);
            }
            REQUIRE(loom_decode(c->c, c->b) == LOOM_OK);
            for (int32_t seq : {0, 1}) {
                std::vector<double> want(size_t(n_embd), 0.0);
                int32_t count = 0;
                for (size_t k = 0; k < entries.size(); k++) {
                    if (entries[k].first != seq || (seq == 1 && entries[k].second == 2)) continue;
                    const std::vector<float> e = embd_of(*c, int32_t(k));
                    if (pooling == LOOM_POOLING_LAST) std::fill(want.begin(), want.end(), 0.0);
                    for (int32_t d = 0; d < n_embd; d++) want[size_t(d)] += e[size_t(d)];
                    count++;
                }
                if (pooling == LOOM_POOLING_MEAN)
                    for (double &x : want) x /= count;
                if (normalize) want = l2_normalised(want);
                INFO("seq " << seq);
                CHECK(max_abs_diff(pooled_of(*c, seq), want) < 1e-6);
            }
            const float *e = nullptr;
            CHECK(loom_get_embeddings_seq(c->c, 2, &e) == LOOM_ERR_NOT_FOUND);   // no entries
            CHECK(loom_get_embeddings_seq(c->c, 3, &e) == LOOM_ERR_INVALID_ARGUMENT);
            CHECK(loom_get_embeddings_seq(c->c, 0, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
        }
    }
}

TEST_CASE("pooling_last_of_a_sequence_equals_its_last_entry", "[outputs]") {
    const std::vector<int32_t> toks = fixture::tokens(6, model().n_vocab(), 21);
    auto c = make(LOOM_EMBEDDINGS_WITH_LOGITS, LOOM_POOLING_LAST);
    REQUIRE(loom_batch_add_tokens(c->b, toks.data(), 6, 0, 0, LOOM_BATCH_OUTPUTS_ALL) == LOOM_OK);
    REQUIRE(loom_decode(c->c, c->b) == LOOM_OK);
    CHECK(pooled_of(*c, 0) == embd_of(*c, 5));
    // The next decode replaces the pooled vectors: here by none (no outputs asked).
    loom_batch_clear(c->b);
    REQUIRE(loom_batch_add(c->b, toks[0], 6, 0, 0) == LOOM_OK);
    REQUIRE(loom_decode(c->c, c->b) == LOOM_OK);
    const float *e = nullptr;
    CHECK(loom_get_embeddings_seq(c->c, 0, &e) == LOOM_ERR_NOT_FOUND);
}

TEST_CASE("pooling_params_are_checked", "[outputs]") {
    loom_context_params p;
    loom_context_default_params(&p);
    CHECK(p.pooling_type == LOOM_POOLING_NONE);
    CHECK(p.embd_normalize == 0);
    CHECK(p.embeddings == LOOM_EMBEDDINGS_NONE);
    p.n_ctx = 16;
    loom_context *c = nullptr;
    p.pooling_type = LOOM_POOLING_MEAN;   // without embeddings
    CHECK(loom_context_new(model().m, &p, &c) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("needs embeddings") != std::string::npos);
    p.embeddings = 3;
    CHECK(loom_context_new(model().m, &p, &c) == LOOM_ERR_INVALID_ARGUMENT);
    p.embeddings = LOOM_EMBEDDINGS_ONLY;
    p.pooling_type = 3;
    CHECK(loom_context_new(model().m, &p, &c) == LOOM_ERR_INVALID_ARGUMENT);
    p.pooling_type = LOOM_POOLING_NONE;
    p.embd_normalize = 2;
    CHECK(loom_context_new(model().m, &p, &c) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(c == nullptr);
    // Pooling none: loom_get_embeddings_seq says so.
    auto none = make(LOOM_EMBEDDINGS_WITH_LOGITS);
    REQUIRE(loom_batch_add(none->b, 1, 0, 0, 1) == LOOM_OK);
    REQUIRE(loom_decode(none->c, none->b) == LOOM_OK);
    const float *e = nullptr;
    CHECK(loom_get_embeddings_seq(none->c, 0, &e) == LOOM_ERR_UNSUPPORTED);
}

TEST_CASE("batch_add_tokens_equals_one_add_per_token", "[outputs]") {
    const int32_t nv = model().n_vocab();
    const std::vector<int32_t> toks = fixture::tokens(10, nv, 8);
    for (int32_t outputs : {LOOM_BATCH_OUTPUTS_NONE, LOOM_BATCH_OUTPUTS_LAST, LOOM_BATCH_OUTPUTS_ALL}) {
        INFO("outputs " << outputs);
        auto bulk = make(LOOM_EMBEDDINGS_NONE), single = make(LOOM_EMBEDDINGS_NONE);
        REQUIRE(loom_batch_add(bulk->b, 2, 0, 0, 0) == LOOM_OK);   // appended after what is there
        REQUIRE(loom_batch_add_tokens(bulk->b, toks.data(), 10, 1, 0, outputs) == LOOM_OK);
        REQUIRE(loom_batch_add(single->b, 2, 0, 0, 0) == LOOM_OK);
        for (int32_t k = 0; k < 10; k++) {
            const bool want = outputs == LOOM_BATCH_OUTPUTS_ALL || (outputs == LOOM_BATCH_OUTPUTS_LAST && k == 9);
            REQUIRE(loom_batch_add(single->b, toks[size_t(k)], 1 + k, 0, want) == LOOM_OK);
        }
        CHECK(loom_batch_size(bulk->b) == 11);
        REQUIRE(loom_decode(bulk->c, bulk->b) == LOOM_OK);
        REQUIRE(loom_decode(single->c, single->b) == LOOM_OK);
        for (int32_t i = 0; i < 11; i++) {
            const float *x = nullptr, *y = nullptr;
            const loom_status sx = loom_get_logits(bulk->c, i, &x), sy = loom_get_logits(single->c, i, &y);
            REQUIRE(sx == sy);
            if (sx == LOOM_OK) CHECK(std::vector<float>(x, x + nv) == std::vector<float>(y, y + nv));
        }
        int32_t pmax = -2;
        REQUIRE(loom_kv_seq_pos_max(bulk->c, 0, &pmax) == LOOM_OK);
        CHECK(pmax == 10);
    }
}

TEST_CASE("batch_add_tokens_is_all_or_nothing_and_checks_its_arguments", "[outputs]") {
    loom_batch *b = nullptr;
    REQUIRE(loom_batch_new(8, &b) == LOOM_OK);
    const int32_t toks[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    REQUIRE(loom_batch_add_tokens(b, toks, 5, 0, 0, LOOM_BATCH_OUTPUTS_LAST) == LOOM_OK);
    CHECK(loom_batch_add_tokens(b, toks, 4, 5, 0, LOOM_BATCH_OUTPUTS_LAST) == LOOM_ERR_BUFFER_TOO_SMALL);
    CHECK(std::string(loom_last_error()).find("3 of 8") != std::string::npos);
    CHECK(loom_batch_size(b) == 5);   // nothing added
    CHECK(loom_batch_add_tokens(b, toks, 3, 5, 0, LOOM_BATCH_OUTPUTS_LAST) == LOOM_OK);
    CHECK(loom_batch_size(b) == 8);
    CHECK(loom_batch_add_tokens(b, nullptr, 0, 0, 0, LOOM_BATCH_OUTPUTS_NONE) == LOOM_OK);
    loom_batch_clear(b);
    CHECK(loom_batch_add_tokens(nullptr, toks, 1, 0, 0, 0) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_batch_add_tokens(b, nullptr, 1, 0, 0, 0) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_batch_add_tokens(b, toks, -1, 0, 0, 0) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_batch_add_tokens(b, toks, 1, -1, 0, 0) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_batch_add_tokens(b, toks, 1, 0, -1, 0) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_batch_add_tokens(b, toks, 1, 0, 0, 3) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_batch_add_tokens(b, toks, 2, INT32_MAX, 0, 0) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_batch_size(b) == 0);
    loom_batch_free(b);
}

TEST_CASE("get_logprobs_is_the_log_softmax_of_the_decoded_row", "[outputs]") {
    const int32_t nv = model().n_vocab();
    const std::vector<int32_t> toks = fixture::tokens(5, nv, 9);
    auto c = make(LOOM_EMBEDDINGS_NONE);
    REQUIRE(loom_batch_add_tokens(c->b, toks.data(), 5, 0, 0, LOOM_BATCH_OUTPUTS_LAST) == LOOM_OK);
    REQUIRE(loom_decode(c->c, c->b) == LOOM_OK);
    const float *l = nullptr;
    REQUIRE(loom_get_logits(c->c, -1, &l) == LOOM_OK);
    // Direct: log-sum-exp in long double, and the order by sorting every id.
    long double sum = 0.0L;
    for (int32_t t = 0; t < nv; t++) sum += std::exp((long double)l[t]);
    std::vector<int32_t> order(size_t(nv), 0);
    for (int32_t t = 0; t < nv; t++) order[size_t(t)] = t;
    std::stable_sort(order.begin(), order.end(), [&](int32_t x, int32_t y) { return l[x] > l[y]; });
    const int32_t top_n = 5;
    int32_t top[top_n];
    float top_lp[top_n], lp = 0.0f;
    REQUIRE(loom_get_logprobs(c->c, -1, toks[0], &lp, top_n, top, top_lp) == LOOM_OK);
    CHECK(double(lp) == Approx(double((long double)l[toks[0]] - std::log(sum))).epsilon(1e-6));
    for (int32_t k = 0; k < top_n; k++) {
        CHECK(top[k] == order[size_t(k)]);
        CHECK(double(top_lp[k]) == Approx(double((long double)l[order[size_t(k)]] - std::log(sum))).epsilon(1e-6));
    }
    CHECK(loom_get_logprobs(c->c, 0, 0, &lp, 0, nullptr, nullptr) == LOOM_ERR_NOT_FOUND);   // no logits asked
    CHECK(loom_get_logprobs(c->c, -1, nv, &lp, 0, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
}
