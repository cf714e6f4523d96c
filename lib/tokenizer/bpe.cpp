// BPE merging: a hash table of merges and two equal merge loops (array
// rescans for short words, linked list + heap for long ones).
#include "tokenizer/bpe.h"

#include "common/xxhash_inline.h"

#include <algorithm>
#include <climits>

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

// A candidate pair as one ordered key: rank in the high half, the position
// of its left symbol in the low half, so the smallest key is the pair of
// lowest rank, leftmost on ties. Each rank names one pair (MergeTable keeps
// the first), so a popped key is current iff its position still starts a pair
// with that rank.
uint64_t candidate(int32_t rank, size_t pos) { return (uint64_t(uint32_t(rank)) << 32) | uint32_t(pos); }

// The candidates, smallest first: a sorted run (read from at_) plus a
// min-heap of the keys pushed since. A merge's new pairs almost always rank
// after the current one (a merged token is merged again later), so pops
// mostly walk the run and pushes rarely sift. When the heap reaches a quarter
// of the word, the current keys of both are folded into one sorted run
// (stale ones dropped): about 10 bytes per symbol, O(n log n) in all.
class CandidateQueue {
public:
    explicit CandidateQueue(size_t n) : heap_cap_(n / 4 + 2) {
        run_.reserve(n);
        heap_.reserve(heap_cap_);
    }
    void add(uint64_t key) { run_.push_back(key); }  // the initial keys, then sort()
    void sort() { std::sort(run_.begin(), run_.end()); }
    template <typename IsCurrent>
    void push(uint64_t key, IsCurrent is_current) {
        if (heap_.size() == heap_cap_) fold(is_current);
        heap_.push_back(key);
        std::push_heap(heap_.begin(), heap_.end(), std::greater<uint64_t>());
    }
    bool empty() const { return at_ == run_.size() && heap_.empty(); }
    uint64_t pop() {
        if (!heap_.empty() && (at_ == run_.size() || heap_.front() < run_[at_])) {
            std::pop_heap(heap_.begin(), heap_.end(), std::greater<uint64_t>());
            uint64_t k = heap_.back();
            heap_.pop_back();
            return k;
        }
        return run_[at_++];
    }

private:
    template <typename IsCurrent>
    void fold(IsCurrent is_current) {
        size_t mid = 0, h = 0;
        for (size_t r = at_; r < run_.size(); ++r)
            if (is_current(run_[r])) run_[mid++] = run_[r];
        for (uint64_t k : heap_)
            if (is_current(k)) heap_[h++] = k;
        std::sort(heap_.begin(), heap_.begin() + long(h));
        run_.resize(mid + h);
        for (size_t i = mid, j = h, k = mid + h; j > 0;)  // merge from the back, in place
            run_[--k] = (i > 0 && run_[i - 1] > heap_[j - 1]) ? run_[--i] : heap_[--j];
        heap_.clear();
        at_ = 0;
    }
    size_t heap_cap_, at_ = 0;
    std::vector<uint64_t> run_, heap_;
};

// Long words: symbols in a doubly linked list (-1 ends it; a removed symbol's
// id is -1), candidate pairs in a CandidateQueue: O(n log n) time, 18 bytes of work
// space per symbol besides ids.
void merge_by_heap(const MergeTable &m, std::vector<int32_t> *ids_io) {
    std::vector<int32_t> &ids = *ids_io;
    size_t n = ids.size();
    std::vector<int32_t> prev(n), next(n);
    for (size_t k = 0; k < n; ++k) {
        prev[k] = int32_t(k) - 1;
        next[k] = k + 1 < n ? int32_t(k + 1) : -1;
    }
    auto pair_rank = [&](int32_t pos, const Merge **x) {
        *x = (pos >= 0 && ids[size_t(pos)] >= 0 && next[size_t(pos)] >= 0) ? m.find(ids[size_t(pos)], ids[size_t(next[size_t(pos)])]) : nullptr;
        return *x ? (*x)->rank : -1;
    };
    auto is_current = [&](uint64_t key) {
        const Merge *x;
        return pair_rank(int32_t(uint32_t(key)), &x) == int32_t(key >> 32);
    };
    CandidateQueue heap(n);
    const Merge *x;
    for (size_t k = 0; k + 1 < n; ++k)
        if (pair_rank(int32_t(k), &x) >= 0) heap.add(candidate(x->rank, k));
    heap.sort();
    while (!heap.empty()) {
        uint64_t key = heap.pop();
        int32_t pos = int32_t(uint32_t(key));
        if (pair_rank(pos, &x) != int32_t(key >> 32)) continue;  // stale
        int32_t r = next[size_t(pos)];
        ids[size_t(pos)] = x->merged;
        next[size_t(pos)] = next[size_t(r)];
        if (next[size_t(r)] >= 0) prev[size_t(next[size_t(r)])] = pos;
        ids[size_t(r)] = -1;
        for (int32_t p : {prev[size_t(pos)], pos})
            if (pair_rank(p, &x) >= 0) heap.push(candidate(x->rank, size_t(p)), is_current);
    }
    size_t out = 0;
    for (int32_t k = 0; k >= 0; k = next[size_t(k)]) ids[out++] = ids[size_t(k)];
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
        HostVector<Slot> old;
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
