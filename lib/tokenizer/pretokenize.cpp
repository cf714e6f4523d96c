// The Qwen2 pre-tokenizer as a matcher: each alternative of the regex is
// tried in order at the current position, exactly as a backtracking regex
// engine would (the first alternative that matches wins, quantifiers greedy).
#include "tokenizer/pretokenize.h"

#include "tokenizer/unicode.h"

namespace loom {

namespace {

using unicode::flags;

bool is_letter(uint32_t cp) { return flags(cp) & unicode::kLetter; }
bool is_number(uint32_t cp) { return flags(cp) & unicode::kNumber; }
bool is_space(uint32_t cp) { return flags(cp) & unicode::kSpace; }
bool is_cr_lf(uint32_t cp) { return cp == '\r' || cp == '\n'; }
// [^\s\p{L}\p{N}]
bool is_other(uint32_t cp) { return !(flags(cp) & (unicode::kLetter | unicode::kNumber | unicode::kSpace)); }

uint32_t ascii_lower(uint32_t cp) { return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp; }

// (?i:'s|'t|'re|'ve|'m|'ll|'d): length of the match at i, 0 if none.
size_t match_contraction(const uint32_t *c, size_t i, size_t n) {
    if (c[i] != '\'' || i + 1 >= n) return 0;
    uint32_t a = ascii_lower(c[i + 1]);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 >= n) return 0;
    uint32_t b = ascii_lower(c[i + 2]);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

size_t skip_while(const uint32_t *c, size_t i, size_t n, bool (*pred)(uint32_t)) {
    while (i < n && pred(c[i])) ++i;
    return i;
}

// [^\r\n\p{L}\p{N}]?\p{L}+
size_t match_letters(const uint32_t *c, size_t i, size_t n) {
    size_t j = i;
    if (!is_letter(c[j])) {
        if (is_cr_lf(c[j]) || is_number(c[j]) || j + 1 >= n || !is_letter(c[j + 1])) return 0;
        ++j;
    }
    return skip_while(c, j, n, is_letter) - i;
}

// ' '?[^\s\p{L}\p{N}]+[\r\n]*
size_t match_other(const uint32_t *c, size_t i, size_t n) {
    size_t j = i;
    if (c[j] == ' ' && j + 1 < n && is_other(c[j + 1])) ++j;
    if (!is_other(c[j])) return 0;
    j = skip_while(c, j, n, is_other);
    return skip_while(c, j, n, is_cr_lf) - i;
}

// \s*[\r\n]+ | \s+(?!\S) | \s+ (c[i] is whitespace)
size_t match_space(const uint32_t *c, size_t i, size_t n) {
    size_t end = skip_while(c, i, n, is_space);
    // \s*[\r\n]+: \s* backs off to the last CR/LF of the run, [\r\n]+ takes it.
    for (size_t k = end; k > i; --k)
        if (is_cr_lf(c[k - 1])) return k - i;
    // \s+(?!\S): the whole run at the end of text, else all but its last space.
    if (end == n) return end - i;
    if (end - i >= 2) return end - 1 - i;
    return end - i;  // \s+
}

} // namespace

bool pre_tokenizer_from_name(std::string_view name, PreTokenizer *out) {
    if (name == "qwen2") {
        *out = PreTokenizer::Qwen2;
        return true;
    }
    return false;
}

size_t qwen2_match(const uint32_t *c, size_t i, size_t n) {
    if (size_t len = match_contraction(c, i, n)) return len;
    if (size_t len = match_letters(c, i, n)) return len;
    if (is_number(c[i])) return 1;
    if (size_t len = match_other(c, i, n)) return len;
    return match_space(c, i, n);  // only whitespace is left
}

void pre_tokenize(PreTokenizer kind, const uint32_t *cps, size_t n, std::vector<WordSpan> *out) {
    out->clear();
    (void)kind;  // one kind so far
    size_t i = 0;
    while (i < n) {
        size_t len = qwen2_match(cps, i, n);
        out->push_back({i, i + len});
        i += len;
    }
}

} // namespace loom
