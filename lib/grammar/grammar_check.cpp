// Structural checks of a Grammar (see grammar.h): rule references in range
// and no left recursion, so the matcher's leftmost expansion terminates.
// Both passes are linear in the grammar's size and iterative (no recursion
// that a deep grammar could overflow).
#include "grammar/grammar.h"

namespace loom {

namespace {

// alt_rule[a]: the rule owning alternative a; alt_end(a): one past its last symbol.
struct AltIndex {
    std::vector<uint32_t> starts;   // every alternative's start, in rule order
    std::vector<uint32_t> owner;    // its rule
};

AltIndex index_alts(const Grammar &g) {
    AltIndex ix;
    for (uint32_t r = 0; r < g.rules.size(); r++)
        for (uint32_t start : g.rules[r].alts) {
            ix.starts.push_back(start);
            ix.owner.push_back(r);
        }
    return ix;
}

// Rules that can match the empty string (a worklist over occurrence counts).
std::vector<bool> nullable_rules(const Grammar &g, const AltIndex &ix) {
    const uint32_t kNever = UINT32_MAX;
    std::vector<uint32_t> pending(ix.starts.size(), 0);
    std::vector<std::vector<uint32_t>> uses(g.rules.size());   // rule -> alternatives naming it (per occurrence)
    std::vector<uint32_t> ready;
    for (uint32_t a = 0; a < ix.starts.size(); a++) {
        for (uint32_t s = ix.starts[a]; g.symbols[s].kind != GrammarSymbol::End; s++) {
            if (g.symbols[s].kind == GrammarSymbol::Chars) {
                pending[a] = kNever;
                break;
            }
            pending[a]++;
            uses[g.symbols[s].index].push_back(a);
        }
        if (pending[a] == 0) ready.push_back(ix.owner[a]);
    }
    std::vector<bool> nullable(g.rules.size(), false);
    while (!ready.empty()) {
        uint32_t r = ready.back();
        ready.pop_back();
        if (nullable[r]) continue;
        nullable[r] = true;
        for (uint32_t a : uses[r])
            if (pending[a] != kNever && --pending[a] == 0) ready.push_back(ix.owner[a]);
    }
    return nullable;
}

// Rules reachable as the leftmost symbol (after nullable ones) of each rule.
std::vector<std::vector<uint32_t>> left_corners(const Grammar &g, const std::vector<bool> &nullable) {
    std::vector<std::vector<uint32_t>> edges(g.rules.size());
    for (uint32_t r = 0; r < g.rules.size(); r++)
        for (uint32_t s : g.rules[r].alts)
            for (; g.symbols[s].kind == GrammarSymbol::Rule; s++) {
                edges[r].push_back(g.symbols[s].index);
                if (!nullable[g.symbols[s].index]) break;
            }
    return edges;
}

Status report_cycle(const Grammar &g, const std::vector<std::pair<uint32_t, size_t>> &path, uint32_t back_to) {
    std::string chain;
    bool on = false;
    for (const auto &frame : path) {
        on = on || frame.first == back_to;
        if (on) chain += g.rules[frame.first].name + " -> ";
    }
    chain += g.rules[back_to].name;
    return error(LOOM_ERR_FORMAT, "rule '%s' is left-recursive (%s); rewrite it with repetition, e.g. x ::= y (op y)*",
                 g.rules[back_to].name.c_str(), chain.c_str());
}

// Depth-first search for a cycle in the left-corner graph, with an explicit stack.
Status find_left_recursion(const Grammar &g, const std::vector<std::vector<uint32_t>> &edges) {
    enum : uint8_t { kWhite, kGray, kBlack };
    std::vector<uint8_t> color(g.rules.size(), kWhite);
    std::vector<std::pair<uint32_t, size_t>> path;   // (rule, next edge)
    for (uint32_t start = 0; start < g.rules.size(); start++) {
        if (color[start] != kWhite) continue;
        color[start] = kGray;
        path.push_back({start, 0});
        while (!path.empty()) {
            auto &[r, next] = path.back();
            if (next == edges[r].size()) {
                color[r] = kBlack;
                path.pop_back();
                continue;
            }
            uint32_t to = edges[r][next++];
            if (color[to] == kGray) return report_cycle(g, path, to);
            if (color[to] == kWhite) {
                color[to] = kGray;
                path.push_back({to, 0});
            }
        }
    }
    return Status::ok();
}

} // namespace

Status validate_grammar(const Grammar &g) {
    if (g.root >= g.rules.size()) return error(LOOM_ERR_FORMAT, "the grammar's root rule %u does not exist", g.root);
    for (const GrammarRule &r : g.rules)
        for (uint32_t s : r.alts)
            if (s >= g.symbols.size()) return error(LOOM_ERR_FORMAT, "rule '%s' starts past the symbols", r.name.c_str());
    for (const GrammarSymbol &s : g.symbols) {
        size_t limit = s.kind == GrammarSymbol::Rule ? g.rules.size() : s.kind == GrammarSymbol::Chars ? g.classes.size() : 1;
        if (s.index >= limit) return error(LOOM_ERR_FORMAT, "a grammar symbol refers to a missing rule or class");
    }
    if (g.symbols.empty() || g.symbols.back().kind != GrammarSymbol::End)
        return error(LOOM_ERR_FORMAT, "the grammar's last alternative is not closed");
    AltIndex ix = index_alts(g);
    return find_left_recursion(g, left_corners(g, nullable_rules(g, ix)));
}

} // namespace loom
