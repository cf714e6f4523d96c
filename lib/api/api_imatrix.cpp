// Importance-matrix collection on a context (include/loom.h SECTION imatrix):
// the model's per-layer taps (model.h ActivationTaps) accumulate in the
// context's session; saving reads them back and writes llama-imatrix's GGUF.
#include "api/guard.h"
#include "api/handles.h"
#include "context/context.h"
#include "quantize/imatrix_file.h"

#include <string>

namespace loom {
namespace {

void release_taps(loom_context &ctx) {
    for (ActivationTaps &t : ctx.buf.taps)
        for (Tensor *p : {t.attn_in, t.attn_out, t.ffn_in, t.ffn_down}) ctx.session->release(p);
    ctx.buf.taps.clear();
    ctx.imatrix_rows = 0;
}

// The sums of one tap as the entries of the weights that read its input.
Status add_tap(loom_context &ctx, const Tensor *tap, int il, std::initializer_list<const char *> weights,
               Imatrix *m) {
    std::vector<float> sums(size_t(tap->ne[0]));
    LOOM_TRY(ctx.session->download(tap, 0, sums.data(), sums.size() * sizeof(float)));
    for (const char *w : weights) {
        ImatrixEntry &e = m->entries["blk." + std::to_string(il) + "." + w + ".weight"];
        e.sums = sums;
        e.counts.assign(1, ctx.imatrix_rows);
    }
    return Status::ok();
}

Status collect(loom_context &ctx, Imatrix *m) {
    for (size_t il = 0; il < ctx.buf.taps.size(); il++) {
        const ActivationTaps &t = ctx.buf.taps[il];
        const int l = int(il);
        LOOM_TRY(add_tap(ctx, t.attn_in, l, {"attn_q", "attn_k", "attn_v"}, m));
        LOOM_TRY(add_tap(ctx, t.attn_out, l, {"attn_output"}, m));
        LOOM_TRY(add_tap(ctx, t.ffn_in, l, {"ffn_gate", "ffn_up"}, m));
        LOOM_TRY(add_tap(ctx, t.ffn_down, l, {"ffn_down"}, m));
    }
    return Status::ok();
}

} // namespace
} // namespace loom

using namespace loom;

extern "C" {

LOOM_API loom_status loom_imatrix_begin(loom_context *ctx) {
    return api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr, "loom_imatrix_begin: ctx is NULL");
        release_taps(*ctx);
        Status s = ctx->m->alloc_taps(*ctx->session, ctx->buf);
        if (!s) release_taps(*ctx);
        return s;
    });
}

LOOM_API loom_status loom_imatrix_rows(const loom_context *ctx, int64_t *out) {
    return api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr && out != nullptr, "loom_imatrix_rows: NULL argument");
        if (ctx->buf.taps.empty()) return error(LOOM_ERR_INVALID_ARGUMENT, "no importance matrix is being collected "
                                                                           "(call loom_imatrix_begin first)");
        *out = ctx->imatrix_rows;
        return Status::ok();
    });
}

LOOM_API loom_status loom_imatrix_save(loom_context *ctx, const char *path, const char *dataset, int32_t chunk_size) {
    return api_call([&] {
        LOOM_CHECK_ARG(ctx != nullptr && path != nullptr, "loom_imatrix_save: NULL ctx or path");
        LOOM_CHECK_ARG(chunk_size > 0, "loom_imatrix_save: chunk_size must be positive");
        if (ctx->buf.taps.empty()) return error(LOOM_ERR_INVALID_ARGUMENT, "no importance matrix is being collected "
                                                                           "(call loom_imatrix_begin first)");
        Imatrix m;
        LOOM_TRY(collect(*ctx, &m));
        if (dataset) m.datasets.push_back(dataset);
        m.chunk_size = chunk_size;
        m.chunk_count = ctx->imatrix_rows / chunk_size;
        return imatrix_write_gguf(m, path);
    });
}

LOOM_API void loom_imatrix_end(loom_context *ctx) {
    if (ctx) release_taps(*ctx);
}

} // extern "C"
