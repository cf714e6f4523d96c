// Code point sets for grammar terminals (see grammar.h).
#include "grammar/grammar.h"

#include <algorithm>

namespace loom {

CharClass make_char_class(std::vector<std::pair<uint32_t, uint32_t>> ranges, bool negated) {
    std::sort(ranges.begin(), ranges.end());
    CharClass merged;
    for (const auto &r : ranges) {
        if (!merged.ranges.empty() && r.first <= merged.ranges.back().second + 1)
            merged.ranges.back().second = std::max(merged.ranges.back().second, r.second);
        else
            merged.ranges.push_back(r);
    }
    if (!negated) return merged;
    CharClass complement;
    uint32_t next = 0;   // the lowest code point not yet covered
    for (const auto &r : merged.ranges) {
        if (r.first > next) complement.ranges.push_back({next, r.first - 1});
        next = r.second + 1;
    }
    if (next <= kMaxCodePoint) complement.ranges.push_back({next, kMaxCodePoint});
    return complement;
}

bool CharClass::contains(uint32_t cp) const {
    return intersects(cp, cp);
}

bool CharClass::intersects(uint32_t lo, uint32_t hi) const {
    // The first range ending at or after lo; it intersects when it starts by hi.
    auto it = std::lower_bound(ranges.begin(), ranges.end(), lo,
                               [](const std::pair<uint32_t, uint32_t> &r, uint32_t v) { return r.second < v; });
    return it != ranges.end() && it->first <= hi;
}

bool CharClass::covers(uint32_t lo, uint32_t hi) const {
    auto it = std::lower_bound(ranges.begin(), ranges.end(), lo,
                               [](const std::pair<uint32_t, uint32_t> &r, uint32_t v) { return r.second < v; });
    return it != ranges.end() && it->first <= lo && it->second >= hi;   // ranges are non-adjacent: one must hold all
}

} // namespace loom
