// Context creation and loom_decode: place a batch's tokens in free KV cells,
// find the range of cells each token attends to and the mask within it from
// the (position, sequence) tags, run the model's graph on the backend, keep
// the requested outputs. On any error the cell
// tags are rolled back, so the cache is as before the call.
#include "context/context.h"

#include "context/memory_plan.h"
#include "quant/quant.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace loom {

namespace {

// The embeddings, pooling and normalisation fields.
Status check_output_params(const loom_context_params &p) {
    if (p.embeddings < LOOM_EMBEDDINGS_NONE || p.embeddings > LOOM_EMBEDDINGS_ONLY)
        return error(LOOM_ERR_INVALID_ARGUMENT, "embeddings %d: it is 0 (none), 1 (with logits) or 2 (embeddings only)",
                     p.embeddings);
    if (p.pooling_type < LOOM_POOLING_NONE || p.pooling_type > LOOM_POOLING_LAST)
        return error(LOOM_ERR_INVALID_ARGUMENT, "pooling_type %d: it is LOOM_POOLING_NONE, _MEAN or _LAST", p.pooling_type);
    if (p.pooling_type != LOOM_POOLING_NONE && p.embeddings == LOOM_EMBEDDINGS_NONE)
        return error(LOOM_ERR_INVALID_ARGUMENT, "pooling_type %d needs embeddings (1 or 2)", p.pooling_type);
    if (p.embd_normalize != 0 && p.embd_normalize != 1)
        return error(LOOM_ERR_INVALID_ARGUMENT, "embd_normalize %d: it is 0 or 1", p.embd_normalize);
    return Status::ok();
}

} // namespace

Status resolve_context_params(const Model &m, loom_context_params *p) {
    const HParams &h = m.hparams();
    if (p->n_ctx == 0) p->n_ctx = h.n_ctx_train > 0 ? std::min<uint32_t>(4096, uint32_t(h.n_ctx_train)) : 4096;
    if (p->n_batch == 0) p->n_batch = 512;
    p->n_batch = std::min(p->n_batch, p->n_ctx);
    if (p->n_seq_max == 0) p->n_seq_max = 1;
    if (p->n_threads <= 0) {
        unsigned hw = std::thread::hardware_concurrency();
        p->n_threads = static_cast<int32_t>(std::min(8u, hw ? hw : 1u));
    }
    if (p->n_ctx > (1u << 24)) return error(LOOM_ERR_INVALID_ARGUMENT, "n_ctx %u is too large", p->n_ctx);
    if (p->n_seq_max > uint32_t(kMaxSeq))
        return error(LOOM_ERR_INVALID_ARGUMENT, "n_seq_max %u exceeds %d", p->n_seq_max, kMaxSeq);
    if (p->n_threads > 256) return error(LOOM_ERR_INVALID_ARGUMENT, "n_threads %d exceeds 256", p->n_threads);
    if (p->kv_type != LOOM_TYPE_F16 && p->kv_type != LOOM_TYPE_F32 && p->kv_type != LOOM_TYPE_Q8_0)
        return error(LOOM_ERR_INVALID_ARGUMENT, "kv_type %d: the KV cache is F16, F32 or Q8_0", p->kv_type);
    if (p->matmul_precision != LOOM_MATMUL_EXACT && p->matmul_precision != LOOM_MATMUL_FAST)
        return error(LOOM_ERR_INVALID_ARGUMENT, "matmul_precision %d: it is LOOM_MATMUL_EXACT or LOOM_MATMUL_FAST",
                     p->matmul_precision);
    LOOM_TRY(check_output_params(*p));
    if (p->kv_type == LOOM_TYPE_Q8_0 && h.kv_dim() % 32 != 0)
        return error(LOOM_ERR_UNSUPPORTED, "a Q8_0 KV cache needs the KV width (%d) to be a multiple of 32", h.kv_dim());
    return Status::ok();
}

namespace {

// Grows the mask and logits buffers for a decode of n_tokens whose ranges
// are at most `width` cells with n_out outputs, checking the memory first.
// The mask width doubles so a growing conversation reallocates it
// O(log n_ctx) times.
Status reserve_decode_buffers(loom_context &ctx, int64_t n_tokens, int64_t width, int64_t n_out) {
    ForwardBuffers &fb = ctx.buf;
    const int64_t rows = std::max(fb.mask_rows, n_tokens);
    int64_t cols = fb.mask_cols;
    if (width > cols) cols = std::min<int64_t>(fb.n_ctx, std::max(width, 2 * cols));
    const int64_t logit_rows = ctx.wants_logits() ? std::max(fb.n_logits_rows, n_out) : fb.n_logits_rows;
    if (rows != fb.mask_rows || cols != fb.mask_cols || logit_rows != fb.n_logits_rows) {
        loom_memory_plan need;
        LOOM_TRY(plan_context_memory(*ctx.m, ctx.params, rows, cols, logit_rows, &need));
        LOOM_TRY(check_memory_plan(need, 0, "the context"));
    }
    LOOM_TRY(ctx.m->reserve_mask(*ctx.session, fb, rows, cols));
    return ctx.m->reserve_logits(*ctx.session, fb, logit_rows);
}

Status check_batch(const loom_context &ctx, const loom_batch &b) {
    const int32_t n = b.size();
    if (n == 0) return error(LOOM_ERR_INVALID_ARGUMENT, "the batch is empty");
    if (uint32_t(n) > ctx.params.n_batch)
        return error(LOOM_ERR_INVALID_ARGUMENT, "the batch has %d entries; the context's n_batch is %u", n, ctx.params.n_batch);
    const int32_t n_vocab = ctx.m->hparams().n_vocab;
    for (int32_t i = 0; i < n; i++) {
        if (b.token[size_t(i)] < 0 || b.token[size_t(i)] >= n_vocab)
            return error(LOOM_ERR_INVALID_ARGUMENT, "batch entry %d: token %d is outside the vocabulary (%d)", i,
                         b.token[size_t(i)], n_vocab);
        if (b.seq[size_t(i)] < 0 || uint32_t(b.seq[size_t(i)]) >= ctx.params.n_seq_max)
            return error(LOOM_ERR_INVALID_ARGUMENT, "batch entry %d: seq_id %d is not below n_seq_max %u", i,
                         b.seq[size_t(i)], ctx.params.n_seq_max);
    }
    return Status::ok();
}

// Per batch entry the range of cells it attends to ([lo, hi), flat
// [n][2]); returns the widest. The batch's cells are tagged already.
int64_t visible_ranges(const KvCache &kv, const loom_batch &b, std::vector<int32_t> *ranges) {
    std::vector<int32_t> seqs;
    for (int32_t s : b.seq)
        if (std::find(seqs.begin(), seqs.end(), s) == seqs.end()) seqs.push_back(s);
    std::vector<CellRange> spans;
    kv.spans(seqs, &spans);
    ranges->resize(2 * size_t(b.size()));
    int64_t width = 0;
    for (size_t i = 0; i < size_t(b.size()); i++) {
        const size_t k = size_t(std::find(seqs.begin(), seqs.end(), b.seq[i]) - seqs.begin());
        const CellRange r = kv.visible_range(b.seq[i], b.pos[i], spans[k]);
        (*ranges)[2 * i] = r.lo;
        (*ranges)[2 * i + 1] = r.hi;
        width = std::max<int64_t>(width, r.width());
    }
    return width;
}

// Row i of the mask covers entry i's range: cell lo + j visible iff it
// belongs to the entry's sequence at a position not after the entry's.
void build_mask_row(const KvCache &kv, int seq, int32_t pos, CellRange r, float *row) {
    for (int32_t c = r.lo; c < r.hi; c++) row[c - r.lo] = kv.visible(c, seq, pos) ? 0.0f : -INFINITY;
}

Status upload_inputs(loom_context &ctx, const loom_batch &b, const std::vector<int32_t> &cells,
                     const std::vector<int32_t> &out_ids, const std::vector<int32_t> &ranges) {
    Session &s = *ctx.session;
    ForwardBuffers &fb = ctx.buf;
    const size_t n = size_t(b.size());
    LOOM_TRY(s.upload(fb.tokens, 0, b.token.data(), n * 4));
    LOOM_TRY(s.upload(fb.pos, 0, b.pos.data(), n * 4));
    LOOM_TRY(s.upload(fb.cells, 0, cells.data(), n * 4));
    LOOM_TRY(s.upload(fb.out_ids, 0, out_ids.data(), out_ids.size() * 4));
    LOOM_TRY(s.upload(fb.ranges, 0, ranges.data(), ranges.size() * 4));
    HostVector<float> row;
    for (size_t i = 0; i < n; i++) {
        const CellRange r{ranges[2 * i], ranges[2 * i + 1]};
        row.resize(size_t(r.width()));
        build_mask_row(ctx.kv, b.seq[i], b.pos[i], r, row.data());
        LOOM_TRY(s.upload(fb.mask, i * fb.mask->row_bytes, row.data(), row.size() * sizeof(float)));
    }
    return Status::ok();
}

Status read_outputs(loom_context &ctx, int64_t n_out) {
    const HParams &h = ctx.m->hparams();
    ctx.logits.resize(ctx.wants_logits() ? size_t(n_out) * size_t(h.n_vocab) : 0);
    if (ctx.wants_logits())
        LOOM_TRY(ctx.session->download(ctx.buf.logits, 0, ctx.logits.data(), ctx.logits.size() * sizeof(float)));
    if (ctx.params.embeddings) {
        ctx.embd.resize(size_t(n_out) * size_t(h.n_embd));
        LOOM_TRY(ctx.session->download(ctx.buf.hidden, 0, ctx.embd.data(), ctx.embd.size() * sizeof(float)));
    }
    return Status::ok();
}

// Uploads the batch's inputs and records its graph (to run in steps or at once).
Status record_graph(loom_context &ctx, const loom_batch &b, bool stepped) {
    const PendingDecode &pd = ctx.pending;
    ForwardShape shape;
    shape.n_tokens = b.size();
    shape.n_out = int64_t(pd.out_ids.size());
    std::vector<int32_t> ranges;
    shape.kv_width = visible_ranges(ctx.kv, b, &ranges);
    shape.logits = ctx.wants_logits();
    LOOM_TRY(reserve_decode_buffers(ctx, shape.n_tokens, shape.kv_width, std::max<int64_t>(1, shape.n_out)));
    LOOM_TRY(upload_inputs(ctx, b, pd.cells, pd.out_ids, ranges));
    // A stepped graph's pieces are paced by their times in the last graph of the same shape.
    LOOM_TRY(stepped ? ctx.session->begin_stepped_graph(shape.n_tokens << 24 | shape.n_out) : ctx.session->begin_graph());
    return ctx.m->record_forward(*ctx.session, ctx.buf, shape);
}

AbortFn abort_fn(const loom_context &ctx) {
    if (!ctx.params.abort_callback) return nullptr;
    loom_abort_fn fn = ctx.params.abort_callback;
    void *ud = ctx.params.abort_user_data;
    return [fn, ud] { return fn(ud) != 0; };
}

// Runs f (a Status); on an error or an exception the pending decode is cancelled.
template <class F>
Status or_cancel(loom_context &ctx, const F &f) {
    Status s;
    try {
        s = f();
    } catch (...) {   // out of memory: the API guard reports it; the cache stays as it was
        context_decode_cancel(ctx);
        throw;
    }
    if (!s) context_decode_cancel(ctx);
    return s;
}

Status finish_decode(loom_context &ctx) {
    PendingDecode &pd = ctx.pending;
    LOOM_TRY(read_outputs(ctx, int64_t(pd.out_ids.size())));
    for (size_t r = 0; r < pd.out_ids.size(); r++) ctx.entry_row[size_t(pd.out_ids[r])] = int32_t(r);
    if (!pd.out_ids.empty()) ctx.last_output = pd.out_ids.back();
    if (!ctx.buf.taps.empty()) ctx.imatrix_rows += int64_t(pd.seqs.size());
    pool_outputs(ctx, pd.seqs, pd.out_ids);
    pd.active = false;
    return Status::ok();
}

} // namespace

Status context_create(const Model &m, const GgufFile &gguf, const loom_context_params &params,
                      std::unique_ptr<loom_context> *out) {
    auto ctx = std::make_unique<loom_context>();
    ctx->m = &m;
    ctx->gguf = &gguf;
    ctx->params = params;
    LOOM_TRY(resolve_context_params(*ctx->m, &ctx->params));
    const HParams &h = m.hparams();
    loom_memory_plan need;
    LOOM_TRY(plan_context_memory(m, ctx->params, 1, std::min<int64_t>(ctx->params.n_ctx, kMaskMinCols), 1, &need));
    LOOM_TRY(check_memory_plan(need, 0, "the context"));
    if (ctx->params.memory_budget) {   // the worst case must fit, so no decode exceeds the budget
        LOOM_TRY(plan_context_memory(m, ctx->params, ctx->params.n_batch, ctx->params.n_ctx, ctx->params.n_batch, &need));
        LOOM_TRY(check_memory_plan(need, ctx->params.memory_budget, "the context"));
    }
    SessionParams sp;
    sp.n_threads = ctx->params.n_threads;
    sp.host_jobs.parallel_for = ctx->params.parallel_for;
    sp.host_jobs.user_data = ctx->params.parallel_for_user_data;
    sp.fast_matmul = ctx->params.matmul_precision == LOOM_MATMUL_FAST;
    sp.max_rows = ctx->params.n_batch;
    sp.attn_group = h.n_head_kv > 0 ? h.n_head / h.n_head_kv : 0;
    sp.head_dim = h.head_dim;
    LOOM_TRY(ctx->m->backend().new_session(sp, &ctx->session));
    LOOM_TRY(ctx->m->alloc_buffers(*ctx->session, ctx->params.n_ctx, ctx->params.n_batch,
                                   static_cast<loom_type>(ctx->params.kv_type), &ctx->buf));
    ctx->kv = KvCache(ctx->params.n_ctx, int(ctx->params.n_seq_max));
    pooling_init(*ctx);
    *out = std::move(ctx);
    return Status::ok();
}

Status context_decode(loom_context &ctx, const loom_batch &b) {
    LOOM_TRY(context_decode_begin(ctx, b, false));
    bool done = false;
    return context_decode_step(ctx, -1, &done);
}

Status context_decode_begin(loom_context &ctx, const loom_batch &b, bool stepped) {
    if (ctx.pending.active)
        return error(LOOM_ERR_INVALID_ARGUMENT, "a stepped decode (loom_decode_begin) is in progress: finish it with "
                                                "loom_decode_step or drop it with loom_decode_cancel");
    LOOM_TRY(check_batch(ctx, b));
    PendingDecode &pd = ctx.pending;
    LOOM_TRY(ctx.kv.find_free(b.seq, &pd.cells));
    pd.out_ids.clear();
    for (int32_t i = 0; i < b.size(); i++)
        if (b.want[size_t(i)]) pd.out_ids.push_back(i);
    pd.seqs = b.seq;
    ctx.entry_row.assign(size_t(b.size()), -1);   // (allocates: before the cells are tagged)
    ctx.last_output = -1;
    pooling_clear(ctx);
    // Tag the cells now (the mask needs them); untag if anything fails or throws.
    for (int32_t i = 0; i < b.size(); i++) {
        KvCell &c = ctx.kv.cell(pd.cells[size_t(i)]);
        c.pos = b.pos[size_t(i)];
        c.seqs.set(size_t(b.seq[size_t(i)]));
    }
    pd.active = true;
    return or_cancel(ctx, [&] { return record_graph(ctx, b, stepped); });
}

Status context_decode_step(loom_context &ctx, int64_t budget_us, bool *done) {
    *done = false;
    if (!ctx.pending.active)
        return error(LOOM_ERR_INVALID_ARGUMENT, "no stepped decode is in progress (call loom_decode_begin first)");
    return or_cancel(ctx, [&]() -> Status {
        if (budget_us < 0) {
            LOOM_TRY(ctx.session->compute(abort_fn(ctx)));
            *done = true;
        } else {
            LOOM_TRY(ctx.session->compute_step(abort_fn(ctx), budget_us, done));
        }
        return *done ? finish_decode(ctx) : Status::ok();
    });
}

void context_decode_cancel(loom_context &ctx) {
    PendingDecode &pd = ctx.pending;
    if (!pd.active) return;
    ctx.session->cancel_graph();
    for (int32_t c : pd.cells) ctx.kv.cell(c) = KvCell{};
    ctx.logits.clear();
    ctx.embd.clear();
    pd.active = false;
}

Status context_set_n_threads(loom_context &ctx, int n_threads) {
    if (n_threads < 1 || n_threads > 256)
        return error(LOOM_ERR_INVALID_ARGUMENT, "n_threads %d is not in [1, 256]", n_threads);
    if (ctx.pending.active)
        return error(LOOM_ERR_INVALID_ARGUMENT, "a stepped decode is in progress: the thread count changes between decodes");
    LOOM_TRY(ctx.session->set_n_threads(n_threads));
    ctx.params.n_threads = n_threads;
    return Status::ok();
}

} // namespace loom
