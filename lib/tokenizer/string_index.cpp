#include "tokenizer/string_index.h"

#include "common/xxhash_inline.h"

namespace loom {

namespace {
uint64_t hash_of(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }
} // namespace

void StringIndex::reset(const HostVector<std::string> *strings, size_t expected) {
    strings_ = strings;
    size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;  // load factor <= 1/2: the table never grows
    slots_.assign(cap, Slot{0, -1});
    mask_ = cap - 1;
}

// The slot holding `key`, or the free slot where it would go.
size_t StringIndex::probe(std::string_view key, uint64_t h) const {
    uint32_t tag = uint32_t(h >> 32);
    for (size_t i = size_t(h) & mask_;; i = (i + 1) & mask_) {
        const Slot &s = slots_[i];
        if (s.id < 0 || (s.tag == tag && (*strings_)[size_t(s.id)] == key)) return i;
    }
}

void StringIndex::insert(int32_t id) {
    const std::string &key = (*strings_)[size_t(id)];
    uint64_t h = hash_of(key);
    size_t i = probe(key, h);
    if (slots_[i].id < 0) slots_[i] = Slot{uint32_t(h >> 32), id};
}

int32_t StringIndex::find(std::string_view key) const {
    if (slots_.empty()) return -1;
    return slots_[probe(key, hash_of(key))].id;
}

} // namespace loom
