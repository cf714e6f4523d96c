// Pooling of a decode's per-entry embeddings into one vector per sequence
// (loom_get_embeddings_seq): the mean or the last of the sequence's output
// rows, summed in double, optionally scaled to unit L2 norm.
#include "context/context.h"

#include <algorithm>
#include <cmath>

namespace loom {

void pooling_init(loom_context &ctx) {
    if (ctx.params.pooling_type == LOOM_POOLING_NONE) return;
    const size_t n_embd = size_t(ctx.m->hparams().n_embd);
    ctx.pooled.assign(size_t(ctx.params.n_seq_max) * n_embd, 0.0f);
    ctx.pooled_ok.assign(size_t(ctx.params.n_seq_max), 0);
    ctx.pool_acc.assign(n_embd, 0.0);
}

void pooling_clear(loom_context &ctx) { std::fill(ctx.pooled_ok.begin(), ctx.pooled_ok.end(), uint8_t(0)); }

namespace {

// acc (n values) into out, as floats, scaled to unit L2 norm if asked.
void finish_vector(const HostVector<double> &acc, double divisor, bool normalize, float *out) {
    double norm = 1.0;
    if (normalize) {
        double ss = 0.0;
        for (double v : acc) ss += (v / divisor) * (v / divisor);
        norm = ss > 0.0 ? std::sqrt(ss) : 1.0;
    }
    for (size_t k = 0; k < acc.size(); k++) out[k] = float(acc[k] / divisor / norm);
}

} // namespace

void pool_outputs(loom_context &ctx, const std::vector<int32_t> &entry_seq, const std::vector<int32_t> &out_ids) {
    if (ctx.params.pooling_type == LOOM_POOLING_NONE) return;
    const size_t n_embd = ctx.pool_acc.size();
    const bool last = ctx.params.pooling_type == LOOM_POOLING_LAST;
    for (uint32_t seq = 0; seq < ctx.params.n_seq_max; seq++) {
        std::fill(ctx.pool_acc.begin(), ctx.pool_acc.end(), 0.0);
        size_t count = 0;
        for (size_t r = 0; r < out_ids.size(); r++) {
            if (uint32_t(entry_seq[size_t(out_ids[r])]) != seq) continue;
            const float *row = ctx.embd.data() + r * n_embd;
            if (last) std::fill(ctx.pool_acc.begin(), ctx.pool_acc.end(), 0.0);
            for (size_t k = 0; k < n_embd; k++) ctx.pool_acc[k] += double(row[k]);
            count++;
        }
        ctx.pooled_ok[seq] = count > 0;
        if (count == 0) continue;
        finish_vector(ctx.pool_acc, last ? 1.0 : double(count), ctx.params.embd_normalize != 0,
                      ctx.pooled.data() + size_t(seq) * n_embd);
    }
}

} // namespace loom
