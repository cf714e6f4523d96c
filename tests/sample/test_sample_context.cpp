// loom_sample on a real context (a synthetic tiny Qwen2 model, so this runs
// in the parity suite): it must pick exactly what the context-free
// loom_sampler_sample_logits picks from loom_get_logits' row.
#include "loom.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

loom_sampler *make_chain(uint64_t seed) {
    loom_sampler *s = nullptr;
    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    REQUIRE(loom_sampler_add_penalties(s, 8, 1.2f, 0.0f, 0.0f) == LOOM_OK);
    REQUIRE(loom_sampler_add_top_k(s, 30) == LOOM_OK);
    REQUIRE(loom_sampler_add_temperature(s, 1.3f) == LOOM_OK);
    REQUIRE(loom_sampler_add_dist(s, seed) == LOOM_OK);
    return s;
}

} // namespace

TEST_CASE("loom_sample_equals_sampling_the_context_logits", "[sample][parity]") {
    REQUIRE_REF_OR_SKIP();
    std::string path = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!path.empty());
    loom_model *model = nullptr;
    REQUIRE(loom_model_load(path.c_str(), nullptr, &model) == LOOM_OK);
    loom_context *ctx = nullptr;
    REQUIRE(loom_context_new(model, nullptr, &ctx) == LOOM_OK);
    loom_batch *batch = nullptr;
    REQUIRE(loom_batch_new(8, &batch) == LOOM_OK);
    const int32_t prompt[] = {151644, 872, 198, 9707, 0};
    for (int32_t i = 0; i < 5; ++i) REQUIRE(loom_batch_add(batch, prompt[i], i, 0, i >= 3) == LOOM_OK);
    REQUIRE(loom_decode(ctx, batch) == LOOM_OK);

    loom_sampler *a = make_chain(77), *b = make_chain(77);
    const int32_t n_vocab = loom_model_n_vocab(model);
    int32_t pos = 5;
    for (int step = 0; step < 12; ++step) {
        int32_t entry = step == 0 ? 3 : -1; // an earlier entry once, then "the last with logits"
        int32_t via_ctx = -1, via_logits = -2;
        REQUIRE(loom_sample(a, ctx, entry, &via_ctx) == LOOM_OK);
        const float *logits = nullptr;
        REQUIRE(loom_get_logits(ctx, entry, &logits) == LOOM_OK);
        REQUIRE(loom_sampler_sample_logits(b, logits, n_vocab, &via_logits) == LOOM_OK);
        CHECK(via_ctx == via_logits);
        REQUIRE((via_ctx >= 0 && via_ctx < n_vocab));
        REQUIRE(loom_sampler_accept(a, via_ctx) == LOOM_OK);
        REQUIRE(loom_sampler_accept(b, via_logits) == LOOM_OK);
        loom_batch_clear(batch);
        REQUIRE(loom_batch_add(batch, via_ctx, pos++, 0, 1) == LOOM_OK);
        REQUIRE(loom_decode(ctx, batch) == LOOM_OK);
    }
    int32_t tok = -1;
    loom_batch_clear(batch);
    REQUIRE(loom_batch_add(batch, 1, pos, 0, 0) == LOOM_OK);
    REQUIRE(loom_batch_add(batch, 2, pos + 1, 0, 1) == LOOM_OK);
    REQUIRE(loom_decode(ctx, batch) == LOOM_OK);
    CHECK(loom_sample(a, ctx, 0, &tok) == LOOM_ERR_NOT_FOUND); // entry 0 did not ask for logits
    loom_sampler_free(a);
    loom_sampler_free(b);
    loom_batch_free(batch);
    loom_context_free(ctx);
    loom_model_free(model);
}
