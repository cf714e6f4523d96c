// Byte-pair merging: the merge table (pair of token ids -> rank and merged
// id, an open-addressing hash table keyed with XXH3) and the merge loop.
#pragma once

#include "common/host_alloc.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loom {

struct Merge {
    int32_t rank;    // position in tokenizer.ggml.merges: lower merges first
    int32_t merged;  // the id of left + right
};

class MergeTable {
public:
    // Sizes the table for n merges (call before insert).
    void reserve(size_t n);
    // Adds (left, right) -> m; false (nothing changed) if the pair is present.
    bool insert(int32_t left, int32_t right, Merge m);
    // The merge of (left, right), or nullptr.
    const Merge *find(int32_t left, int32_t right) const;
    size_t size() const { return count_; }

private:
    struct Slot {
        uint64_t key;  // kEmpty when free
        Merge merge;
    };
    static constexpr uint64_t kEmpty = ~uint64_t(0);
    size_t slot_of(uint64_t key) const;
    HostVector<Slot> slots_;
    size_t mask_ = 0, count_ = 0;
};

// Words up to this many symbols merge by rescanning an array; longer ones
// use a linked list and a priority queue (O(n log n)).
constexpr size_t kBpeScanMax = 48;

// Merges `ids` (the word's byte tokens, in order) in place: repeatedly the
// pair of lowest rank, the leftmost on ties, until no pair has a merge.
// `scan_max` picks the algorithm (tests pin both to each other).
void bpe_merge(const MergeTable &merges, std::vector<int32_t> *ids, size_t scan_max = kBpeScanMax);

} // namespace loom
