// The sampler chain (see sampler.h).
#include "sample/sampler.h"

#include <cmath>

namespace loom {

Status SamplerChain::add(std::unique_ptr<SamplerStage> stage) {
    if (!stages_.empty() && stages_.back()->picks())
        return error(LOOM_ERR_INVALID_ARGUMENT, "the sampler chain already ends in a pick stage (greedy or dist)");
    stages_.push_back(std::move(stage));
    return Status::ok();
}

Status SamplerChain::sample(const float *logits, int32_t n_vocab, int32_t *token) {
    if (n_vocab <= 0) return error(LOOM_ERR_INVALID_ARGUMENT, "n_vocab %d must be > 0", n_vocab);
    cand_.load(logits, n_vocab);
    size_t picked = SIZE_MAX;
    for (auto &stage : stages_) {
        LOOM_TRY(stage->apply(&cand_, &picked));
        if (cand_.size() == 0) return error(LOOM_ERR_INTERNAL, "a sampler stage removed every candidate");
    }
    if (picked == SIZE_MAX) picked = cand_.argmax();
    const Candidate &c = cand_.items()[picked];
    if (std::isinf(c.logit) && c.logit < 0)
        return error(LOOM_ERR_INVALID_ARGUMENT, "no candidate token has a logit above -infinity (all NaN or banned)");
    *token = c.id;
    return Status::ok();
}

Status SamplerChain::distribution(const float *logits, int32_t n_vocab) {
    if (n_vocab <= 0) return error(LOOM_ERR_INVALID_ARGUMENT, "n_vocab %d must be > 0", n_vocab);
    cand_.load(logits, n_vocab);
    size_t picked = SIZE_MAX;
    for (auto &stage : stages_) {
        if (stage->picks()) break;
        LOOM_TRY(stage->apply(&cand_, &picked));
        if (cand_.size() == 0) return error(LOOM_ERR_INTERNAL, "a sampler stage removed every candidate");
    }
    cand_.softmax();
    return Status::ok();
}

Status SamplerChain::accept(int32_t token) {
    for (auto &stage : stages_) LOOM_TRY(stage->can_accept(token));
    for (auto &stage : stages_) stage->accept(token);
    return Status::ok();
}

void SamplerChain::reset() {
    for (auto &stage : stages_) stage->reset();
}

} // namespace loom
