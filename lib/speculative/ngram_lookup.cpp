// Prompt lookup (see ngram_lookup.h).
#include "speculative/ngram_lookup.h"

#include <algorithm>

namespace loom {

namespace {

// The start of the latest occurrence of text[size-n, size) that begins
// before size - n, or SIZE_MAX.
size_t latest_match(const std::vector<int32_t> &text, size_t n) {
    const size_t size = text.size();
    const auto suffix = text.end() - std::ptrdiff_t(n);
    for (size_t start = size - n; start-- > 0;)
        if (std::equal(suffix, text.end(), text.begin() + std::ptrdiff_t(start))) return start;
    return SIZE_MAX;
}

} // namespace

std::vector<int32_t> lookup_draft(const std::vector<int32_t> &text, int32_t ngram_min, int32_t ngram_max,
                                  int32_t max_tokens) {
    if (max_tokens <= 0 || ngram_min < 1) return {};
    for (int32_t n = std::min<int32_t>(ngram_max, int32_t(text.size()) - 1); n >= ngram_min; --n) {
        size_t start = latest_match(text, size_t(n));
        if (start == SIZE_MAX) continue;
        size_t from = start + size_t(n);
        size_t to = std::min(text.size(), from + size_t(max_tokens));
        return std::vector<int32_t>(text.begin() + std::ptrdiff_t(from), text.begin() + std::ptrdiff_t(to));
    }
    return {};
}

} // namespace loom
