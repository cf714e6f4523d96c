// GrammarMatcher: runs a Grammar (grammar.h) over UTF-8 bytes, one byte at a
// time, as a lazily built deterministic automaton.
//
// A parse position is a stack of grammar positions (the next symbol to match
// in each open alternative, innermost on top), kept normalized: its top is a
// character class, or the stack is empty (the grammar may end here). Stacks
// are persistent lists in an arena, hash-consed, so equal stacks have equal
// ids and pushing shares the tail. A matcher state is a set of stacks plus
// the UTF-8 sequence read so far (its code point prefix and the bytes still
// needed); while a sequence is incomplete, stacks whose class cannot contain
// any completion are dropped. Once every surviving stack's class holds every
// completion (and the bytes read so far make any completion valid UTF-8), the
// code point bits are forgotten ("whole"), so the thousands of CJK prefixes a
// vocabulary holds share one state inside e.g. a JSON string. States are interned and every (state, byte)
// transition is cached, so a byte already seen from a state costs one load:
// walking a token trie from a state that recurs is mostly cache hits.
//
// Ill-formed UTF-8 (overlong forms, surrogates, past U+10FFFF, stray
// continuation bytes) never matches.
//
// Not thread-safe: one matcher per sampler stage, used by one thread at a time.
// Owner: lib/grammar.
#pragma once

#include "grammar/grammar.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace loom {

class GrammarMatcher {
public:
    using State = uint32_t;
    static constexpr State kDead = 0;            // no parse survives
    static constexpr size_t kMaxStacks = 4096;   // per state: more is "too ambiguous"
    static constexpr uint32_t kMaxDepth = 8192;  // nesting of one stack
    static constexpr size_t kMaxStates = 16384;  // cached states before compact() is due
    static constexpr size_t kMaxNodes = size_t(1) << 22;

    explicit GrammarMatcher(Grammar grammar);

    // The state before any byte.
    State start();
    // The state after `byte`, or kDead. A limit hit also gives kDead and
    // makes overflow() true until reset_overflow().
    State step(State s, uint8_t byte) {
        const int32_t *row = states_[s].next.get();
        return row && row[byte] >= 0 ? State(row[byte]) : step_slow(s, byte);
    }
    State step_all(State s, const std::string &bytes);
    // True when the bytes so far form a complete sentence of the grammar.
    bool can_end(State s) const;

    // A limit above was hit (the grammar is too ambiguous or nests too deep
    // for the text); the message says which.
    bool overflow() const { return !overflow_.empty(); }
    const std::string &overflow_message() const { return overflow_; }
    void reset_overflow() { overflow_.clear(); }

    // True when the caches have grown past their limits; compact() then
    // drops every cached state but `keep`, and returns keep's new id.
    bool needs_compact() const { return states_.size() > kMaxStates || nodes_.size() > kMaxNodes; }
    State compact(State keep);

    const Grammar &grammar() const { return g_; }

private:
    struct Node {
        uint32_t pos;      // index into g_.symbols
        uint32_t parent;   // node id; 0 is the empty stack
        uint32_t depth;
    };
    struct DState {
        std::vector<uint32_t> stacks;   // sorted node ids (0: the empty stack)
        uint32_t cp = 0;                // code point bits read so far
        uint8_t need = 0;               // continuation bytes still expected
        uint8_t len = 0;                // length of the sequence being read
        bool whole = false;             // every completion advances every stack (cp not kept)
        std::unique_ptr<int32_t[]> next;   // 256 cached transitions, -1 unknown
    };

    uint32_t intern_node(uint32_t pos, uint32_t parent);
    void normalize(uint32_t pos, uint32_t parent, std::vector<uint32_t> *out);
    State step_slow(State s, uint8_t byte);
    State intern_state(std::vector<uint32_t> stacks, uint32_t cp, uint8_t need, uint8_t len, bool whole = false);
    State compute(State s, uint8_t byte);
    State complete(const DState &d, uint32_t cp);
    State prune(const DState &d, uint32_t cp, uint8_t need, uint8_t len);
    void reset_caches();

    Grammar g_;
    std::vector<Node> nodes_;
    std::unordered_map<uint64_t, uint32_t> node_ids_;
    std::vector<DState> states_;
    std::unordered_map<std::string, State> state_ids_;
    std::unordered_set<uint64_t> visited_;   // normalize()'s (pos, parent) pairs this expansion
    std::vector<std::pair<uint32_t, uint32_t>> work_;   // normalize()'s worklist
    State start_ = kDead;
    std::string overflow_;
};

} // namespace loom
