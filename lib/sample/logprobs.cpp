// Log-probabilities of a row of logits (see logprobs.h).
#include "sample/logprobs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace loom {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double value_of(float x) { return std::isnan(x) ? kNegInf : double(x); }

// log p(x) = x - log_z, with +infinity logits (n_posinf of them) sharing the mass.
struct LogNormaliser {
    double log_z = 0.0;
    int64_t n_posinf = 0;
    double of(float x) const {
        const double v = value_of(x);
        if (n_posinf > 0) return std::isinf(v) && v > 0 ? -std::log(double(n_posinf)) : kNegInf;
        return std::isinf(v) ? kNegInf : v - log_z;
    }
};

Status normaliser(const float *logits, int32_t n, LogNormaliser *out) {
    double max = kNegInf;
    LogNormaliser z;
    for (int32_t i = 0; i < n; i++) {
        const double v = value_of(logits[i]);
        if (std::isinf(v) && v > 0) z.n_posinf++;
        else max = std::max(max, v);
    }
    if (z.n_posinf == 0 && std::isinf(max))
        return error(LOOM_ERR_INVALID_ARGUMENT, "no logit is above -infinity (all NaN or -infinity)");
    if (z.n_posinf == 0) {
        double sum = 0.0;
        for (int32_t i = 0; i < n; i++) {
            const double v = value_of(logits[i]);
            if (!std::isinf(v)) sum += std::exp(v - max);
        }
        z.log_z = max + std::log(sum);
    }
    *out = z;
    return Status::ok();
}

} // namespace

Status logprobs(const float *logits, int32_t n_vocab, int32_t token, float *token_logprob, int32_t top_n,
                int32_t *top_tokens, float *top_logprobs) {
    if (!logits) return error(LOOM_ERR_INVALID_ARGUMENT, "logits is NULL");
    if (n_vocab <= 0) return error(LOOM_ERR_INVALID_ARGUMENT, "n_vocab %d must be > 0", n_vocab);
    if (token < -1 || token >= n_vocab)
        return error(LOOM_ERR_INVALID_ARGUMENT, "token %d is outside the vocabulary of %d (or -1 for none)", token, n_vocab);
    if (token >= 0 && !token_logprob) return error(LOOM_ERR_INVALID_ARGUMENT, "token_logprob is NULL");
    if (top_n < 0 || top_n > n_vocab)
        return error(LOOM_ERR_INVALID_ARGUMENT, "top_n %d is not in [0, n_vocab = %d]", top_n, n_vocab);
    if (top_n > 0 && !(top_tokens && top_logprobs))
        return error(LOOM_ERR_INVALID_ARGUMENT, "top_tokens or top_logprobs is NULL");
    LogNormaliser z;
    LOOM_TRY(normaliser(logits, n_vocab, &z));
    if (token >= 0) *token_logprob = float(z.of(logits[token]));
    if (top_n == 0) return Status::ok();
    std::vector<int32_t> ids(static_cast<size_t>(n_vocab));
    for (int32_t i = 0; i < n_vocab; i++) ids[size_t(i)] = i;
    const auto before = [&](int32_t a, int32_t b) {
        const double va = value_of(logits[a]), vb = value_of(logits[b]);
        return va > vb || (va == vb && a < b);
    };
    std::partial_sort(ids.begin(), ids.begin() + top_n, ids.end(), before);
    for (int32_t k = 0; k < top_n; k++) {
        top_tokens[k] = ids[size_t(k)];
        top_logprobs[k] = float(z.of(logits[ids[size_t(k)]]));
    }
    return Status::ok();
}

} // namespace loom
