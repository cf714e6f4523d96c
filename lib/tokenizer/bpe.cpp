// BPE merging: a hash table of merges and two equal merge loops (array
// rescans for short words, linked list + heap for long ones).
#include "tokenizer/bpe.h"

#include "common/xxhash_inline.h"

#include <algorithm>
#include <climits>
#include <queue>

namespace loom {

namespace {

uint64_t pair_key(int32_t left, int32_t right) { return (uint64_t(uint32_t(left)) << 32) | uint32_t(right); }

int32_t rank_of(const MergeTable &m, int32_t left, int32_t right, int32_t *merged) {
    const Merge *x = m.find(left, right);
    if (!x) return INT32_MAX;
    *merged = x->merged;
    return x->rank;
}

// Short words: ranks[k] is the rank of (ids[k], ids[k+1]).
void merge_by_scan(const MergeTable &m, std::vector<int32_t> *ids_io) {
    std::vector<int32_t> &ids = *ids_io;
    size_t n = ids.size();
    int32_t ranks[kBpeScanMax > 1 ? kBpeScanMax : 2], merged[kBpeScanMax > 1 ? kBpeScanMax : 2];
    for (size_t k = 0; k + 1 < n; ++k) ranks[k] = rank_of(m, ids[k], ids[k + 1], &merged[k]);
    while (n > 1) {
        size_t best = 0;
        for (size_t k = 1; k + 1 < n; ++k)
            if (ranks[k] < ranks[best]) best = k;
        if (ranks[best] == INT32_MAX) break;
        ids[best] = merged[best];
        for (size_t k = best + 1; k + 1 < n; ++k) {
            ids[k] = ids[k + 1];
            ranks[k] = ranks[k + 1];
            merged[k] = merged[k + 1];
        }
        --n;
        if (best > 0) ranks[best - 1] = rank_of(m, ids[best - 1], ids[best], &merged[best - 1]);
        if (best + 1 < n) ranks[best] = rank_of(m, ids[best], ids[best + 1], &merged[best]);
    }
    ids.resize(n);
}

struct Candidate {
    int32_t rank;
    uint32_t pos;       // index of the left symbol
    int32_t left, right;
    bool operator>(const Candidate &o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

// Long words: symbols in a doubly linked list, candidate pairs in a min-heap;
// a popped candidate is stale if either symbol changed since it was pushed.
void merge_by_heap(const MergeTable &m, std::vector<int32_t> *ids_io) {
    std::vector<int32_t> &ids = *ids_io;
    size_t n = ids.size();
    std::vector<int32_t> prev(n), next(n);
    for (size_t k = 0; k < n; ++k) {
        prev[k] = int32_t(k) - 1;
        next[k] = k + 1 < n ? int32_t(k + 1) : -1;
    }
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
    auto push = [&](int32_t pos) {
        if (pos < 0 || next[pos] < 0) return;
        const Merge *x = m.find(ids[pos], ids[next[pos]]);
        if (x) heap.push({x->rank, uint32_t(pos), ids[pos], ids[next[pos]]});
    };
    for (size_t k = 0; k + 1 < n; ++k) push(int32_t(k));
    while (!heap.empty()) {
        Candidate c = heap.top();
        heap.pop();
        int32_t r = next[c.pos];
        if (ids[c.pos] != c.left || r < 0 || ids[r] != c.right) continue;  // stale
        ids[c.pos] = m.find(c.left, c.right)->merged;
        next[c.pos] = next[r];
        if (next[r] >= 0) prev[next[r]] = int32_t(c.pos);
        ids[r] = -1;  // removed
        push(prev[c.pos]);
        push(int32_t(c.pos));
    }
    size_t out = 0;
    for (int32_t k = 0; k >= 0 && size_t(k) < n; k = next[k]) ids[out++] = ids[k];
    ids.resize(out);
}

} // namespace

void MergeTable::reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots_.assign(cap, Slot{kEmpty, {0, 0}});
    mask_ = cap - 1;
    count_ = 0;
}

size_t MergeTable::slot_of(uint64_t key) const {
    size_t i = size_t(XXH3_64bits(&key, sizeof key)) & mask_;
    while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & mask_;
    return i;
}

bool MergeTable::insert(int32_t left, int32_t right, Merge m) {
    if ((count_ + 1) * 2 > slots_.size()) {
        std::vector<Slot> old;
        old.swap(slots_);
        reserve(old.size() ? old.size() : 8);
        for (const Slot &s : old)
            if (s.key != kEmpty) slots_[slot_of(s.key)] = s, ++count_;
    }
    uint64_t key = pair_key(left, right);
    size_t i = slot_of(key);
    if (slots_[i].key == key) return false;
    slots_[i] = {key, m};
    ++count_;
    return true;
}

const Merge *MergeTable::find(int32_t left, int32_t right) const {
    if (slots_.empty()) return nullptr;
    uint64_t key = pair_key(left, right);
    const Slot &s = slots_[slot_of(key)];
    return s.key == key ? &s.merge : nullptr;
}

void bpe_merge(const MergeTable &merges, std::vector<int32_t> *ids, size_t scan_max) {
    if (ids->size() < 2) return;
    if (ids->size() <= std::min(scan_max, kBpeScanMax)) merge_by_scan(merges, ids);
    else merge_by_heap(merges, ids);
}

} // namespace loom
