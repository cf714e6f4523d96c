// The C ABI of lib/sample: the sampler chain (SECTION sample of include/loom.h).
#include "api/guard.h"
#include "api/handles.h"
#include "api/sampler_handle.h"
#include "context/context.h"
#include "grammar/json_schema.h"
#include "sample/logprobs.h"
#include "sample/sampler.h"
#include "tokenizer/tokenizer.h"

#include <algorithm>


namespace loom {

namespace {

// Adds the stage a make_* function builds to the sampler's chain.
template <typename Make>
loom_status add_stage(loom_sampler *s, Make make) {
    return api_call([&] {
        LOOM_CHECK_ARG(s != nullptr, "sampler is NULL");
        std::unique_ptr<SamplerStage> stage;
        LOOM_TRY(make(&stage));
        return s->chain.add(std::move(stage));
    });
}

// The model's vocabulary as a grammar stage sees it: special tokens have no
// text (only the end-of-generation ones pass, where the grammar may end).
// Made once per model, at its first grammar stage, then shared.
Status grammar_tables(const loom_model *model, std::shared_ptr<const GrammarTables> *out) {
    LOOM_CHECK_ARG(model != nullptr, "model is NULL");
    if (!model->tokenizer) return error(LOOM_ERR_NOT_FOUND, "the model has no vocabulary for a grammar to mask");
    std::lock_guard<std::mutex> lock(model->grammar_mu);
    if (!model->grammar_tables) {
        const Tokenizer &tok = *model->tokenizer;
        GrammarVocab v;
        v.pieces.resize(size_t(tok.n_vocab()));
        for (int32_t id = 0; id < tok.n_vocab(); id++)
            if (!tok.is_special(id)) v.pieces[size_t(id)] = tok.token_text(id);
        int32_t eog[64];
        size_t n = 0;
        if (loom_model_eog_tokens(model, eog, 64, &n) != LOOM_OK)
            return error(LOOM_ERR_INTERNAL, "the model's end-of-generation tokens could not be listed");
        v.eog.assign(eog, eog + n);
        LOOM_TRY(make_grammar_tables(std::move(v), &model->grammar_tables));
    }
    *out = model->grammar_tables;
    return Status::ok();
}

// The logits row of batch entry i and how many of its values are tokens:
// rows past the tokenizer's vocabulary (padding rows of the embedding) are
// no tokens, never sampled nor listed.
loom_status context_row(loom_context *ctx, int32_t i, const float **logits, int32_t *n) {
    loom_status st = loom_get_logits(ctx, i, logits); // sets the last error itself
    if (st != LOOM_OK) return st;
    *n = loom_model_n_vocab(ctx->model);
    if (ctx->model->tokenizer) *n = std::min(*n, ctx->model->tokenizer->n_vocab());
    return LOOM_OK;
}

Status sample_logits(loom_sampler *s, const float *logits, int32_t n_vocab, int32_t *token) {
    LOOM_CHECK_ARG(s && logits && token, "sampler, logits or token is NULL");
    return s->chain.sample(logits, n_vocab, token);
}

} // namespace

} // namespace loom

using namespace loom;

extern "C" {

LOOM_API loom_status loom_sampler_new(loom_sampler **out) {
    return api_call([&] {
        LOOM_CHECK_ARG(out != nullptr, "out is NULL");
        *out = new loom_sampler();
        return Status::ok();
    });
}

LOOM_API void loom_sampler_free(loom_sampler *sampler) { delete sampler; }

LOOM_API loom_status loom_sampler_add_greedy(loom_sampler *s) {
    return add_stage(s, [](std::unique_ptr<SamplerStage> *st) { *st = make_greedy(); return Status::ok(); });
}

LOOM_API loom_status loom_sampler_add_temperature(loom_sampler *s, float t) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) { return make_temperature(t, st); });
}

LOOM_API loom_status loom_sampler_add_top_k(loom_sampler *s, int32_t k) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) { return make_top_k(k, st); });
}

LOOM_API loom_status loom_sampler_add_top_p(loom_sampler *s, float p) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) { return make_top_p(p, st); });
}

LOOM_API loom_status loom_sampler_add_min_p(loom_sampler *s, float p) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) { return make_min_p(p, st); });
}

LOOM_API loom_status loom_sampler_add_typical(loom_sampler *s, float p) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) { return make_typical(p, st); });
}

LOOM_API loom_status loom_sampler_add_penalties(loom_sampler *s, int32_t last_n, float repeat, float frequency,
                                                float presence) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) {
        return make_penalties(last_n, repeat, frequency, presence, st);
    });
}

LOOM_API loom_status loom_sampler_add_logit_bias(loom_sampler *s, const int32_t *tokens, const float *biases,
                                                 size_t n) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) {
        LOOM_CHECK_ARG(n == 0 || (tokens && biases), "tokens or biases is NULL");
        return make_logit_bias(tokens, biases, n, st);
    });
}

LOOM_API loom_status loom_sampler_add_dist(loom_sampler *s, uint64_t seed) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) { *st = make_dist(seed); return Status::ok(); });
}

LOOM_API loom_status loom_sampler_add_grammar(loom_sampler *s, const loom_model *model, const char *gbnf,
                                              const char *root) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) {
        LOOM_CHECK_ARG(gbnf != nullptr, "gbnf is NULL");
        std::shared_ptr<const GrammarTables> tables;
        LOOM_TRY(grammar_tables(model, &tables));
        return make_grammar(gbnf, root ? root : "root", std::move(tables), st);
    });
}

LOOM_API loom_status loom_json_schema_to_grammar(const char *schema, char *buf, size_t capacity, size_t *size) {
    return api_call([&] {
        LOOM_CHECK_ARG(schema != nullptr, "schema is NULL");
        LOOM_CHECK_ARG(size != nullptr, "size out-parameter is NULL");
        std::string gbnf;
        LOOM_TRY(json_schema_to_gbnf(schema, &gbnf));
        return copy_out(gbnf.data(), gbnf.size(), buf, capacity, size);
    });
}

LOOM_API loom_status loom_sampler_add_json_schema(loom_sampler *s, const loom_model *model, const char *schema) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) {
        LOOM_CHECK_ARG(schema != nullptr, "schema is NULL");
        std::string gbnf;
        LOOM_TRY(json_schema_to_gbnf(schema, &gbnf));
        std::shared_ptr<const GrammarTables> tables;
        LOOM_TRY(grammar_tables(model, &tables));
        return make_grammar(gbnf, "root", std::move(tables), st);
    });
}

LOOM_API loom_status loom_sampler_add_mask(loom_sampler *s, loom_token_mask_fn fn, void *user_data) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) {
        LOOM_CHECK_ARG(fn != nullptr, "fn is NULL");
        return make_mask([fn, user_data](uint8_t *allowed, int32_t n) { return fn(user_data, allowed, n); }, st);
    });
}

LOOM_API loom_status loom_sampler_add_allowed_tokens(loom_sampler *s, const int32_t *tokens, size_t n) {
    return add_stage(s, [&](std::unique_ptr<SamplerStage> *st) { return make_allowed_tokens(tokens, n, st); });
}

LOOM_API loom_status loom_logprobs(const float *logits, int32_t n_vocab, int32_t token, float *token_logprob,
                                   int32_t top_n, int32_t *top_tokens, float *top_logprobs) {
    return api_call([&] { return logprobs(logits, n_vocab, token, token_logprob, top_n, top_tokens, top_logprobs); });
}

LOOM_API loom_status loom_get_logprobs(loom_context *ctx, int32_t i, int32_t token, float *token_logprob,
                                       int32_t top_n, int32_t *top_tokens, float *top_logprobs) {
    const float *logits = nullptr;
    int32_t n = 0;
    loom_status st = context_row(ctx, i, &logits, &n);
    if (st != LOOM_OK) return st;
    return api_call([&] { return logprobs(logits, n, token, token_logprob, top_n, top_tokens, top_logprobs); });
}

LOOM_API loom_status loom_sampler_accept(loom_sampler *s, int32_t token) {
    return api_call([&] {
        LOOM_CHECK_ARG(s != nullptr, "sampler is NULL");
        if (token < 0) return error(LOOM_ERR_INVALID_ARGUMENT, "token %d is negative", token);
        return s->chain.accept(token);
    });
}

LOOM_API void loom_sampler_reset(loom_sampler *s) {
    if (s) s->chain.reset();
}

LOOM_API loom_status loom_sampler_sample_logits(loom_sampler *s, const float *logits, int32_t n_vocab,
                                                int32_t *token) {
    return api_call([&] { return sample_logits(s, logits, n_vocab, token); });
}

LOOM_API loom_status loom_sample(loom_sampler *s, loom_context *ctx, int32_t i, int32_t *token) {
    const float *logits = nullptr;
    int32_t n = 0;
    loom_status st = context_row(ctx, i, &logits, &n);
    if (st != LOOM_OK) return st;
    return api_call([&] { return sample_logits(s, logits, n, token); });
}

} // extern "C"
