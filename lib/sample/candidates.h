// Candidates: the token list a sampler chain narrows down. Logits are the
// working values; probabilities are computed on demand by softmax() over the
// candidates still present. Order is (logit descending, id ascending), a
// strict total order, so every partial sort is deterministic.
//
// Non-finite logits: NaN becomes -infinity on load (never picked while a
// finite or +infinity logit remains). If some logits are +infinity, softmax
// gives them all the mass, shared equally.
// Owner: lib/sample.
#pragma once

#include "common/host_alloc.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace loom {

struct Candidate {
    int32_t id;
    float logit;
    float p;   // valid after Candidates::softmax()
};

class Candidates {
public:
    void load(const float *logits, int32_t n_vocab);

    HostVector<Candidate> &items() { return items_; }
    const HostVector<Candidate> &items() const { return items_; }
    size_t size() const { return items_.size(); }
    int32_t n_vocab() const { return n_vocab_; }

    // Sorts at least the first `n` items into order (partial sort).
    void sort_prefix(size_t n);
    void sort_all() { sort_prefix(items_.size()); }
    // The caller changed logits or order: nothing is known to be sorted.
    void unsorted() { sorted_ = 0; }
    // Keeps the first n (of a sorted prefix of at least n) items.
    void truncate_sorted(size_t n);
    // Removes items failing `keep`, preserving order (sortedness kept if whole).
    template <typename Keep>
    void filter(Keep keep);

    // Calls f(candidate) for each present candidate whose id is in `ids`
    // (each id once per occurrence in `ids`). Direct when items are still in
    // id order (the usual case: no stage reordered them), else via one index.
    template <typename F>
    void for_ids(const std::vector<int32_t> &ids, F f);

    // p of every item from its logit (max-subtracted exp, normalised in double).
    void softmax();
    // Index of the highest logit (lowest id on ties).
    size_t argmax() const;

private:
    HostVector<Candidate> items_;
    size_t sorted_ = 0;
    int32_t n_vocab_ = 0;
};

bool candidate_before(const Candidate &a, const Candidate &b);

template <typename Keep>
void Candidates::filter(Keep keep) {
    bool all_sorted = sorted_ >= items_.size();
    size_t out = 0;
    for (const Candidate &c : items_)
        if (keep(c)) items_[out++] = c;
    items_.resize(out);
    sorted_ = all_sorted ? out : 0;
}

template <typename F>
void Candidates::for_ids(const std::vector<int32_t> &ids, F f) {
    auto direct = [&](int32_t id) {
        return id >= 0 && size_t(id) < items_.size() && items_[size_t(id)].id == id;
    };
    bool all_direct = true;
    for (int32_t id : ids) all_direct = all_direct && direct(id);
    if (all_direct) {
        for (int32_t id : ids) f(items_[size_t(id)]);
        return;
    }
    std::vector<int32_t> sorted_ids(ids);
    std::sort(sorted_ids.begin(), sorted_ids.end());
    for (Candidate &c : items_) {
        auto range = std::equal_range(sorted_ids.begin(), sorted_ids.end(), c.id);
        for (auto it = range.first; it != range.second; ++it) f(c);
    }
}

} // namespace loom
