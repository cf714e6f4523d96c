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
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = n_ctx_;
    p.n_batch = n_batch_;
    p.n_threads = n_threads_;
    p.embeddings = 1;
    loom_status st = loom_context_new(model_, &p, &ctx_);
    if (st == LOOM_OK) st = loom_batch_new(int32_t(n_batch_), &batch_);
    return st;
}

loom_status Embedder::embed(const std::vector<int32_t> &tokens, std::vector<float> *out) {
    std::lock_guard<std::mutex> lock(mu_);
    loom_status st = ensure_context();
    if (st != LOOM_OK) return st;
    loom_kv_clear(ctx_);
    const int32_t n_embd = loom_model_n_embd(model_);
    std::vector<double> sum(size_t(n_embd), 0.0);
    for (size_t i = 0; i < tokens.size(); i += n_batch_) {
        const size_t end = std::min(tokens.size(), i + n_batch_);
        loom_batch_clear(batch_);
        for (size_t j = i; j < end; j++) loom_batch_add(batch_, tokens[j], int32_t(j), 0, 1);
        if ((st = loom_decode(ctx_, batch_)) != LOOM_OK) return st;
        for (size_t j = i; j < end; j++) {
            const float *e = nullptr;
            if ((st = loom_get_embeddings(ctx_, int32_t(j - i), &e)) != LOOM_OK) return st;
            for (int32_t k = 0; k < n_embd; k++) sum[size_t(k)] += e[k];
        }
    }
    double norm = 0.0;
    for (double &v : sum) {
        v /= double(tokens.size());
        norm += v * v;
    }
    norm = norm > 0.0 ? std::sqrt(norm) : 1.0;
    out->resize(size_t(n_embd));
    for (int32_t k = 0; k < n_embd; k++) (*out)[size_t(k)] = float(sum[size_t(k)] / norm);
    loom_kv_clear(ctx_);
    return LOOM_OK;
}

} // namespace serve
