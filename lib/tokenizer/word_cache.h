// WordCache: the BPE result of each distinct word seen during one encode
// call (text repeats words a lot), open addressing keyed with XXH3 over the
// word's bytes. Lives in per-call scratch, so the Tokenizer stays immutable
// and thread-safe. Bounded (entries, text bytes and ids: about 4 MiB at
// most): once full, words are merged uncached.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

class WordCache {
public:
    static constexpr size_t kMaxWordBytes = 48;
    static constexpr size_t kMaxEntries = 1 << 15;
    static constexpr size_t kMaxBytes = 1 << 20;  // of word text in all
    static constexpr size_t kMaxIds = 1 << 18;    // ids in all (1 MiB)

    // The cached ids of `word` as (pointer, count), or count 0 if absent.
    const int32_t *find(std::string_view word, uint64_t hash, size_t *count) const;
    // Stores ids for `word` (ignored when full or the word is too long).
    void insert(std::string_view word, uint64_t hash, const int32_t *ids, size_t count);

private:
    struct Slot {
        uint64_t hash = 0;
        uint32_t bytes_at = 0, ids_at = 0;
        uint16_t bytes_len = 0, ids_len = 0;  // ids_len 0: free
    };
    size_t probe(std::string_view word, uint64_t hash) const;
    void grow();
    std::vector<Slot> slots_;
    std::string bytes_;
    std::vector<int32_t> ids_;
    size_t count_ = 0;
};

} // namespace loom
