#include "context/kv_cache.h"

#include <algorithm>
#include <limits>

namespace loom {

namespace {
bool in_range(int32_t pos, int32_t p0, int32_t p1) { return pos >= p0 && (p1 < 0 || pos < p1); }
} // namespace

int64_t KvCache::n_used() const {
    return std::count_if(cells_.begin(), cells_.end(), [](const KvCell &c) { return !c.free(); });
}

void KvCache::pick_for(int seq, int64_t n, std::unordered_set<int32_t> *taken, std::vector<int32_t> *cells) const {
    const int64_t a = std::min(int64_t(seq) * region_, size());
    int64_t got = 0;
    const auto try_cell = [&](int64_t c) {
        if (!cells_[static_cast<size_t>(c)].free() || !taken->insert(static_cast<int32_t>(c)).second) return;
        cells->push_back(static_cast<int32_t>(c));
        got++;
    };
    for (int64_t c = a; c < size() && got < n; c++) try_cell(c);   // the region, then above it
    for (int64_t c = a - 1; c >= 0 && got < n; c--) try_cell(c);   // then below it
}

Status KvCache::find_free(const std::vector<int32_t> &seqs, std::vector<int32_t> *cells) const {
    // Tokens per sequence, then each sequence's cells in its order of preference.
    std::vector<int32_t> order, count(static_cast<size_t>(kMaxSeq), 0);
    for (int32_t s : seqs)
        if (count[static_cast<size_t>(s)]++ == 0) order.push_back(s);
    std::unordered_set<int32_t> taken;
    std::vector<std::vector<int32_t>> picked(static_cast<size_t>(kMaxSeq));
    size_t n_found = 0;
    for (int32_t s : order) {
        pick_for(s, count[static_cast<size_t>(s)], &taken, &picked[static_cast<size_t>(s)]);
        n_found += picked[static_cast<size_t>(s)].size();
    }
    if (n_found < seqs.size())
        return error(LOOM_ERR_CONTEXT_FULL, "the batch needs %zu KV cells but only %zu of %lld are free", seqs.size(),
                     n_found, (long long)size());
    // A sequence's entries take its cells in order (ascending within its region).
    std::vector<size_t> next(static_cast<size_t>(kMaxSeq), 0);
    cells->clear();
    for (int32_t s : seqs) cells->push_back(picked[static_cast<size_t>(s)][next[static_cast<size_t>(s)]++]);
    return Status::ok();
}

void KvCache::spans(const std::vector<int32_t> &seqs, std::vector<CellRange> *out) const {
    out->assign(seqs.size(), CellRange{});
    SeqSet any;
    for (int32_t s : seqs) any.set(static_cast<size_t>(s));
    for (int64_t c = 0; c < size(); c++) {
        const SeqSet &cs = cells_[static_cast<size_t>(c)].seqs;
        if ((cs & any).none()) continue;
        for (size_t i = 0; i < seqs.size(); i++) {
            if (!cs.test(static_cast<size_t>(seqs[i]))) continue;
            CellRange &r = (*out)[i];
            if (r.hi == 0) r.lo = static_cast<int32_t>(c);
            r.hi = static_cast<int32_t>(c + 1);
        }
    }
}

CellRange KvCache::visible_range(int seq, int32_t pos, CellRange span) const {
    CellRange r = span;
    while (r.lo < r.hi && !visible(r.lo, seq, pos)) r.lo++;
    while (r.hi > r.lo && !visible(r.hi - 1, seq, pos)) r.hi--;
    return r;
}

void KvCache::clear() {
    for (KvCell &c : cells_) c = KvCell{};
}

void KvCache::seq_remove(int seq, int32_t p0, int32_t p1) {
    for (KvCell &c : cells_) {
        if (c.free() || !in_range(c.pos, p0, p1)) continue;
        if (seq < 0)
            c.seqs.reset();
        else
            c.seqs.reset(static_cast<size_t>(seq));
        if (c.free()) c.pos = -1;
    }
}

void KvCache::seq_copy(int src, int dst, int32_t p0, int32_t p1) {
    if (src == dst) return;
    for (KvCell &c : cells_)
        if (c.seqs.test(static_cast<size_t>(src)) && in_range(c.pos, p0, p1)) c.seqs.set(static_cast<size_t>(dst));
}

int32_t KvCache::seq_pos_max(int seq) const {
    int32_t best = -1;
    for (const KvCell &c : cells_)
        if (c.seqs.test(static_cast<size_t>(seq))) best = std::max(best, c.pos);
    return best;
}

} // namespace loom
