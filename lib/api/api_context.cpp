// C API: contexts, batches, decoding, KV cache operations and state
// (SECTION context of include/loom.h).
#include "api/guard.h"
#include "api/handles.h"
#include "api/params.h"
#include "context/context.h"
#include "context/memory_plan.h"
#include "platform/platform.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

namespace loom {

namespace {

Status output_row(loom_context *ctx, int32_t i, int32_t *row) {
    LOOM_CHECK_ARG(ctx != nullptr, "ctx is NULL");
    if (i == -1) {
        if (ctx->last_output < 0)
            return error(LOOM_ERR_NOT_FOUND, "no entry of the last decode has outputs (none asked, the decode failed "
                                             "or was cancelled, or nothing was decoded yet)");
        i = ctx->last_output;
    }
    if (i < 0 || size_t(i) >= ctx->entry_row.size())
        return error(LOOM_ERR_INVALID_ARGUMENT, "batch entry %d is not in the last decoded batch (%zu entries)", i,
                     ctx->entry_row.size());
    if (ctx->entry_row[size_t(i)] < 0) return error(LOOM_ERR_NOT_FOUND, "batch entry %d did not ask for outputs", i);
    *row = ctx->entry_row[size_t(i)];
    return Status::ok();
}

Status check_seq(const loom_context *ctx, int32_t seq, bool allow_all) {
    LOOM_CHECK_ARG(ctx != nullptr, "ctx is NULL");
    if ((seq < 0 && !allow_all) || (seq >= 0 && uint32_t(seq) >= ctx->params.n_seq_max))
        return error(LOOM_ERR_INVALID_ARGUMENT, "seq_id %d is not in [0, n_seq_max = %u)", seq, ctx->params.n_seq_max);
    return Status::ok();
}

// Calls that read or change the cache, or the thread count, wait for a
// stepped decode to finish or be cancelled.
Status check_no_stepped_decode(const loom_context *ctx) {
    LOOM_CHECK_ARG(ctx != nullptr, "ctx is NULL");
    if (ctx->pending.active)
        return error(LOOM_ERR_INVALID_ARGUMENT, "a stepped decode (loom_decode_begin) is in progress: finish it with "
                                                "loom_decode_step or drop it with loom_decode_cancel first");
    return Status::ok();
}

Status check_range(int32_t p0, int32_t p1) {
    if (p0 < 0 || (p1 >= 0 && p1 < p0))
        return error(LOOM_ERR_INVALID_ARGUMENT, "position range [%d, %d) is invalid", p0, p1);
    return Status::ok();
}

} // namespace

} // namespace loom

extern "C" {

LOOM_API loom_status loom_context_default_params_sized(loom_context_params *params, size_t size) {
    return loom::api_call([&] {
        loom_context_params d{};
        d.n_batch = 512;
        d.n_seq_max = 1;
        d.kv_type = LOOM_TYPE_F16;
        d.matmul_precision = LOOM_MATMUL_FAST;
        return loom::write_default_params(params, size, d, "context params");
    });
}

LOOM_API loom_status loom_context_new(const loom_model *model, const loom_context_params *params, loom_context **out) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(out != nullptr, "out is NULL");
        loom_context_params p;
        loom_context_default_params(&p);
        LOOM_TRY(loom::read_params(params, &p, "context params"));
        LOOM_CHECK_ARG(model != nullptr, "model is NULL");
        if (!model->model)
            return loom::error(LOOM_ERR_INVALID_ARGUMENT, "the model was loaded vocab-only: it has no weights to run");
        std::unique_ptr<loom_context> ctx;
        LOOM_TRY(loom::context_create(*model->model, *model->gguf.file, p, &ctx));
        ctx->model = model;
        *out = ctx.release();
        return loom::Status::ok();
    });
}

LOOM_API loom_status loom_context_estimate(const loom_model *model, const loom_context_params *params,
                                           loom_memory_plan *plan) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(model != nullptr && plan != nullptr, "model or plan is NULL");
        loom_context_params p;
        loom_context_default_params(&p);
        LOOM_TRY(loom::read_params(params, &p, "context params"));
        if (!model->model)
            return loom::error(LOOM_ERR_INVALID_ARGUMENT, "the model was loaded vocab-only: it has no weights to run");
        LOOM_TRY(loom::resolve_context_params(*model->model, &p));
        loom_memory_plan out;
        LOOM_TRY(loom::plan_context_memory(*model->model, p, p.n_batch, p.n_ctx, p.n_batch, &out));
        return loom::write_memory_plan(out, plan);
    });
}

LOOM_API void loom_context_free(loom_context *ctx) { delete ctx; }

LOOM_API loom_status loom_context_set_n_threads(loom_context *ctx, int32_t n_threads) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr, "ctx is NULL");
        return loom::context_set_n_threads(*ctx, n_threads);
    });
}

LOOM_API uint32_t loom_context_n_ctx(const loom_context *ctx) { return ctx ? ctx->params.n_ctx : 0; }

LOOM_API loom_status loom_batch_new(int32_t capacity, loom_batch **out) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(out != nullptr, "out is NULL");
        LOOM_CHECK_ARG(capacity > 0 && capacity <= (1 << 24), "capacity must be in [1, 2^24]");
        auto b = std::make_unique<loom_batch>();
        b->capacity = capacity;
        b->token.reserve(size_t(capacity));
        b->pos.reserve(size_t(capacity));
        b->seq.reserve(size_t(capacity));
        b->want.reserve(size_t(capacity));
        *out = b.release();
        return loom::Status::ok();
    });
}

LOOM_API void loom_batch_free(loom_batch *batch) { delete batch; }

LOOM_API void loom_batch_clear(loom_batch *batch) {
    if (!batch) return;
    batch->token.clear();
    batch->pos.clear();
    batch->seq.clear();
    batch->want.clear();
}

LOOM_API loom_status loom_batch_add(loom_batch *batch, int32_t token, int32_t pos, int32_t seq_id, int32_t want_logits) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(batch != nullptr, "batch is NULL");
        LOOM_CHECK_ARG(pos >= 0 && seq_id >= 0, "pos and seq_id must not be negative");
        if (batch->size() >= batch->capacity)
            return loom::error(LOOM_ERR_BUFFER_TOO_SMALL, "the batch is full (capacity %d)", batch->capacity);
        batch->token.push_back(token);
        batch->pos.push_back(pos);
        batch->seq.push_back(seq_id);
        batch->want.push_back(want_logits ? 1 : 0);
        return loom::Status::ok();
    });
}

LOOM_API loom_status loom_batch_add_tokens(loom_batch *batch, const int32_t *tokens, int32_t n, int32_t pos0,
                                           int32_t seq_id, int32_t outputs) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(batch != nullptr, "batch is NULL");
        LOOM_CHECK_ARG(n >= 0 && pos0 >= 0 && seq_id >= 0, "n, pos0 and seq_id must not be negative");
        LOOM_CHECK_ARG(tokens != nullptr || n == 0, "tokens is NULL");
        if (outputs < LOOM_BATCH_OUTPUTS_NONE || outputs > LOOM_BATCH_OUTPUTS_ALL)
            return loom::error(LOOM_ERR_INVALID_ARGUMENT, "outputs %d: it is LOOM_BATCH_OUTPUTS_NONE, _LAST or _ALL",
                               outputs);
        if (n > 0 && int64_t(pos0) + n - 1 > INT32_MAX)
            return loom::error(LOOM_ERR_INVALID_ARGUMENT, "positions %d + %d pass INT32_MAX", pos0, n);
        if (n > batch->capacity - batch->size())
            return loom::error(LOOM_ERR_BUFFER_TOO_SMALL, "%d tokens do not fit: the batch has %d of %d entries free", n,
                               batch->capacity - batch->size(), batch->capacity);
        batch->token.insert(batch->token.end(), tokens, tokens + n);
        batch->seq.insert(batch->seq.end(), size_t(n), seq_id);
        for (int32_t k = 0; k < n; k++) {
            batch->pos.push_back(pos0 + k);
            const bool want = outputs == LOOM_BATCH_OUTPUTS_ALL || (outputs == LOOM_BATCH_OUTPUTS_LAST && k == n - 1);
            batch->want.push_back(want ? 1 : 0);
        }
        return loom::Status::ok();
    });
}

LOOM_API int32_t loom_batch_size(const loom_batch *batch) { return batch ? batch->size() : 0; }

LOOM_API loom_status loom_decode(loom_context *ctx, const loom_batch *batch) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr && batch != nullptr, "ctx or batch is NULL");
        return loom::context_decode(*ctx, *batch);
    });
}

LOOM_API loom_status loom_decode_begin(loom_context *ctx, const loom_batch *batch) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr && batch != nullptr, "ctx or batch is NULL");
        return loom::context_decode_begin(*ctx, *batch, true);
    });
}

LOOM_API loom_status loom_decode_step(loom_context *ctx, int64_t budget_us, int32_t *done) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr && done != nullptr, "ctx or done is NULL");
        LOOM_CHECK_ARG(budget_us >= 0, "budget_us must not be negative");
        bool finished = false;
        loom::Status s = loom::context_decode_step(*ctx, budget_us, &finished);
        *done = finished ? 1 : 0;
        return s;
    });
}

LOOM_API void loom_decode_cancel(loom_context *ctx) {
    if (ctx) loom::context_decode_cancel(*ctx);
}

LOOM_API loom_status loom_get_logits(loom_context *ctx, int32_t i, const float **logits) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(logits != nullptr, "logits is NULL");
        int32_t row = 0;
        LOOM_TRY(loom::output_row(ctx, i, &row));
        if (!ctx->wants_logits())
            return loom::error(LOOM_ERR_UNSUPPORTED, "the context computes embeddings only (params.embeddings = "
                                                     "LOOM_EMBEDDINGS_ONLY): it has no logits");
        *logits = ctx->logits.data() + size_t(row) * size_t(ctx->m->hparams().n_vocab);
        return loom::Status::ok();
    });
}

LOOM_API loom_status loom_get_embeddings(loom_context *ctx, int32_t i, const float **embd) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(embd != nullptr, "embd is NULL");
        int32_t row = 0;
        LOOM_TRY(loom::output_row(ctx, i, &row));
        if (!ctx->params.embeddings)
            return loom::error(LOOM_ERR_NOT_FOUND, "the context was created without params.embeddings");
        *embd = ctx->embd.data() + size_t(row) * size_t(ctx->m->hparams().n_embd);
        return loom::Status::ok();
    });
}

LOOM_API loom_status loom_get_embeddings_seq(loom_context *ctx, int32_t seq_id, const float **embd) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(embd != nullptr, "embd is NULL");
        LOOM_TRY(loom::check_seq(ctx, seq_id, false));
        if (ctx->params.pooling_type == LOOM_POOLING_NONE)
            return loom::error(LOOM_ERR_UNSUPPORTED, "the context was created with pooling_type LOOM_POOLING_NONE");
        if (!ctx->pooled_ok[size_t(seq_id)])
            return loom::error(LOOM_ERR_NOT_FOUND, "no entry of sequence %d asked for outputs in the last decode", seq_id);
        *embd = ctx->pooled.data() + size_t(seq_id) * size_t(ctx->m->hparams().n_embd);
        return loom::Status::ok();
    });
}

LOOM_API void loom_kv_clear(loom_context *ctx) {
    if (!ctx) return;
    loom::context_decode_cancel(*ctx);
    ctx->kv.clear();
}

LOOM_API loom_status loom_kv_seq_remove(loom_context *ctx, int32_t seq_id, int32_t p0, int32_t p1) {
    return loom::api_call([&] {
        LOOM_TRY(loom::check_seq(ctx, seq_id, true));
        LOOM_TRY(loom::check_range(p0, p1));
        LOOM_TRY(loom::check_no_stepped_decode(ctx));
        ctx->kv.seq_remove(seq_id, p0, p1);
        return loom::Status::ok();
    });
}

LOOM_API loom_status loom_kv_seq_copy(loom_context *ctx, int32_t src, int32_t dst, int32_t p0, int32_t p1) {
    return loom::api_call([&] {
        LOOM_TRY(loom::check_seq(ctx, src, false));
        LOOM_TRY(loom::check_seq(ctx, dst, false));
        LOOM_TRY(loom::check_range(p0, p1));
        LOOM_TRY(loom::check_no_stepped_decode(ctx));
        ctx->kv.seq_copy(src, dst, p0, p1);
        return loom::Status::ok();
    });
}

LOOM_API loom_status loom_kv_seq_pos_max(const loom_context *ctx, int32_t seq_id, int32_t *pos) {
    return loom::api_call([&] {
        LOOM_TRY(loom::check_seq(ctx, seq_id, false));
        LOOM_CHECK_ARG(pos != nullptr, "pos is NULL");
        *pos = ctx->kv.seq_pos_max(seq_id);
        return loom::Status::ok();
    });
}

LOOM_API loom_status loom_state_save(const loom_context *ctx, void *buf, size_t capacity, size_t *size) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr && size != nullptr, "ctx or size is NULL");
        LOOM_TRY(loom::check_no_stepped_decode(ctx));
        std::vector<uint8_t> state;
        LOOM_TRY(loom::state_write(*ctx, &state));
        return loom::copy_out(state.data(), state.size(), buf, capacity, size);
    });
}

LOOM_API loom_status loom_state_load(loom_context *ctx, const void *buf, size_t size) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr && (buf != nullptr || size == 0), "ctx or buf is NULL");
        LOOM_TRY(loom::check_no_stepped_decode(ctx));
        return loom::state_read(*ctx, static_cast<const uint8_t *>(buf), size);
    });
}

LOOM_API loom_status loom_state_save_file(const loom_context *ctx, const char *path) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr && path != nullptr, "ctx or path is NULL");
        LOOM_TRY(loom::check_no_stepped_decode(ctx));
        std::vector<uint8_t> state;
        LOOM_TRY(loom::state_write(*ctx, &state));
        FILE *f = loom::platform::fopen_utf8(path, "wb");
        if (!f) return loom::error(LOOM_ERR_IO, "cannot create '%s': %s", path, std::strerror(errno));
        size_t n = std::fwrite(state.data(), 1, state.size(), f);
        int closed = std::fclose(f);
        if (n != state.size() || closed != 0) return loom::error(LOOM_ERR_IO, "cannot write '%s': %s", path, std::strerror(errno));
        return loom::Status::ok();
    });
}

LOOM_API loom_status loom_state_load_file(loom_context *ctx, const char *path) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr && path != nullptr, "ctx or path is NULL");
        LOOM_TRY(loom::check_no_stepped_decode(ctx));
        std::vector<uint8_t> data;
        LOOM_TRY(loom::platform::read_whole_file(path, &data));
        return loom::state_read(*ctx, data.data(), data.size());
    });
}

} // extern "C"
