#include "tokenizer/word_cache.h"

#include <algorithm>
#include <cstring>

namespace loom {

size_t WordCache::probe(std::string_view word, uint64_t hash) const {
    size_t mask = slots_.size() - 1;
    for (size_t i = size_t(hash) & mask;; i = (i + 1) & mask) {
        const Slot &s = slots_[i];
        if (s.ids_len == 0) return i;
        if (s.hash == hash && s.bytes_len == word.size() && std::memcmp(bytes_.data() + s.bytes_at, word.data(), word.size()) == 0)
            return i;
    }
}

const int32_t *WordCache::find(std::string_view word, uint64_t hash, size_t *count) const {
    *count = 0;
    if (slots_.empty() || word.size() > kMaxWordBytes) return nullptr;
    const Slot &s = slots_[probe(word, hash)];
    *count = s.ids_len;
    return s.ids_len ? ids_.data() + s.ids_at : nullptr;
}

void WordCache::grow() {
    std::vector<Slot> old(slots_.empty() ? 256 : slots_.size() * 2);
    old.swap(slots_);
    size_t mask = slots_.size() - 1;
    for (const Slot &s : old) {
        if (!s.ids_len) continue;
        size_t i = size_t(s.hash) & mask;
        while (slots_[i].ids_len) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

void WordCache::insert(std::string_view word, uint64_t hash, const int32_t *ids, size_t count) {
    if (word.size() > kMaxWordBytes || count == 0 || count_ >= kMaxEntries) return;
    if (bytes_.size() + word.size() > kMaxBytes || ids_.size() + count > kMaxIds) return;
    if ((count_ + 1) * 2 > slots_.size()) grow();  // load factor <= 1/2
    Slot &s = slots_[probe(word, hash)];
    if (s.ids_len) return;
    s = Slot{hash, uint32_t(bytes_.size()), uint32_t(ids_.size()), uint16_t(word.size()), uint16_t(count)};
    // Grow by doubling but never past the caps (no 2x overshoot near them).
    if (bytes_.size() + word.size() > bytes_.capacity()) bytes_.reserve(std::min(kMaxBytes, 2 * bytes_.capacity() + word.size()));
    if (ids_.size() + count > ids_.capacity()) ids_.reserve(std::min(kMaxIds, 2 * ids_.capacity() + count));
    bytes_.append(word.data(), word.size());
    ids_.insert(ids_.end(), ids, ids + count);
    ++count_;
}

} // namespace loom
