// Candidates: load, order, softmax (see candidates.h).
#include "sample/candidates.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace loom {

bool candidate_before(const Candidate &a, const Candidate &b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

void Candidates::load(const float *logits, int32_t n_vocab) {
    n_vocab_ = n_vocab;
    items_.resize(static_cast<size_t>(n_vocab));
    for (int32_t i = 0; i < n_vocab; ++i) {
        float l = std::isnan(logits[i]) ? -std::numeric_limits<float>::infinity() : logits[i];
        items_[static_cast<size_t>(i)] = {i, l, 0.0f};
    }
    sorted_ = 0;
}

// The first sorted_ items are the highest ones, in order; extend that to n:
// select the next n - sorted_ from the rest in linear time, then sort them.
void Candidates::sort_prefix(size_t n) {
    n = std::min(n, items_.size());
    if (n <= sorted_) return;
    auto first = items_.begin() + static_cast<std::ptrdiff_t>(sorted_);
    auto mid = items_.begin() + static_cast<std::ptrdiff_t>(n);
    if (mid != items_.end()) std::nth_element(first, mid, items_.end(), candidate_before);
    std::sort(first, mid, candidate_before);
    sorted_ = n;
}

void Candidates::truncate_sorted(size_t n) {
    if (n >= items_.size()) return;
    sort_prefix(n);
    items_.resize(n);
    sorted_ = n;
}

size_t Candidates::argmax() const {
    size_t best = 0;
    for (size_t i = 1; i < items_.size(); ++i)
        if (candidate_before(items_[i], items_[best])) best = i;
    return best;
}

void Candidates::softmax() {
    if (items_.empty()) return;
    const float max = items_[argmax()].logit;
    if (std::isinf(max) && max < 0) { // nothing finite: uniform, the chain reports the error
        for (Candidate &c : items_) c.p = 1.0f / static_cast<float>(items_.size());
        return;
    }
    double total = 0;
    std::vector<double> e(items_.size());
    for (size_t i = 0; i < items_.size(); ++i) {
        float l = items_[i].logit;
        e[i] = std::isinf(max) && max > 0 ? (l == max ? 1.0 : 0.0) : std::exp(static_cast<double>(l) - max);
        total += e[i];
    }
    for (size_t i = 0; i < items_.size(); ++i) items_[i].p = total > 0 ? static_cast<float>(e[i] / total) : 0.0f;
}

} // namespace loom
