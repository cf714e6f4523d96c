#include "context/kv_cache.h"

#include <algorithm>
#include <limits>

namespace loom {

namespace {
bool in_range(int32_t pos, int32_t p0, int32_t p1) { return pos >= p0 && (p1 < 0 || pos < p1); }
} // namespace

int64_t KvCache::used_extent() const {
    for (int64_t i = size(); i > 0; i--)
        if (!cells_[static_cast<size_t>(i - 1)].free()) return i;
    return 0;
}

int64_t KvCache::n_used() const {
    return std::count_if(cells_.begin(), cells_.end(), [](const KvCell &c) { return !c.free(); });
}

Status KvCache::find_free(int64_t n, std::vector<int32_t> *cells) const {
    cells->clear();
    for (int64_t i = 0; i < size() && static_cast<int64_t>(cells->size()) < n; i++)
        if (cells_[static_cast<size_t>(i)].free()) cells->push_back(static_cast<int32_t>(i));
    if (static_cast<int64_t>(cells->size()) < n)
        return error(LOOM_ERR_CONTEXT_FULL, "the batch needs %lld KV cells but only %zu of %lld are free",
                     (long long)n, cells->size(), (long long)size());
    return Status::ok();
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
