// GBNF text -> Grammar (grammar.h). The format is llama.cpp's
// (grammars/README.md there): `name ::= alternatives` rules, `|`, groups,
// `*` `+` `?` `{m}` `{m,}` `{m,n}`, "literals", [classes] with ranges and
// `^`, `.` for any character, escapes \x.. \u.... \U........ \t \r \n \\ \"
// \[ \] \-, `#` comments. Newlines end a rule except inside parentheses and
// after `|` or `::=`. Token matches (`<...>`, `!<...>`) are not supported.
#include "grammar/grammar.h"

#include <unordered_map>

namespace loom {

namespace {

using Sequence = std::vector<GrammarSymbol>;
using Alternatives = std::vector<Sequence>;

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

class GbnfParser {
public:
    explicit GbnfParser(std::string_view src) : src_(src) {}

    Status parse(std::string_view root_name, Grammar *out);

private:
    struct PendingRule {
        std::string name;
        Alternatives alts;
        bool defined = false;
        size_t first_use = 0;   // source offset of the first reference
    };

    Status fail(size_t at, const std::string &what) const;
    bool at_end() const { return pos_ >= src_.size(); }
    char peek(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }
    void skip_space(bool newline_ok);

    Status parse_rule();
    Status parse_alternatives(bool nested, int depth, Alternatives *out);
    Status parse_sequence(bool nested, int depth, Sequence *out);
    Status parse_element(bool nested, int depth, Sequence *seq);
    Status parse_literal(Sequence *seq);
    Status parse_class(Sequence *seq);
    Status parse_name(std::string *name);
    Status parse_char(uint32_t *cp);
    Status parse_escape(uint32_t *cp);
    Status parse_hex(int digits, uint32_t *cp);
    Status parse_count(uint32_t *n);
    Status parse_braces(uint32_t *min, uint32_t *max);
    Status apply_repeat(Sequence *seq, size_t start, uint32_t min, uint32_t max);

    uint32_t rule_id(const std::string &name, size_t use_at);
    uint32_t new_rule(Alternatives alts);
    GrammarSymbol class_symbol(std::vector<std::pair<uint32_t, uint32_t>> ranges, bool negated);
    Status count_symbols(size_t n);
    Status build(std::string_view root_name, Grammar *out);

    std::string_view src_;
    size_t pos_ = 0;
    std::string current_;   // the rule being defined, for generated names
    std::vector<PendingRule> rules_;
    std::unordered_map<std::string, uint32_t> ids_;
    std::vector<CharClass> classes_;
    size_t n_symbols_ = 0;
};

Status GbnfParser::fail(size_t at, const std::string &what) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < src_.size(); i++) {
        if (src_[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return error(LOOM_ERR_FORMAT, "grammar line %zu, column %zu: %s", line, col, what.c_str());
}

void GbnfParser::skip_space(bool newline_ok) {
    while (!at_end()) {
        char c = peek();
        if (c == '#') {
            while (!at_end() && peek() != '\n' && peek() != '\r') pos_++;
        } else if (c == ' ' || c == '\t' || (newline_ok && (c == '\n' || c == '\r'))) {
            pos_++;
        } else {
            break;
        }
    }
}

Status GbnfParser::count_symbols(size_t n) {
    if (n > kGrammarMaxSymbols - n_symbols_)
        return fail(pos_, format("the grammar grows past %zu symbols (repetitions are expanded)", kGrammarMaxSymbols));
    n_symbols_ += n;
    return Status::ok();
}

uint32_t GbnfParser::rule_id(const std::string &name, size_t use_at) {
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    uint32_t id = uint32_t(rules_.size());
    rules_.push_back({name, {}, false, use_at});
    ids_.emplace(name, id);
    return id;
}

uint32_t GbnfParser::new_rule(Alternatives alts) {
    // A generated name the grammar already uses ("root-2" written by hand)
    // moves on to the next number (the same number again would loop forever).
    std::string name;
    size_t n = rules_.size();
    do {
        name = current_ + "-" + std::to_string(n++);
    } while (ids_.count(name));
    uint32_t id = rule_id(name, pos_);
    rules_[id].alts = std::move(alts);
    rules_[id].defined = true;
    return id;
}

GrammarSymbol GbnfParser::class_symbol(std::vector<std::pair<uint32_t, uint32_t>> ranges, bool negated) {
    classes_.push_back(make_char_class(std::move(ranges), negated));
    return {GrammarSymbol::Chars, uint32_t(classes_.size() - 1)};
}

Status GbnfParser::parse(std::string_view root_name, Grammar *out) {
    if (src_.size() > kGrammarMaxSourceBytes)
        return error(LOOM_ERR_FORMAT, "the grammar is %zu bytes, over the limit of %zu", src_.size(),
                     kGrammarMaxSourceBytes);
    skip_space(true);
    while (!at_end()) LOOM_TRY(parse_rule());
    return build(root_name, out);
}

Status GbnfParser::parse_name(std::string *name) {
    size_t start = pos_;
    while (!at_end() && is_name_char(peek())) pos_++;
    if (pos_ == start) return fail(pos_, "expected a rule name");
    name->assign(src_.substr(start, pos_ - start));
    return Status::ok();
}

Status GbnfParser::parse_rule() {
    size_t start = pos_;
    LOOM_TRY(parse_name(&current_));
    skip_space(false);
    if (src_.substr(pos_, 3) != "::=") return fail(pos_, "expected '::=' after rule name '" + current_ + "'");
    pos_ += 3;
    skip_space(true);
    if (rules_.size() >= kGrammarMaxRules) return fail(start, format("more than %zu rules", kGrammarMaxRules));
    uint32_t id = rule_id(current_, start);
    if (rules_[id].defined) return fail(start, "rule '" + current_ + "' is defined twice");
    rules_[id].defined = true;
    Alternatives alts;
    LOOM_TRY(parse_alternatives(false, 0, &alts));
    rules_[id].alts = std::move(alts);
    if (peek() == '\r') pos_++;
    if (peek() == '\n') {
        pos_++;
    } else if (!at_end()) {
        return fail(pos_, format("unexpected '%c' in rule '%s'", peek(), current_.c_str()));
    }
    skip_space(true);
    return Status::ok();
}

Status GbnfParser::parse_alternatives(bool nested, int depth, Alternatives *out) {
    out->emplace_back();
    LOOM_TRY(parse_sequence(nested, depth, &out->back()));
    while (peek() == '|') {
        pos_++;
        skip_space(true);
        out->emplace_back();
        LOOM_TRY(parse_sequence(nested, depth, &out->back()));
    }
    return count_symbols(out->size());   // one End per alternative
}

Status GbnfParser::parse_sequence(bool nested, int depth, Sequence *out) {
    for (;;) {
        size_t before = pos_;
        LOOM_TRY(parse_element(nested, depth, out));
        if (pos_ == before) return Status::ok();
        skip_space(nested);
    }
}

// One element and its repetition suffixes; leaves pos_ unmoved at the end of a sequence.
Status GbnfParser::parse_element(bool nested, int depth, Sequence *seq) {
    size_t start = seq->size();
    char c = peek();
    if (c == '"') {
        LOOM_TRY(parse_literal(seq));
    } else if (c == '[') {
        LOOM_TRY(parse_class(seq));
    } else if (c == '.') {
        pos_++;
        LOOM_TRY(count_symbols(1));
        seq->push_back(class_symbol({{0, kMaxCodePoint}}, false));
    } else if (is_name_char(c)) {
        size_t at = pos_;
        std::string name;
        LOOM_TRY(parse_name(&name));
        if (rules_.size() >= kGrammarMaxRules) return fail(at, format("more than %zu rules", kGrammarMaxRules));
        LOOM_TRY(count_symbols(1));
        seq->push_back({GrammarSymbol::Rule, rule_id(name, at)});
    } else if (c == '(') {
        if (depth >= kGrammarMaxNesting) return fail(pos_, format("groups nested deeper than %d", kGrammarMaxNesting));
        size_t open = pos_++;
        skip_space(true);
        Alternatives alts;
        LOOM_TRY(parse_alternatives(true, depth + 1, &alts));
        if (peek() != ')') return fail(at_end() ? open : pos_, at_end() ? "unclosed '('" : "expected ')'");
        pos_++;
        LOOM_TRY(count_symbols(1));
        seq->push_back({GrammarSymbol::Rule, new_rule(std::move(alts))});
    } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        return fail(pos_, format("'%c' with nothing before it to repeat", c));
    } else if (c == '<' || c == '!') {
        return fail(pos_, "token matches (<...>, !<...>) are not supported");
    } else {
        return Status::ok();   // '|', ')', a newline, the end, or junk the caller reports
    }
    for (skip_space(nested);; skip_space(nested)) {
        char r = peek();
        uint32_t min = 0, max = UINT32_MAX;   // UINT32_MAX: no upper bound
        if (r == '*') {
            pos_++;
        } else if (r == '+') {
            pos_++;
            min = 1;
        } else if (r == '?') {
            pos_++;
            max = 1;
        } else if (r == '{') {
            LOOM_TRY(parse_braces(&min, &max));
        } else {
            break;
        }
        LOOM_TRY(apply_repeat(seq, start, min, max));
    }
    return Status::ok();
}

Status GbnfParser::parse_literal(Sequence *seq) {
    size_t open = pos_++;
    while (peek() != '"') {
        if (at_end() || peek() == '\n' || peek() == '\r') return fail(open, "unterminated string literal");
        uint32_t cp = 0;
        LOOM_TRY(parse_char(&cp));
        LOOM_TRY(count_symbols(1));
        seq->push_back(class_symbol({{cp, cp}}, false));
    }
    pos_++;
    return Status::ok();
}

Status GbnfParser::parse_class(Sequence *seq) {
    size_t open = pos_++;
    bool negated = peek() == '^';
    if (negated) pos_++;
    std::vector<std::pair<uint32_t, uint32_t>> ranges;
    while (peek() != ']') {
        if (at_end()) return fail(open, "unterminated character class");
        size_t at = pos_;
        uint32_t lo = 0, hi = 0;
        LOOM_TRY(parse_char(&lo));
        hi = lo;
        if (peek() == '-' && peek(1) != ']' && pos_ + 1 < src_.size()) {
            pos_++;
            LOOM_TRY(parse_char(&hi));
            if (hi < lo) return fail(at, format("character range U+%04X-U+%04X is reversed", lo, hi));
        }
        ranges.push_back({lo, hi});
    }
    pos_++;
    if (ranges.empty()) return fail(open, "empty character class");
    LOOM_TRY(count_symbols(1));
    seq->push_back(class_symbol(std::move(ranges), negated));
    return Status::ok();
}

// One character of a literal or class: an escape or a UTF-8 sequence.
Status GbnfParser::parse_char(uint32_t *cp) {
    auto b = uint8_t(peek());
    if (b == '\\') return parse_escape(cp);
    size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || pos_ + len > src_.size()) return fail(pos_, "invalid UTF-8 in the grammar");
    uint32_t v = len == 1 ? b : b & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        auto c = uint8_t(src_[pos_ + i]);
        if ((c & 0xC0) != 0x80) return fail(pos_, "invalid UTF-8 in the grammar");
        v = (v << 6) | (c & 0x3F);
    }
    static const uint32_t kMinOfLen[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < kMinOfLen[len] || v > kMaxCodePoint || (v >= 0xD800 && v <= 0xDFFF))
        return fail(pos_, "invalid UTF-8 in the grammar");
    pos_ += len;
    *cp = v;
    return Status::ok();
}

Status GbnfParser::parse_escape(uint32_t *cp) {
    size_t at = pos_;
    pos_++;   // the backslash
    char e = peek();
    pos_++;
    switch (e) {
    case 'x': return parse_hex(2, cp);
    case 'u': return parse_hex(4, cp);
    case 'U': return parse_hex(8, cp);
    case 't': *cp = '\t'; return Status::ok();
    case 'r': *cp = '\r'; return Status::ok();
    case 'n': *cp = '\n'; return Status::ok();
    case '\\': case '"': case '[': case ']': case '-': *cp = uint8_t(e); return Status::ok();
    default:
        return fail(at, at + 1 < src_.size() ? format("unknown escape '\\%c'", e) : "unfinished escape");
    }
}

Status GbnfParser::parse_hex(int digits, uint32_t *cp) {
    size_t at = pos_;
    uint32_t v = 0;
    for (int i = 0; i < digits; i++) {
        char c = peek();
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return fail(pos_, format("expected %d hex digits", digits));
        v = (v << 4) | uint32_t(d);
        pos_++;
    }
    if (v > kMaxCodePoint) return fail(at, format("code point 0x%X is past U+10FFFF", v));
    *cp = v;
    return Status::ok();
}

Status GbnfParser::parse_count(uint32_t *n) {
    size_t start = pos_;
    uint64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
        v = v * 10 + uint64_t(peek() - '0');
        if (v > kGrammarMaxRepeat) return fail(start, format("repetition count over %u", kGrammarMaxRepeat));
        pos_++;
    }
    if (pos_ == start) return fail(pos_, "expected a number in '{...}'");
    *n = uint32_t(v);
    return Status::ok();
}

// {m}, {m,} or {m,n}
Status GbnfParser::parse_braces(uint32_t *min, uint32_t *max) {
    size_t open = pos_++;
    skip_space(true);
    LOOM_TRY(parse_count(min));
    skip_space(true);
    *max = *min;
    if (peek() == ',') {
        pos_++;
        skip_space(true);
        *max = UINT32_MAX;
        if (peek() != '}') LOOM_TRY(parse_count(max));
        skip_space(true);
    }
    if (peek() != '}') return fail(at_end() ? open : pos_, "expected '}'");
    pos_++;
    if (*max < *min) return fail(open, format("repetition {%u,%u} has max < min", *min, *max));
    return Status::ok();
}

// Replaces seq[start..] (the element X) by min copies of X, then
//   unbounded: R with R ::= X R | ""
//   bounded:   k = max - min nested optionals O_k with O_i ::= X O_(i-1) | "" (O_0 empty)
Status GbnfParser::apply_repeat(Sequence *seq, size_t start, uint32_t min, uint32_t max) {
    Sequence x(seq->begin() + long(start), seq->end());
    seq->resize(start);
    size_t copies = size_t(min) + (max == UINT32_MAX ? 1 : size_t(max - min));
    LOOM_TRY(count_symbols(copies * (x.size() + 3)));
    for (uint32_t i = 0; i < min; i++) seq->insert(seq->end(), x.begin(), x.end());
    if (max == UINT32_MAX) {
        uint32_t r = new_rule({});
        Sequence loop = x;
        loop.push_back({GrammarSymbol::Rule, r});
        rules_[r].alts = {loop, {}};
        seq->push_back({GrammarSymbol::Rule, r});
        return Status::ok();
    }
    if (max == min) return Status::ok();
    if (rules_.size() + (max - min) > kGrammarMaxRules) return fail(pos_, format("more than %zu rules", kGrammarMaxRules));
    uint32_t inner = new_rule({x, {}});
    for (uint32_t i = 1; i < max - min; i++) {
        Sequence more = x;
        more.push_back({GrammarSymbol::Rule, inner});
        inner = new_rule({more, {}});
    }
    seq->push_back({GrammarSymbol::Rule, inner});
    return Status::ok();
}

Status GbnfParser::build(std::string_view root_name, Grammar *out) {
    for (const PendingRule &r : rules_)
        if (!r.defined) return fail(r.first_use, "rule '" + r.name + "' is used but never defined");
    auto root = ids_.find(std::string(root_name));
    if (root == ids_.end())
        return error(LOOM_ERR_FORMAT, "the grammar has no rule named '%.*s' to start from", int(root_name.size()),
                     root_name.data());
    Grammar g;
    g.root = root->second;
    g.classes = std::move(classes_);
    for (PendingRule &r : rules_) {
        GrammarRule rule{std::move(r.name), {}};
        for (const Sequence &alt : r.alts) {
            rule.alts.push_back(uint32_t(g.symbols.size()));
            g.symbols.insert(g.symbols.end(), alt.begin(), alt.end());
            g.symbols.push_back({GrammarSymbol::End, 0});
        }
        g.rules.push_back(std::move(rule));
    }
    LOOM_TRY(validate_grammar(g));
    *out = std::move(g);
    return Status::ok();
}

} // namespace

Status parse_gbnf(std::string_view text, std::string_view root_name, Grammar *out) {
    return GbnfParser(text).parse(root_name, out);
}

} // namespace loom
