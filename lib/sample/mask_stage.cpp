// Mask stages (loom_sampler_add_mask, loom_sampler_add_allowed_tokens):
// remove the candidates a caller's callback clears, or those not in a list.
#include "sample/sampler.h"

#include <algorithm>

namespace loom {

namespace {

Status none_left(const char *what) {
    return error(LOOM_ERR_INVALID_ARGUMENT, "the %s allows none of the candidate tokens", what);
}

class CallbackMask : public SamplerStage {
public:
    explicit CallbackMask(MaskFn fn) : fn_(std::move(fn)) {}
    Status apply(Candidates *c, size_t *) override {
        allowed_.assign(size_t(c->n_vocab()), 1);
        if (fn_(allowed_.data(), c->n_vocab()) != 0)
            return error(LOOM_ERR_CANCELLED, "the token mask callback asked to stop");
        c->filter([&](const Candidate &x) { return allowed_[size_t(x.id)] != 0; });
        return c->size() ? Status::ok() : none_left("token mask callback");
    }

private:
    MaskFn fn_;
    std::vector<uint8_t> allowed_;
};

class AllowedList : public SamplerStage {
public:
    explicit AllowedList(std::vector<int32_t> ids) {
        const int32_t max_id = *std::max_element(ids.begin(), ids.end());
        allowed_.assign(size_t(max_id) + 1, 0);
        for (int32_t id : ids) allowed_[size_t(id)] = 1;
    }
    Status apply(Candidates *c, size_t *) override {
        c->filter([&](const Candidate &x) { return size_t(x.id) < allowed_.size() && allowed_[size_t(x.id)]; });
        return c->size() ? Status::ok() : none_left("allowed-token list");
    }

private:
    std::vector<uint8_t> allowed_;   // by id, up to the highest listed id
};

} // namespace

Status make_mask(MaskFn fn, std::unique_ptr<SamplerStage> *out) {
    if (!fn) return error(LOOM_ERR_INVALID_ARGUMENT, "the mask callback is NULL");
    *out = std::make_unique<CallbackMask>(std::move(fn));
    return Status::ok();
}

Status make_allowed_tokens(const int32_t *tokens, size_t n, std::unique_ptr<SamplerStage> *out) {
    if (!tokens) return error(LOOM_ERR_INVALID_ARGUMENT, "tokens is NULL");
    if (n == 0) return error(LOOM_ERR_INVALID_ARGUMENT, "the allowed-token list is empty");
    for (size_t i = 0; i < n; i++)
        if (tokens[i] < 0) return error(LOOM_ERR_INVALID_ARGUMENT, "allowed token %zu: id %d is negative", i, tokens[i]);
    *out = std::make_unique<AllowedList>(std::vector<int32_t>(tokens, tokens + n));
    return Status::ok();
}

} // namespace loom
