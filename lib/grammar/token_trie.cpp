// The token trie (see token_trie.h): built from the pieces in sorted order,
// where each string shares its common prefix with the one before it.
#include "grammar/token_trie.h"

#include <algorithm>
#include <numeric>

namespace loom {

TokenTrie::TokenTrie(const std::vector<std::string> &pieces) {
    std::vector<int32_t> order(pieces.size());
    std::iota(order.begin(), order.end(), 0);
    order.erase(std::remove_if(order.begin(), order.end(), [&](int32_t id) { return pieces[size_t(id)].empty(); }),
                order.end());
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        return pieces[size_t(a)] != pieces[size_t(b)] ? pieces[size_t(a)] < pieces[size_t(b)] : a < b;
    });
    byte_.push_back(0);
    depth_.push_back(0);
    end_.push_back(0);
    first_.push_back(0);
    std::vector<uint32_t> path(1, 0);   // node index at each depth of the current string
    const std::string *prev = nullptr;
    for (int32_t id : order) {
        const std::string &s = pieces[size_t(id)];
        size_t common = 0;
        if (prev) {
            size_t limit = std::min(prev->size(), s.size());
            while (common < limit && (*prev)[common] == s[common]) common++;
        }
        // Close the subtrees of the previous string below the shared prefix.
        for (size_t d = path.size() - 1; d > common; d--) end_[path[d]] = uint32_t(byte_.size());
        path.resize(common + 1);
        for (size_t d = common; d < s.size(); d++) {
            path.push_back(uint32_t(byte_.size()));
            byte_.push_back(uint8_t(s[d]));
            depth_.push_back(uint32_t(d + 1));
            end_.push_back(0);
            first_.push_back(uint32_t(ids_.size()));
        }
        ids_.push_back(id);   // at the last node of s (a duplicate string shares it)
        prev = &s;
    }
    for (size_t d = path.size() - 1; d > 0; d--) end_[path[d]] = uint32_t(byte_.size());
    end_[0] = uint32_t(byte_.size());
    first_.push_back(uint32_t(ids_.size()));
}

} // namespace loom
