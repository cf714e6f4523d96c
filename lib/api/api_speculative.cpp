// The C ABI of speculative decoding (SECTION speculative of include/loom.h):
// the draft / verify / trim loop over two contexts (or one and prompt
// lookup). The rule that keeps the target's distribution is in
// lib/speculative/acceptance.h, the lookup in lib/speculative/ngram_lookup.h.
//
// Invariant between rounds: `text` is the prompt and every emitted token;
// the target's cache holds positions [0, text.size() - 1) of sequence 0 (the
// last token is decoded by the next round, first in its verify batch), the
// draft's holds [0, draft_cached) with draft_cached <= text.size() - 1.
#include "api/guard.h"
#include "api/handles.h"
#include "api/params.h"
#include "api/sampler_handle.h"
#include "context/context.h"
#include "sample/rng.h"
#include "speculative/acceptance.h"
#include "speculative/ngram_lookup.h"
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <memory>
#include <vector>

struct loom_speculative {
    loom_context *target = nullptr;
    loom_context *draft = nullptr;          // NULL: prompt lookup
    loom_speculative_params params{};
    int32_t n_tokens = 0;                   // logits entries that are tokens (both models)
    std::vector<int32_t> text;
    int32_t draft_cached = 0;
    bool started = false;
    loom::Xoshiro256 rng{0};
    std::unique_ptr<loom_batch> batch = std::make_unique<loom_batch>();
    // Scratch of one round: the proposal, the draft's q per proposed token
    // (draft model with a drawing chain only), the target's p, the residual.
    std::vector<int32_t> proposal;
    std::vector<std::vector<float>> q;
    std::vector<float> p;
    std::vector<double> residual;
    int64_t rounds = 0, drafted = 0, accepted = 0;
};

namespace loom {

namespace {

constexpr int32_t kMaxDraft = 256, kMaxNgram = 64;

loom_speculative_params default_speculative_params() {
    loom_speculative_params p{};
    p.struct_size = sizeof p;
    p.draft_max = 8;
    p.ngram_min = 2;
    p.ngram_max = 4;
    p.draft_p_min = 0.0f;
    p.seed = 0;
    return p;
}

Status check_speculative_params(const loom_speculative_params &p) {
    if (p.draft_max < 1 || p.draft_max > kMaxDraft)
        return error(LOOM_ERR_INVALID_ARGUMENT, "params.draft_max = %d must be in [1, %d]", p.draft_max, kMaxDraft);
    if (p.ngram_min < 1) return error(LOOM_ERR_INVALID_ARGUMENT, "params.ngram_min = %d must be >= 1", p.ngram_min);
    if (p.ngram_max < p.ngram_min || p.ngram_max > kMaxNgram)
        return error(LOOM_ERR_INVALID_ARGUMENT, "params.ngram_max = %d must be in [ngram_min = %d, %d]", p.ngram_max,
                     p.ngram_min, kMaxNgram);
    if (!(p.draft_p_min >= 0.0f && p.draft_p_min <= 1.0f))
        return error(LOOM_ERR_INVALID_ARGUMENT, "params.draft_p_min = %g must be in [0, 1]", double(p.draft_p_min));
    return Status::ok();
}

// A C call's failure as a Status (its message is the thread's last error).
Status c_status(loom_status st) {
    return st == LOOM_OK ? Status::ok() : Status(st, loom_last_error());
}

// Logits entries that are tokens: rows past the tokenizer (padding) are not.
int32_t token_rows(const loom_context *ctx) {
    int32_t n = loom_model_n_vocab(ctx->model);
    if (ctx->model->tokenizer) n = std::min(n, ctx->model->tokenizer->n_vocab());
    return n;
}

// The draft may propose for the target only if each id means the same token.
Status check_same_vocab(const loom_context *target, const loom_context *draft) {
    const Tokenizer *a = target->model->tokenizer.get(), *b = draft->model->tokenizer.get();
    if ((a == nullptr) != (b == nullptr))
        return error(LOOM_ERR_TYPE_MISMATCH, "the %s model has a tokenizer and the %s model has none",
                     a ? "target" : "draft", a ? "draft" : "target");
    const int32_t nt = token_rows(target), nd = token_rows(draft);
    if (nt != nd)
        return error(LOOM_ERR_TYPE_MISMATCH, "the target has %d tokens and the draft %d: not the same vocabulary", nt,
                     nd);
    if (!a) return Status::ok();
    for (int32_t id = 0; id < nt; ++id)
        if (a->token_text(id) != b->token_text(id) || a->is_special(id) != b->is_special(id))
            return error(LOOM_ERR_TYPE_MISMATCH, "token %d differs between the target and the draft vocabularies", id);
    return Status::ok();
}

void batch_add(loom_batch *b, int32_t token, int32_t pos, bool logits) {
    b->token.push_back(token);
    b->pos.push_back(pos);
    b->seq.push_back(0);
    b->want.push_back(logits ? 1 : 0);
}

void batch_reset(loom_batch *b, int32_t capacity) {
    b->capacity = capacity;
    b->token.clear();
    b->pos.clear();
    b->seq.clear();
    b->want.clear();
}

// Decodes text[p0, p1) at positions p0.. of sequence 0, in pieces of the
// context's n_batch, with logits for the last token when `last_logits`.
Status decode_range(loom_context *ctx, loom_batch *b, const std::vector<int32_t> &text, int32_t p0, int32_t p1,
                    bool last_logits) {
    const int32_t step = int32_t(ctx->params.n_batch);
    for (int32_t from = p0; from < p1; from += step) {
        const int32_t to = std::min(p1, from + step);
        batch_reset(b, step);
        for (int32_t pos = from; pos < to; ++pos) batch_add(b, text[size_t(pos)], pos, last_logits && pos == p1 - 1);
        LOOM_TRY(c_status(loom_decode(ctx, b)));
    }
    return Status::ok();
}

// The chain's distribution over `logits` as a dense vector of n entries.
Status dense_distribution(SamplerChain &chain, const float *logits, int32_t n, std::vector<float> *out) {
    LOOM_TRY(chain.distribution(logits, n));
    out->assign(size_t(n), 0.0f);
    for (const Candidate &c : chain.candidates().items()) (*out)[size_t(c.id)] = c.p;
    return Status::ok();
}

// The draft's next token from its logits `row`: a greedy chain's pick (no
// softmax needed unless draft_p_min asks for the top probability), or a draw
// from the chain's distribution q, kept in s->q for the acceptance rule.
// False ends the proposal: the top probability is under draft_p_min, or a
// chain stage fails on the draft's logits.
bool draft_token(loom_speculative *s, SamplerChain &chain, const float *row, int32_t *token) {
    if (!chain.draws() && s->params.draft_p_min == 0.0f) return chain.sample(row, s->n_tokens, token).is_ok();
    std::vector<float> q;
    if (!dense_distribution(chain, row, s->n_tokens, &q).is_ok()) return false;
    const Candidates &cand = chain.candidates();
    const Candidate &top = cand.items()[cand.argmax()];
    if (top.p < s->params.draft_p_min) return false;
    if (!chain.draws()) {
        *token = top.id;
        return true;
    }
    *token = draw_dense(q, &s->rng);
    s->q.push_back(std::move(q));
    return true;
}

// The draft model's proposal of up to k tokens after `text` (its cache
// catches up first). q rows are kept when the chain draws. A chain stage
// that fails on the draft's logits (a grammar the draft left) ends the
// proposal: it only costs speed.
Status propose_with_model(loom_speculative *s, SamplerChain &chain, int32_t k) {
    const int32_t n = int32_t(s->text.size());
    LOOM_TRY(decode_range(s->draft, s->batch.get(), s->text, s->draft_cached, n, true));
    s->draft_cached = n;
    for (int32_t j = 0; j < k; ++j) {
        const float *row = nullptr;
        LOOM_TRY(c_status(loom_get_logits(s->draft, -1, &row)));
        int32_t token = -1;
        if (!draft_token(s, chain, row, &token)) break;
        s->proposal.push_back(token);
        if (j + 1 == k || loom_token_is_eog(s->target->model, token)) break;
        batch_reset(s->batch.get(), 1);
        batch_add(s->batch.get(), token, n + j, true);
        LOOM_TRY(c_status(loom_decode(s->draft, s->batch.get())));
        s->draft_cached = n + j + 1;
    }
    return Status::ok();
}

// Proposed tokens this round may take: bounded by the params, the caller's
// capacity (k + 1 tokens may come out), the caches' room and n_batch.
int32_t draft_budget(const loom_speculative *s, int32_t capacity) {
    const int32_t n = int32_t(s->text.size());
    int32_t k = std::min(s->params.draft_max, capacity - 1);
    k = std::min(k, int32_t(loom_context_n_ctx(s->target)) - n);
    k = std::min(k, int32_t(s->target->params.n_batch) - 1);
    if (s->draft) k = std::min(k, int32_t(loom_context_n_ctx(s->draft)) - n + 1);
    return std::max(k, 0);
}

// Appends an emitted token to the text, the sampler and the output.
Status emit(loom_speculative *s, SamplerChain &chain, int32_t token, int32_t *out, int32_t *n_out) {
    LOOM_TRY(chain.accept(token));
    s->text.push_back(token);
    out[(*n_out)++] = token;
    return Status::ok();
}

// Row i of the verify batch gives the target's token for position n - 1 + i
// + 1; proposal[i] is kept when that token is it (or, with a drawing chain
// and a draft model, by the acceptance rule). Stops at the first token that
// is not a kept proposal, or at an end of generation.
Status verify(loom_speculative *s, SamplerChain &chain, int32_t *out, int32_t *n_out) {
    const size_t m = s->proposal.size();
    const bool rule = s->draft && chain.draws();
    for (size_t i = 0; i <= m; ++i) {
        const float *row = nullptr;
        LOOM_TRY(c_status(loom_get_logits(s->target, int32_t(i), &row)));
        int32_t token = -1;
        bool kept = false;
        if (rule) {
            LOOM_TRY(dense_distribution(chain, row, s->n_tokens, &s->p));
            if (i < m) {
                DraftVerdict v = accept_draft_token(s->p, s->q[i], s->proposal[i], &s->rng, &s->residual);
                token = v.token;
                kept = v.accepted;
            } else {
                token = draw_dense(s->p, &s->rng);
            }
        } else {
            LOOM_TRY(chain.sample(row, s->n_tokens, &token));
            kept = i < m && token == s->proposal[i];
        }
        LOOM_TRY(emit(s, chain, token, out, n_out));
        if (kept) s->accepted++;
        if (!kept || loom_token_is_eog(s->target->model, token)) break;
    }
    return Status::ok();
}

// Drops the cells past what the text now holds: the target keeps [0, size - 1),
// the draft at most as much.
Status trim_caches(loom_speculative *s) {
    const int32_t keep = int32_t(s->text.size()) - 1;
    LOOM_TRY(c_status(loom_kv_seq_remove(s->target, 0, keep, -1)));
    if (s->draft && s->draft_cached > keep) {
        LOOM_TRY(c_status(loom_kv_seq_remove(s->draft, 0, keep, -1)));
        s->draft_cached = keep;
    }
    return Status::ok();
}

Status speculative_round(loom_speculative *s, SamplerChain &chain, int32_t capacity, int32_t *out, int32_t *n_out) {
    const int32_t n = int32_t(s->text.size());
    if (n > int32_t(loom_context_n_ctx(s->target)))
        return error(LOOM_ERR_CONTEXT_FULL, "the text has %d tokens and the target's cache holds %u: no room for another",
                     n, loom_context_n_ctx(s->target));
    const int32_t k = draft_budget(s, capacity);
    s->proposal.clear();
    s->q.clear();
    if (k > 0 && s->draft) {
        Status st = propose_with_model(s, chain, k);
        if (!st.is_ok()) {
            (void)trim_caches(s);
            return st;
        }
    } else if (k > 0) {
        s->proposal = lookup_draft(s->text, s->params.ngram_min, s->params.ngram_max, k);
    }
    batch_reset(s->batch.get(), k + 1);
    batch_add(s->batch.get(), s->text.back(), n - 1, true);
    for (size_t i = 0; i < s->proposal.size(); ++i) batch_add(s->batch.get(), s->proposal[i], n + int32_t(i), true);
    Status st = c_status(loom_decode(s->target, s->batch.get()));
    if (st.is_ok()) {
        s->rounds++;
        s->drafted += int64_t(s->proposal.size());
        st = verify(s, chain, out, n_out);
    }
    Status trimmed = trim_caches(s);
    return st.is_ok() ? trimmed : st;
}

Status speculative_prompt(loom_speculative *s, const int32_t *tokens, int32_t n) {
    LOOM_CHECK_ARG(s != nullptr, "spec is NULL");
    LOOM_CHECK_ARG(tokens != nullptr && n >= 1, "the prompt needs at least one token (tokens NULL or n < 1)");
    s->started = false;
    for (int32_t i = 0; i < n; ++i)
        if (tokens[i] < 0 || tokens[i] >= s->n_tokens)
            return error(LOOM_ERR_INVALID_ARGUMENT, "prompt token %d is %d, outside the vocabulary [0, %d)", i,
                         tokens[i], s->n_tokens);
    if (n > int32_t(loom_context_n_ctx(s->target)))
        return error(LOOM_ERR_CONTEXT_FULL, "the prompt has %d tokens and the target's cache holds %u", n,
                     loom_context_n_ctx(s->target));
    LOOM_TRY(c_status(loom_kv_seq_remove(s->target, 0, 0, -1)));
    if (s->draft) LOOM_TRY(c_status(loom_kv_seq_remove(s->draft, 0, 0, -1)));
    s->text.assign(tokens, tokens + n);
    s->draft_cached = 0;
    s->rounds = s->drafted = s->accepted = 0;
    s->rng.reseed(s->params.seed);
    LOOM_TRY(decode_range(s->target, s->batch.get(), s->text, 0, n - 1, false));
    s->started = true;
    return Status::ok();
}

} // namespace

} // namespace loom

using namespace loom;

extern "C" {

LOOM_API loom_status loom_speculative_default_params_sized(loom_speculative_params *params, size_t size) {
    return api_call([&] {
        return write_default_params(params, size, default_speculative_params(), "loom_speculative_params");
    });
}

LOOM_API loom_status loom_speculative_new(loom_context *target, loom_context *draft,
                                          const loom_speculative_params *params, loom_speculative **out) {
    return api_call([&] {
        LOOM_CHECK_ARG(out != nullptr, "out is NULL");
        *out = nullptr;
        LOOM_CHECK_ARG(target != nullptr, "target is NULL");
        LOOM_CHECK_ARG(draft != target, "the draft context is the target context: give the draft model its own");
        auto s = std::make_unique<loom_speculative>();
        s->params = default_speculative_params();
        LOOM_TRY(read_params(params, &s->params, "loom_speculative_params"));
        LOOM_TRY(check_speculative_params(s->params));
        for (const loom_context *c : {static_cast<const loom_context *>(target), static_cast<const loom_context *>(draft)})
            if (c && !c->wants_logits())
                return error(LOOM_ERR_UNSUPPORTED, "the %s context computes embeddings only: it has no logits",
                             c == target ? "target" : "draft");
        if (draft) LOOM_TRY(check_same_vocab(target, draft));
        s->target = target;
        s->draft = draft;
        s->n_tokens = token_rows(target);
        *out = s.release();
        return Status::ok();
    });
}

LOOM_API void loom_speculative_free(loom_speculative *spec) { delete spec; }

LOOM_API loom_status loom_speculative_prompt(loom_speculative *spec, const int32_t *tokens, int32_t n) {
    return api_call([&] { return speculative_prompt(spec, tokens, n); });
}

LOOM_API loom_status loom_speculative_next(loom_speculative *spec, loom_sampler *sampler, int32_t *tokens,
                                           int32_t capacity, int32_t *n) {
    return api_call([&] {
        LOOM_CHECK_ARG(spec && sampler && tokens && n, "spec, sampler, tokens or n is NULL");
        *n = 0;
        LOOM_CHECK_ARG(capacity >= 1, "capacity must be >= 1");
        LOOM_CHECK_ARG(spec->started, "no text: call loom_speculative_prompt first (or again after it failed)");
        return speculative_round(spec, sampler->chain, capacity, tokens, n);
    });
}

LOOM_API loom_status loom_speculative_stats(const loom_speculative *spec, int64_t *rounds, int64_t *drafted,
                                            int64_t *accepted) {
    return api_call([&] {
        LOOM_CHECK_ARG(spec != nullptr, "spec is NULL");
        if (rounds) *rounds = spec->rounds;
        if (drafted) *drafted = spec->drafted;
        if (accepted) *accepted = spec->accepted;
        return Status::ok();
    });
}

} // extern "C"
