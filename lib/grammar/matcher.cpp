// The grammar matcher (see matcher.h).
#include "grammar/matcher.h"

#include <algorithm>
#include <cstring>

namespace loom {

namespace {

constexpr uint32_t kMinOfLen[5] = {0, 0, 0x80, 0x800, 0x10000};

uint64_t pair_key(uint32_t a, uint32_t b) { return (uint64_t(a) << 32) | b; }

bool is_valid_scalar(uint32_t cp, uint8_t len) {
    return cp >= kMinOfLen[len] && cp <= kMaxCodePoint && !(cp >= 0xD800 && cp <= 0xDFFF);
}

} // namespace

GrammarMatcher::GrammarMatcher(Grammar grammar) : g_(std::move(grammar)) { reset_caches(); }

void GrammarMatcher::reset_caches() {
    nodes_.assign(1, Node{UINT32_MAX, 0, 0});
    node_ids_.clear();
    states_.clear();
    state_ids_.clear();
    states_.emplace_back();   // kDead
    start_ = kDead;
}

uint32_t GrammarMatcher::intern_node(uint32_t pos, uint32_t parent) {
    auto [it, fresh] = node_ids_.emplace(pair_key(pos, parent), uint32_t(nodes_.size()));
    if (fresh) nodes_.push_back({pos, parent, nodes_[parent].depth + 1});
    return it->second;
}

// Appends the normalized stacks for "match from symbol `pos`, then continue
// with stack `parent`": expands rule references at the front (left recursion
// is refused by validate_grammar, so this ends) and pops finished
// alternatives. A worklist, not recursion: popping out of deep nesting walks
// as many levels as the text opened, which must not cost C stack.
void GrammarMatcher::normalize(uint32_t pos, uint32_t parent, std::vector<uint32_t> *out) {
    work_.assign(1, {pos, parent});
    while (!work_.empty()) {
        auto [p, par] = work_.back();
        work_.pop_back();
        if (!visited_.insert(pair_key(p, par)).second) continue;
        const GrammarSymbol &sym = g_.symbols[p];
        if (sym.kind == GrammarSymbol::End) {
            if (par == 0)
                out->push_back(0);
            else
                work_.push_back({nodes_[par].pos, nodes_[par].parent});
            continue;
        }
        if (nodes_[par].depth >= kMaxDepth) {
            overflow_ = "the text nests the grammar's rules deeper than " + std::to_string(kMaxDepth);
            continue;
        }
        if (sym.kind == GrammarSymbol::Chars) {
            out->push_back(intern_node(p, par));
            continue;
        }
        // A rule: continue after it (the alternative's last symbol: a tail call, no push).
        uint32_t cont = g_.symbols[p + 1].kind == GrammarSymbol::End ? par : intern_node(p + 1, par);
        for (uint32_t alt : g_.rules[sym.index].alts) work_.push_back({alt, cont});
    }
}

GrammarMatcher::State GrammarMatcher::intern_state(std::vector<uint32_t> stacks, uint32_t cp, uint8_t need,
                                                   uint8_t len, bool whole) {
    std::sort(stacks.begin(), stacks.end());
    stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
    if (stacks.empty()) return kDead;
    if (stacks.size() > kMaxStacks) {
        overflow_ = "the grammar is too ambiguous here: more than " + std::to_string(kMaxStacks) + " parses at once";
        return kDead;
    }
    if (whole) cp = 0;
    std::string key(6 + 4 * stacks.size(), '\0');
    std::memcpy(&key[0], &cp, 4);
    key[4] = char(need | (whole ? 0x80 : 0));
    key[5] = char(len);
    std::memcpy(&key[6], stacks.data(), 4 * stacks.size());
    auto [it, fresh] = state_ids_.emplace(std::move(key), State(states_.size()));
    if (fresh) {
        DState d;
        d.stacks = std::move(stacks);
        d.cp = cp;
        d.need = need;
        d.len = len;
        d.whole = whole;
        states_.push_back(std::move(d));
    }
    return it->second;
}

GrammarMatcher::State GrammarMatcher::start() {
    if (start_ != kDead) return start_;
    std::vector<uint32_t> stacks;
    visited_.clear();
    for (uint32_t alt : g_.rules[g_.root].alts) normalize(alt, 0, &stacks);
    start_ = intern_state(std::move(stacks), 0, 0, 0);
    if (overflow()) start_ = kDead;
    return start_;
}

bool GrammarMatcher::can_end(State s) const {
    const DState &d = states_[s];
    return s != kDead && d.need == 0 && !d.stacks.empty() && d.stacks[0] == 0;
}

GrammarMatcher::State GrammarMatcher::step_slow(State s, uint8_t byte) {
    if (s == kDead) return kDead;
    if (!states_[s].next) {
        states_[s].next.reset(new int32_t[256]);
        std::fill_n(states_[s].next.get(), 256, -1);
    }
    int32_t cached = states_[s].next[byte];
    if (cached >= 0) return State(cached);
    State t = compute(s, byte);
    if (overflow()) return kDead;
    states_[s].next[byte] = int32_t(t);   // states_ may have grown: index again
    return t;
}

GrammarMatcher::State GrammarMatcher::step_all(State s, const std::string &bytes) {
    for (char c : bytes) s = step(s, uint8_t(c));
    return s;
}

GrammarMatcher::State GrammarMatcher::compute(State s, uint8_t b) {
    const DState &d = states_[s];
    if (d.need == 0) {
        if (b < 0x80) return complete(d, b);
        if (b >= 0xC2 && b <= 0xDF) return prune(d, b & 0x1Fu, 1, 2);
        if (b >= 0xE0 && b <= 0xEF) return prune(d, b & 0x0Fu, 2, 3);
        if (b >= 0xF0 && b <= 0xF4) return prune(d, b & 0x07u, 3, 4);
        return kDead;
    }
    if ((b & 0xC0) != 0x80) return kDead;
    if (d.whole) return d.need == 1 ? complete(d, 0) : intern_state(d.stacks, 0, uint8_t(d.need - 1), d.len, true);
    uint32_t cp = (d.cp << 6) | (b & 0x3Fu);
    if (d.need == 1) return is_valid_scalar(cp, d.len) ? complete(d, cp) : kDead;
    return prune(d, cp, uint8_t(d.need - 1), d.len);
}

// Inside a UTF-8 sequence: keeps the stacks whose class meets some valid
// completion of the code point prefix `cp` (`need` more bytes).
GrammarMatcher::State GrammarMatcher::prune(const DState &d, uint32_t cp, uint8_t need, uint8_t len) {
    uint32_t lo = std::max(cp << (6 * need), kMinOfLen[len]);
    uint32_t hi = std::min((cp << (6 * need)) | ((1u << (6 * need)) - 1), kMaxCodePoint);
    if (lo > hi || (lo >= 0xD800 && hi <= 0xDFFF)) return kDead;
    std::vector<uint32_t> keep;
    // Whole: every byte that decides validity is read (after the lead, only E0 ED F0 F4
    // restrict the next byte; the checks above then kill what is invalid), and every
    // kept class holds all of [lo, hi].
    bool lead_restricts = need == len - 1 && ((len == 3 && (cp == 0x0 || cp == 0xD)) || (len == 4 && (cp == 0x0 || cp == 0x4)));
    bool whole = !lead_restricts;
    for (uint32_t id : d.stacks) {
        if (id == 0) continue;
        const CharClass &cls = g_.classes[g_.symbols[nodes_[id].pos].index];
        if (!cls.intersects(lo, hi)) continue;
        keep.push_back(id);
        whole = whole && cls.covers(lo, hi);
    }
    return intern_state(std::move(keep), cp, need, len, whole);
}

// A whole code point: advances every stack whose top class contains it.
GrammarMatcher::State GrammarMatcher::complete(const DState &d, uint32_t cp) {
    std::vector<uint32_t> next;
    visited_.clear();
    for (uint32_t id : d.stacks) {
        if (id == 0) continue;
        const Node n = nodes_[id];
        if (d.whole || g_.classes[g_.symbols[n.pos].index].contains(cp)) normalize(n.pos + 1, n.parent, &next);
    }
    return intern_state(std::move(next), 0, 0, 0);
}

GrammarMatcher::State GrammarMatcher::compact(State keep) {
    // Each kept stack as its positions, bottom first; then everything is rebuilt.
    const DState &d = states_[keep];
    std::vector<std::vector<uint32_t>> paths;
    for (uint32_t id : d.stacks) {
        std::vector<uint32_t> path;
        for (uint32_t n = id; n != 0; n = nodes_[n].parent) path.push_back(nodes_[n].pos);
        std::reverse(path.begin(), path.end());
        paths.push_back(std::move(path));
    }
    uint32_t cp = d.cp;
    uint8_t need = d.need, len = d.len;
    bool whole = d.whole;
    bool was_start = keep == start_;
    reset_caches();
    std::vector<uint32_t> stacks;
    for (const auto &path : paths) {
        uint32_t id = 0;
        for (uint32_t pos : path) id = intern_node(pos, id);
        stacks.push_back(id);
    }
    State s = intern_state(std::move(stacks), cp, need, len, whole);
    if (was_start) start_ = s;
    return s;
}

} // namespace loom
