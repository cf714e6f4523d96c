// StringIndex: text -> token id over strings the caller owns (the vocabulary),
// open addressing keyed with XXH3; no per-entry allocation, so building it
// for 150k tokens is cheap.
#pragma once

#include "common/host_alloc.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

class StringIndex {
public:
    // Indexes into *strings (which must outlive the index and not change);
    // sized for `expected` entries.
    void reset(const HostVector<std::string> *strings, size_t expected);
    // Adds id under (*strings)[id]; the first id added for a text wins.
    void insert(int32_t id);
    // The id stored for `key`, or -1.
    int32_t find(std::string_view key) const;

private:
    struct Slot {
        uint32_t tag;  // high bits of the hash, for a quick reject
        int32_t id;    // -1 when free
    };
    size_t probe(std::string_view key, uint64_t h) const;
    const HostVector<std::string> *strings_ = nullptr;
    HostVector<Slot> slots_;
    size_t mask_ = 0;
};

} // namespace loom
