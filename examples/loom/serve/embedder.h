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
    // `params`: the server's context settings (n_ctx, n_batch, threads,
    // precision); embeddings and pooling are set here.
    Embedder(const loom_model *model, const loom_context_params &params) : model_(model), params_(params) {}
    ~Embedder();

    // The pooled vector of `tokens` (1..n_ctx tokens). Errors as loom_decode's.
    loom_status embed(const std::vector<int32_t> &tokens, std::vector<float> *out);

private:
    loom_status ensure_context();

    const loom_model *model_;
    loom_context_params params_;
    std::mutex mu_;
    loom_context *ctx_ = nullptr;
    loom_batch *batch_ = nullptr;
};

} // namespace serve
