// Context creation and loom_decode: place a batch's tokens in free KV cells,
// build the attention mask from (position, sequence) tags, run the model's
// graph on the backend, keep the requested outputs. On any error the cell
// tags are rolled back, so the cache is as before the call.
#include "context/context.h"

#include "common/host_memory.h"
#include "quant/quant.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace loom {

namespace {

Status resolve_params(const Model &m, loom_context_params *p) {
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
    if (p->kv_type == LOOM_TYPE_Q8_0 && h.kv_dim() % 32 != 0)
        return error(LOOM_ERR_UNSUPPORTED, "a Q8_0 KV cache needs the KV width (%d) to be a multiple of 32", h.kv_dim());
    return Status::ok();
}

// What a context holds, in bytes: the KV cache (rows and cell tags), the
// activations of n_batch rows (and about as much CPU scratch), the mask and
// the logits rows.
struct ContextBytes {
    uint64_t kv = 0, activations = 0, mask = 0, logits = 0;
    uint64_t total() const { return add_sat(add_sat(kv, activations), add_sat(mask, logits)); }
};

Status context_bytes(const HParams &h, const loom_context_params &p, int64_t mask_rows, int64_t mask_cols,
                     int64_t logit_rows, ContextBytes *out) {
    size_t kv_row = 0;
    LOOM_TRY(row_bytes(p.kv_type, h.kv_dim(), &kv_row));
    ContextBytes b;
    b.kv = add_sat(mul_sat(mul_sat(2 * uint64_t(h.n_layer), p.n_ctx), kv_row), mul_sat(p.n_ctx, sizeof(KvCell)));
    // Per batch row: x, xn, hidden, q, attn, k, v, gate, up, inputs; with
    // experts also the router, the chosen ids and weights, and per used expert
    // its gate, up and output rows.
    const uint64_t used = uint64_t(h.n_expert_used);
    const uint64_t row_floats = 3 * uint64_t(h.n_embd) + 2 * uint64_t(h.q_dim()) + 2 * uint64_t(h.kv_dim()) +
                                2 * uint64_t(h.n_ff) + 4 + uint64_t(h.n_expert) + 2 * used +
                                used * (2 * uint64_t(h.n_ff_exp) + uint64_t(h.n_embd)) + 1 + uint64_t(h.n_embd);
    const uint64_t scratch = std::max({uint64_t(h.n_embd), uint64_t(h.q_dim()), uint64_t(h.n_ff)});
    b.activations = mul_sat(mul_sat(p.n_batch, row_floats + scratch), 4);
    b.mask = mul_sat(mul_sat(uint64_t(mask_rows), uint64_t(mask_cols)), 4);
    b.logits = mul_sat(mul_sat(uint64_t(logit_rows), uint64_t(h.n_vocab)), 4);
    *out = b;
    return Status::ok();
}

constexpr uint64_t kMiB = 1 << 20;

// OUT_OF_MEMORY naming the numbers when a context would need more than the
// machine can give (checked before allocating: an overcommitting OS would
// otherwise hand out the memory and kill the process when it is touched).
Status check_memory(const ContextBytes &b) {
    const uint64_t limit = host_memory_limit();
    if (!limit || b.total() <= limit) return Status::ok();
    return error(LOOM_ERR_OUT_OF_MEMORY,
                 "the context needs %llu MiB (KV cache %llu, activations %llu, mask %llu, logits %llu MiB); this "
                 "machine can give %llu MiB (lower n_ctx or n_batch, or decode fewer outputs at once)",
                 (unsigned long long)(b.total() / kMiB), (unsigned long long)(b.kv / kMiB),
                 (unsigned long long)(b.activations / kMiB), (unsigned long long)(b.mask / kMiB),
                 (unsigned long long)(b.logits / kMiB), (unsigned long long)(limit / kMiB));
}

// Grows the mask and logits buffers for a decode of n_tokens over n_kv cells
// with n_out outputs, checking the memory first. The mask width doubles so a
// growing conversation reallocates it O(log n_ctx) times.
Status reserve_decode_buffers(loom_context &ctx, int64_t n_tokens, int64_t n_kv, int64_t n_out) {
    ForwardBuffers &fb = ctx.buf;
    const int64_t rows = std::max(fb.mask_rows, n_tokens);
    int64_t cols = fb.mask_cols;
    if (n_kv > cols) cols = std::min<int64_t>(fb.n_ctx, std::max(n_kv, 2 * cols));
    const int64_t logit_rows = std::max(fb.n_logits_rows, n_out);
    if (rows != fb.mask_rows || cols != fb.mask_cols || logit_rows != fb.n_logits_rows) {
        ContextBytes b;
        LOOM_TRY(context_bytes(ctx.m->hparams(), ctx.params, rows, cols, logit_rows, &b));
        LOOM_TRY(check_memory(b));
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

// Row i of the mask: cell c visible iff it belongs to the entry's sequence at
// a position not after the entry's (causal). The batch's cells are tagged already.
void build_mask_row(const KvCache &kv, int seq, int32_t pos, int64_t n_kv, float *row) {
    for (int64_t c = 0; c < n_kv; c++) {
        const KvCell &cell = kv.cell(c);
        row[c] = (cell.seqs.test(size_t(seq)) && cell.pos <= pos) ? 0.0f : -INFINITY;
    }
}

Status upload_inputs(loom_context &ctx, const loom_batch &b, const std::vector<int32_t> &cells,
                     const std::vector<int32_t> &out_ids, int64_t n_kv) {
    Session &s = *ctx.session;
    ForwardBuffers &fb = ctx.buf;
    const size_t n = size_t(b.size());
    LOOM_TRY(s.upload(fb.tokens, 0, b.token.data(), n * 4));
    LOOM_TRY(s.upload(fb.pos, 0, b.pos.data(), n * 4));
    LOOM_TRY(s.upload(fb.cells, 0, cells.data(), n * 4));
    LOOM_TRY(s.upload(fb.out_ids, 0, out_ids.data(), out_ids.size() * 4));
    std::vector<float> row(static_cast<size_t>(n_kv));
    for (size_t i = 0; i < n; i++) {
        build_mask_row(ctx.kv, b.seq[i], b.pos[i], n_kv, row.data());
        LOOM_TRY(s.upload(fb.mask, i * fb.mask->row_bytes, row.data(), row.size() * sizeof(float)));
    }
    return Status::ok();
}

Status read_outputs(loom_context &ctx, int64_t n_out) {
    const HParams &h = ctx.m->hparams();
    ctx.logits.resize(size_t(n_out) * size_t(h.n_vocab));
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
    shape.n_kv = ctx.kv.used_extent();
    LOOM_TRY(reserve_decode_buffers(ctx, shape.n_tokens, shape.n_kv, std::max<int64_t>(1, shape.n_out)));
    LOOM_TRY(upload_inputs(ctx, b, pd.cells, pd.out_ids, shape.n_kv));
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
    LOOM_TRY(resolve_params(*ctx->m, &ctx->params));
    const HParams &h = m.hparams();
    ContextBytes need;
    LOOM_TRY(context_bytes(ctx->m->hparams(), ctx->params, 1, std::min<int64_t>(ctx->params.n_ctx, kMaskMinCols), 1,
                           &need));
    LOOM_TRY(check_memory(need));
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
    ctx->kv = KvCache(ctx->params.n_ctx);
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
    LOOM_TRY(ctx.kv.find_free(b.size(), &pd.cells));
    pd.out_ids.clear();
    for (int32_t i = 0; i < b.size(); i++)
        if (b.want[size_t(i)]) pd.out_ids.push_back(i);
    ctx.entry_row.assign(size_t(b.size()), -1);   // (allocates: before the cells are tagged)
    ctx.last_output = -1;
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
