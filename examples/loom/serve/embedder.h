// /v1/embeddings: a second context (embeddings only, so no output matmul;
// mean pooling; one sequence) made on first use and shared by requests under
// a lock. An input's vector is the mean of its tokens' last hidden states
// (after the final norm), L2-normalised as OpenAI's embeddings are.
#pragma once

#include "loom.h"

#include <cstdint>
#include <mutex>
#include <vector>

namespace serve {

class Embedder {
public:
    Embedder(const loom_model *model, uint32_t n_ctx, uint32_t n_batch, int32_t n_threads)
        : model_(model), n_ctx_(n_ctx), n_batch_(n_batch), n_threads_(n_threads) {}
    ~Embedder();

    // The pooled vector of `tokens` (1..n_ctx tokens). Errors as loom_decode's.
    loom_status embed(const std::vector<int32_t> &tokens, std::vector<float> *out);

private:
    loom_status ensure_context();

    const loom_model *model_;
    uint32_t n_ctx_, n_batch_;
    int32_t n_threads_;
    std::mutex mu_;
    loom_context *ctx_ = nullptr;
    loom_batch *batch_ = nullptr;
};

} // namespace serve
