#include "embedder.h"

#include <algorithm>
#include <cmath>

namespace serve {

Embedder::~Embedder() {
    loom_batch_free(batch_);
    loom_context_free(ctx_);
}

loom_status Embedder::ensure_context() {
    if (ctx_) return LOOM_OK;
    loom_context_params p = params_;
    p.n_seq_max = 1;
    p.embeddings = LOOM_EMBEDDINGS_ONLY;   // no output matmul: the logits are never read here
    p.pooling_type = LOOM_POOLING_MEAN;
    loom_status st = loom_context_new(model_, &p, &ctx_);
    if (st == LOOM_OK) st = loom_batch_new(int32_t(p.n_batch), &batch_);
    return st;
}

loom_status Embedder::embed(const std::vector<int32_t> &tokens, std::vector<float> *out) {
    std::lock_guard<std::mutex> lock(mu_);
    loom_status st = ensure_context();
    if (st != LOOM_OK) return st;
    loom_kv_clear(ctx_);
    const int32_t n_embd = loom_model_n_embd(model_);
    // Each chunk of n_batch tokens is one decode whose mean the context
    // pools; the input's mean weights each chunk's mean by its length.
    std::vector<double> sum(size_t(n_embd), 0.0);
    for (size_t i = 0; i < tokens.size(); i += params_.n_batch) {
        const int32_t n = int32_t(std::min<size_t>(params_.n_batch, tokens.size() - i));
        loom_batch_clear(batch_);
        if ((st = loom_batch_add_tokens(batch_, tokens.data() + i, n, int32_t(i), 0, LOOM_BATCH_OUTPUTS_ALL)) != LOOM_OK ||
            (st = loom_decode(ctx_, batch_)) != LOOM_OK)
            return st;
        const float *mean = nullptr;
        if ((st = loom_get_embeddings_seq(ctx_, 0, &mean)) != LOOM_OK) return st;
        for (int32_t k = 0; k < n_embd; k++) sum[size_t(k)] += double(mean[k]) * n;
    }
    double norm = 0.0;
    for (double v : sum) norm += v * v;
    norm = norm > 0.0 ? std::sqrt(norm) : 1.0;
    out->resize(size_t(n_embd));
    for (int32_t k = 0; k < n_embd; k++) (*out)[size_t(k)] = float(sum[size_t(k)] / norm);
    loom_kv_clear(ctx_);
    return LOOM_OK;
}

} // namespace serve
