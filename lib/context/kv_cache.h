// The KV cache's bookkeeping: which cells hold which (position, sequence set).
// The K/V rows themselves live in backend tensors (ForwardBuffers); a cell
// index is the row. Sequences share cells (seq_copy adds a sequence to a
// cell's set), so prefix sharing copies no data.
//
// Placement keeps each sequence's cells together: with n_seq sequences the
// cache is cut into n_seq regions of n_ctx / n_seq cells, and a sequence's
// new cells go to its own region first (lowest free cell first), then to
// the free cells nearest above it, then below. Attention then reads, per
// query, only the range of cells its sequence spans (visible_range), so N
// concurrent sequences cost about N times one, not N^2.
//
// Owner: lib/context.
#pragma once

#include "common/host_alloc.h"
#include "common/status.h"

#include <bitset>
#include <cstdint>
#include <unordered_set>
#include <vector>

namespace loom {

constexpr int kMaxSeq = 256;   // sequence ids 0..kMaxSeq-1
using SeqSet = std::bitset<kMaxSeq>;

// Cells [lo, hi).
struct CellRange {
    int32_t lo = 0, hi = 0;
    int32_t width() const { return hi - lo; }
};

struct KvCell {
    int32_t pos = -1;          // -1: free
    SeqSet seqs;
    bool free() const { return seqs.none(); }
};

class KvCache {
public:
    explicit KvCache(int64_t n_ctx = 0, int n_seq = 1)
        : cells_(static_cast<size_t>(n_ctx)), region_(n_seq > 0 ? n_ctx / n_seq : n_ctx) {}

    int64_t size() const { return static_cast<int64_t>(cells_.size()); }
    const KvCell &cell(int64_t i) const { return cells_[static_cast<size_t>(i)]; }
    KvCell &cell(int64_t i) { return cells_[static_cast<size_t>(i)]; }
    int64_t n_used() const;

    // Picks a free cell for each entry of `seqs` (a batch's sequence ids, in
    // order) without taking them, placed as the header says. CONTEXT_FULL if
    // fewer are free.
    Status find_free(const std::vector<int32_t> &seqs, std::vector<int32_t> *cells) const;

    // The range of the cells of each sequence in `seqs` (distinct ids), in one
    // pass: out[i] for seqs[i], {0, 0} when it has none.
    void spans(const std::vector<int32_t> &seqs, std::vector<CellRange> *out) const;
    // The smallest range within `span` (seq's span) holding every cell of
    // `seq` at a position <= pos: what a query of seq at pos attends to.
    CellRange visible_range(int seq, int32_t pos, CellRange span) const;
    bool visible(int64_t cell, int seq, int32_t pos) const {
        const KvCell &c = cells_[static_cast<size_t>(cell)];
        return c.seqs.test(static_cast<size_t>(seq)) && c.pos <= pos;
    }

    void clear();
    // Positions [p0, p1) of seq (seq < 0: every sequence); p1 < 0: to the end.
    void seq_remove(int seq, int32_t p0, int32_t p1);
    void seq_copy(int src, int dst, int32_t p0, int32_t p1);
    int32_t seq_pos_max(int seq) const;   // -1 if empty

private:
    // Appends to `cells` up to `n` free cells not in `taken`, in seq's order of preference.
    void pick_for(int seq, int64_t n, std::unordered_set<int32_t> *taken, std::vector<int32_t> *cells) const;

    HostVector<KvCell> cells_;
    int64_t region_ = 0;   // cells per sequence region
};

} // namespace loom
