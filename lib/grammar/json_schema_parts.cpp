// The converter's building blocks (json_schema.h): literals, exact integer
// ranges, bounded decimal numbers, strings that avoid a set of names.
#include "grammar/json_schema.h"

#include <map>

namespace loom {
namespace schema_gbnf {

namespace {

constexpr int kOpenDigits = 16;   // an open side of a range allows this many digits

std::string hex_escape(uint32_t cp) {
    return cp <= 0xFF ? format("\\x%02X", unsigned(cp)) : cp <= 0xFFFF ? format("\\u%04X", unsigned(cp))
                                                                       : format("\\U%08X", unsigned(cp));
}

std::string digit_class(char lo, char hi) {
    if (lo == hi) return std::string("\"") + lo + "\"";
    return std::string("[") + lo + "-" + hi + "]";
}

std::string any_digits(size_t n) {
    if (n == 0) return "";
    return n == 1 ? "[0-9]" : format("[0-9]{%zu}", n);
}

std::string join_alts(const std::vector<std::string> &alts) {
    if (alts.size() == 1) return alts[0];
    std::string out = "(";
    for (size_t i = 0; i < alts.size(); i++) out += (i ? " | " : "") + alts[i];
    return out + ")";
}

std::string seq(const std::string &a, const std::string &b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return a + " " + b;
}

// Digit strings of one length n from lo to hi (lo <= hi, same length).
std::string same_length(const std::string &lo, const std::string &hi) {
    size_t n = lo.size();
    if (n == 0) return "";
    if (lo == hi) return literal(lo);
    std::string rest_lo = lo.substr(1), rest_hi = hi.substr(1);
    if (rest_lo.find_first_not_of('0') == std::string::npos && rest_hi.find_first_not_of('9') == std::string::npos)
        return seq(digit_class(lo[0], hi[0]), any_digits(n - 1));
    if (lo[0] == hi[0]) return seq(digit_class(lo[0], lo[0]), same_length(rest_lo, rest_hi));
    std::vector<std::string> alts;
    alts.push_back(seq(digit_class(lo[0], lo[0]), same_length(rest_lo, std::string(n - 1, '9'))));
    if (lo[0] + 1 <= hi[0] - 1) alts.push_back(seq(digit_class(char(lo[0] + 1), char(hi[0] - 1)), any_digits(n - 1)));
    alts.push_back(seq(digit_class(hi[0], hi[0]), same_length(std::string(n - 1, '0'), rest_hi)));
    return join_alts(alts);
}

uint64_t pow10(size_t d) {
    uint64_t p = 1;
    while (d--) p *= 10;
    return p;
}

// Canonical decimals in [a, b] (b open: up to max(digits of a, 16) digits).
std::string nonneg_range(uint64_t a, std::optional<uint64_t> b) {
    size_t da = std::to_string(a).size();
    size_t db = b ? std::to_string(*b).size() : std::max<size_t>(da, kOpenDigits);
    std::vector<std::string> alts;
    auto span = [&](uint64_t lo, uint64_t hi) { alts.push_back(same_length(std::to_string(lo), std::to_string(hi))); };
    if (da == db) {
        span(a, b ? *b : pow10(da) - 1);
        return join_alts(alts);
    }
    span(a, pow10(da) - 1);
    size_t last_full = b ? db - 1 : db;   // lengths da+1 .. last_full are all allowed
    if (last_full >= da + 1)
        alts.push_back(last_full == da + 1 ? seq("[1-9]", any_digits(da))
                                           : format("[1-9] [0-9]{%zu,%zu}", da, last_full - 1));
    if (b) span(pow10(db - 1), *b);
    return join_alts(alts);
}

// Magnitudes m (written without sign) with intpart in [low, ...]: v >= A
// (or > A, as intpart >= A + 1), v <= B (or < B, as intpart <= B - 1).
std::string magnitude(uint64_t a, bool a_inclusive, std::optional<uint64_t> b, bool b_inclusive) {
    const std::string frac = "(\".\" [0-9]{1,16})?", zero_frac = "(\".\" \"0\"{1,16})?";
    uint64_t low = a_inclusive ? a : a + 1;
    if (!b) return seq(nonneg_range(low, std::nullopt), frac);
    std::vector<std::string> alts;
    if (*b >= 1 && low <= *b - 1) alts.push_back(seq(nonneg_range(low, *b - 1), frac));
    if (b_inclusive && low <= *b) alts.push_back(seq(literal(std::to_string(*b)), zero_frac));
    return alts.empty() ? "" : join_alts(alts);
}

struct TrieNode {
    bool terminal = false;
    std::map<uint32_t, size_t> children;   // code point -> node index
};

bool decode_utf8(std::string_view s, std::vector<uint32_t> *cps) {
    for (size_t i = 0; i < s.size();) {
        uint8_t c = uint8_t(s[i]);
        size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (i + n > s.size()) return false;
        uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
        for (size_t k = 1; k < n; k++) cp = (cp << 6) | (uint8_t(s[i + k]) & 0x3F);
        cps->push_back(cp);
        i += n;
    }
    return true;
}

bool key_char(uint32_t cp) { return cp != '"' && cp != '\\' && cp >= 0x20 && cp != 0x7F; }

} // namespace

std::string literal(std::string_view utf8) {
    std::string out = "\"";
    for (char ch : utf8) {
        uint8_t c = uint8_t(ch);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else if (c < 0x20 || c == 0x7F) {
            out += hex_escape(c);
        } else {
            out.push_back(ch);
        }
    }
    return out + "\"";
}

std::string integer_range(std::optional<int64_t> lo, std::optional<int64_t> hi) {
    std::vector<std::string> alts;
    if (!lo || *lo < 0) {   // negative values: "-" and a magnitude of at least 1
        uint64_t mag_lo = hi && *hi < 0 ? uint64_t(-*hi) : 1;
        std::optional<uint64_t> mag_hi;
        if (lo) mag_hi = uint64_t(-*lo);
        if (!mag_hi || mag_lo <= *mag_hi) alts.push_back(seq("\"-\"", nonneg_range(mag_lo, mag_hi)));
    }
    if (!hi || *hi >= 0) {
        uint64_t a = lo && *lo > 0 ? uint64_t(*lo) : 0;
        std::optional<uint64_t> b;
        if (hi) b = uint64_t(*hi);
        if (!b || a <= *b) alts.push_back(nonneg_range(a, b));
    }
    return alts.empty() ? "" : join_alts(alts);
}

std::string number_range(std::optional<int64_t> lo, bool lo_exclusive, std::optional<int64_t> hi,
                         bool hi_exclusive) {
    std::vector<std::string> alts;
    if (!lo || *lo < 0) {   // negative: magnitude within [max(-hi, 0), -lo]
        uint64_t a = hi && *hi < 0 ? uint64_t(-*hi) : 0;
        bool a_inclusive = !hi || *hi > 0 || !hi_exclusive;
        std::optional<uint64_t> b;
        if (lo) b = uint64_t(-*lo);
        std::string m = magnitude(a, a_inclusive, b, !lo_exclusive);
        if (!m.empty()) alts.push_back(seq("\"-\"", m));
    }
    if (!hi || *hi > 0 || (*hi == 0 && !hi_exclusive)) {   // non-negative: within [max(lo, 0), hi]
        uint64_t a = lo && *lo > 0 ? uint64_t(*lo) : 0;
        bool a_inclusive = !lo || *lo < 0 || !lo_exclusive;
        std::optional<uint64_t> b;
        if (hi) b = uint64_t(*hi);
        std::string m = magnitude(a, a_inclusive, b, !hi_exclusive);
        if (!m.empty()) alts.push_back(m);
    }
    return alts.empty() ? "" : join_alts(alts);
}

std::string key_excluding(const std::vector<std::string> &names, const AddRule &add_rule) {
    std::vector<TrieNode> nodes(1);
    for (const std::string &name : names) {
        std::vector<uint32_t> cps;
        if (!decode_utf8(name, &cps)) continue;
        bool reachable = true;
        for (uint32_t cp : cps) reachable = reachable && key_char(cp);
        if (!reachable) continue;   // a name no unescaped key can spell needs no exclusion
        size_t at = 0;
        for (uint32_t cp : cps) {
            auto it = nodes[at].children.find(cp);
            if (it == nodes[at].children.end()) {
                nodes.emplace_back();
                it = nodes[at].children.emplace(cp, nodes.size() - 1).first;
            }
            at = it->second;
        }
        nodes[at].terminal = true;
    }
    std::string tail = add_rule("key-char", "[^\"\\\\\\x00-\\x1F\\x7F]") + "* \"\\\"\"";
    std::vector<std::string> names_of(nodes.size());
    for (size_t i = nodes.size(); i-- > 0;) {   // children have higher indexes: define them first
        std::vector<std::string> alts;
        if (!nodes[i].terminal) alts.push_back("\"\\\"\"");
        std::string others = "[^\"\\\\\\x00-\\x1F\\x7F";
        for (const auto &[cp, child] : nodes[i].children) {
            alts.push_back("\"" + hex_escape(cp) + "\" " + names_of[child]);
            others += hex_escape(cp);
        }
        alts.push_back(others + "] " + tail);
        std::string body;
        for (size_t k = 0; k < alts.size(); k++) body += (k ? " | " : "") + alts[k];
        names_of[i] = add_rule("key", body);
    }
    return names_of[0];
}

} // namespace schema_gbnf
} // namespace loom
