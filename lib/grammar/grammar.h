// A context-free grammar over Unicode code points, as parsed from GBNF
// (llama.cpp's grammar format, gbnf_parser.cpp) and matched byte by byte by
// GrammarMatcher (matcher.h).
//
// Shape: every alternative of every rule is a run of symbols in one flat
// array, closed by an End symbol:
//   symbols = [ a0 a1 End | b0 End | End (the empty alternative) | ... ]
//   rules[r].alts = start indexes of rule r's alternatives in `symbols`
// A symbol is a reference to a rule or a character class. Repetitions,
// groups and optionals are lowered to generated rules by the parser.
//
// Guarantees a parsed Grammar gives (checked by validate_grammar):
// every referenced rule is defined, no rule is left-recursive (directly,
// indirectly, or behind nullable symbols), `root` names a rule. So expanding
// the leftmost rule references of any position always terminates.
// Owner: lib/grammar.
#pragma once

#include "common/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;

// Limits: a grammar past these is refused with an error naming the limit.
constexpr size_t kGrammarMaxSourceBytes = size_t(1) << 20;
constexpr size_t kGrammarMaxSymbols = size_t(1) << 20;
constexpr size_t kGrammarMaxRules = 65536;
constexpr int kGrammarMaxNesting = 64;     // parentheses inside parentheses
constexpr uint32_t kGrammarMaxRepeat = 4096; // m and n of {m,n}

// A set of code points: sorted, disjoint, non-adjacent inclusive ranges.
struct CharClass {
    std::vector<std::pair<uint32_t, uint32_t>> ranges;

    bool contains(uint32_t cp) const;
    // True when some code point in [lo, hi] is in the set.
    bool intersects(uint32_t lo, uint32_t hi) const;
    // True when every code point in [lo, hi] is in the set.
    bool covers(uint32_t lo, uint32_t hi) const;
};

// Sorts and merges `ranges` (lo <= hi each), complemented over
// [0, kMaxCodePoint] when `negated`.
CharClass make_char_class(std::vector<std::pair<uint32_t, uint32_t>> ranges, bool negated);

struct GrammarSymbol {
    enum Kind : uint8_t { End, Rule, Chars };
    Kind kind;
    uint32_t index;   // Rule: the rule id; Chars: the class id; End: unused
};

struct GrammarRule {
    std::string name;               // as written, or "<parent>-N" for generated rules
    std::vector<uint32_t> alts;     // start of each alternative in Grammar::symbols
};

struct Grammar {
    std::vector<GrammarSymbol> symbols;
    std::vector<GrammarRule> rules;
    std::vector<CharClass> classes;
    uint32_t root = 0;
};

// Parses GBNF text (`root_name` names the start rule; usually "root").
// Errors: FORMAT with "line L, column C: ..." for malformed text, undefined
// or duplicate rules, left recursion, or a limit above exceeded.
Status parse_gbnf(std::string_view text, std::string_view root_name, Grammar *out);

// The structural checks parse_gbnf runs last (see the file comment).
// Errors: FORMAT naming the rule.
Status validate_grammar(const Grammar &g);

} // namespace loom
