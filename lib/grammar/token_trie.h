// TokenTrie: the vocabulary's token byte strings as a prefix tree laid out in
// preorder, so a walk that drops a dead subtree jumps past it in one step:
//   node i: byte[i] (edge from its parent), depth[i] (root 0), end[i] (one
//   past its subtree), tokens ids[first[i] .. first[i + 1]) ending there.
// Built once, then read-only (thread-safe to share).
// Owner: lib/grammar.
#pragma once

#include "grammar/matcher.h"

#include <cstdint>
#include <string>
#include <vector>

namespace loom {

class TokenTrie {
public:
    // pieces[id] is token id's bytes; empty pieces are left out.
    explicit TokenTrie(const std::vector<std::string> &pieces);

    size_t n_nodes() const { return byte_.size(); }

    // Calls allow(id) for every token whose whole byte string the matcher
    // accepts from `from` (one trie walk; cached transitions make it cheap).
    template <typename Allow>
    void walk(GrammarMatcher &m, GrammarMatcher::State from, Allow allow) const;

private:
    std::vector<uint8_t> byte_;
    std::vector<uint32_t> depth_;
    std::vector<uint32_t> end_;
    std::vector<uint32_t> first_;   // n_nodes + 1 entries
    std::vector<int32_t> ids_;
};

template <typename Allow>
void TokenTrie::walk(GrammarMatcher &m, GrammarMatcher::State from, Allow allow) const {
    std::vector<GrammarMatcher::State> at_depth(1, from);
    const size_t n = byte_.size();
    for (size_t i = 1; i < n;) {
        uint32_t d = depth_[i];
        GrammarMatcher::State s = m.step(at_depth[d - 1], byte_[i]);
        if (s == GrammarMatcher::kDead) {
            i = end_[i];
            continue;
        }
        if (at_depth.size() <= d) at_depth.resize(d + 1);
        at_depth[d] = s;
        for (uint32_t k = first_[i]; k < first_[i + 1]; k++) allow(ids_[k]);
        i++;
    }
}

} // namespace loom
