// The KV cache's bookkeeping: which cells hold which (position, sequence set).
// The K/V rows themselves live in backend tensors (ForwardBuffers); a cell
// index is the row. Sequences share cells (seq_copy adds a sequence to a
// cell's set), so prefix sharing copies no data.
//
// Owner: lib/context.
#pragma once

#include "common/status.h"

#include <bitset>
#include <cstdint>
#include <vector>

namespace loom {

constexpr int kMaxSeq = 256;   // sequence ids 0..kMaxSeq-1
using SeqSet = std::bitset<kMaxSeq>;

struct KvCell {
    int32_t pos = -1;          // -1: free
    SeqSet seqs;
    bool free() const { return seqs.none(); }
};

class KvCache {
public:
    explicit KvCache(int64_t n_ctx = 0) : cells_(static_cast<size_t>(n_ctx)) {}

    int64_t size() const { return static_cast<int64_t>(cells_.size()); }
    const KvCell &cell(int64_t i) const { return cells_[static_cast<size_t>(i)]; }
    KvCell &cell(int64_t i) { return cells_[static_cast<size_t>(i)]; }
    // Cells attention must look at: one past the highest used cell.
    int64_t used_extent() const;
    int64_t n_used() const;

    // Picks `n` free cells (lowest first) without taking them. CONTEXT_FULL if
    // fewer are free.
    Status find_free(int64_t n, std::vector<int32_t> *cells) const;

    void clear();
    // Positions [p0, p1) of seq (seq < 0: every sequence); p1 < 0: to the end.
    void seq_remove(int seq, int32_t p0, int32_t p1);
    void seq_copy(int src, int dst, int32_t p0, int32_t p1);
    int32_t seq_pos_max(int seq) const;   // -1 if empty

private:
    std::vector<KvCell> cells_;
};

} // namespace loom
