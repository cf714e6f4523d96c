// A recursive-descent JSON reader over a bounds-checked cursor (json_reader.h).
#include "common/json_reader.h"

#include "common/utf8.h"

#include <charconv>
#include <cmath>
#include <unordered_set>

namespace loom {

namespace {

class JsonReader {
public:
    explicit JsonReader(std::string_view s) : s_(s) {}

    Status document(JsonValue *out) {
        skip_space();
        LOOM_TRY(value(out, 0));
        skip_space();
        if (pos_ != s_.size()) return fail("unexpected text after the value");
        return Status::ok();
    }

private:
    std::string_view s_;
    size_t pos_ = 0;

    Status fail(const char *what) const { return error(LOOM_ERR_FORMAT, "JSON at byte %zu: %s", pos_, what); }
    bool at_end() const { return pos_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[pos_]; }

    void skip_space() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) pos_++;
    }

    bool take_word(std::string_view w) {
        if (s_.substr(pos_, w.size()) != w) return false;
        pos_ += w.size();
        return true;
    }

    Status value(JsonValue *out, int depth) {
        char c = peek();
        if (c == '{' || c == '[') {
            if (depth >= kJsonMaxDepth) return fail("nesting deeper than 64 levels");
            return c == '{' ? object(out, depth + 1) : array(out, depth + 1);
        }
        if (c == '"') {
            out->kind = JsonValue::String;
            return string(&out->text);
        }
        if (c == '-' || (c >= '0' && c <= '9')) return number(out);
        if (take_word("true")) { out->kind = JsonValue::Bool; out->boolean = true; return Status::ok(); }
        if (take_word("false")) { out->kind = JsonValue::Bool; out->boolean = false; return Status::ok(); }
        if (take_word("null")) { out->kind = JsonValue::Null; return Status::ok(); }
        return fail(at_end() ? "unexpected end of text, a value expected" : "a value expected");
    }

    Status object(JsonValue *out, int depth) {
        out->kind = JsonValue::Object;
        pos_++;
        skip_space();
        if (peek() == '}') { pos_++; return Status::ok(); }
        std::unordered_set<std::string> seen;
        for (;;) {
            if (peek() != '"') return fail("an object key (a string) expected");
            size_t key_at = pos_;
            std::string key;
            LOOM_TRY(string(&key));
            if (!seen.insert(key).second) return error(LOOM_ERR_FORMAT, "JSON at byte %zu: duplicate key '%s'", key_at, key.c_str());
            skip_space();
            if (peek() != ':') return fail("':' expected after an object key");
            pos_++;
            skip_space();
            out->keys.push_back(std::move(key));
            out->items.emplace_back();
            LOOM_TRY(value(&out->items.back(), depth));
            skip_space();
            if (peek() == '}') { pos_++; return Status::ok(); }
            if (peek() != ',') return fail("',' or '}' expected in an object");
            pos_++;
            skip_space();
        }
    }

    Status array(JsonValue *out, int depth) {
        out->kind = JsonValue::Array;
        pos_++;
        skip_space();
        if (peek() == ']') { pos_++; return Status::ok(); }
        for (;;) {
            out->items.emplace_back();
            LOOM_TRY(value(&out->items.back(), depth));
            skip_space();
            if (peek() == ']') { pos_++; return Status::ok(); }
            if (peek() != ',') return fail("',' or ']' expected in an array");
            pos_++;
            skip_space();
        }
    }

    size_t digits() {
        size_t start = pos_;
        while (!at_end() && peek() >= '0' && peek() <= '9') pos_++;
        return pos_ - start;
    }

    Status number(JsonValue *out) {
        size_t start = pos_;
        if (peek() == '-') pos_++;
        if (peek() == '0') pos_++;
        else if (digits() == 0) return fail("a digit expected in a number");
        if (peek() == '.') {
            pos_++;
            if (digits() == 0) return fail("a digit expected after '.'");
        }
        if (peek() == 'e' || peek() == 'E') {
            pos_++;
            if (peek() == '+' || peek() == '-') pos_++;
            if (digits() == 0) return fail("a digit expected in an exponent");
        }
        out->kind = JsonValue::Number;
        out->text.assign(s_.substr(start, pos_ - start));
        auto r = std::from_chars(out->text.data(), out->text.data() + out->text.size(), out->number);
        if (r.ec == std::errc::result_out_of_range) {   // past a double: infinity, or zero when it underflows
            bool tiny = out->text.find("e-") != std::string::npos || out->text.find("E-") != std::string::npos;
            out->number = tiny ? 0.0 : out->text[0] == '-' ? -HUGE_VAL : HUGE_VAL;
        }
        return Status::ok();
    }

    bool hex4(uint32_t *v) {
        if (s_.size() - pos_ < 4) return false;
        *v = 0;
        for (int i = 0; i < 4; i++) {
            char c = s_[pos_++];
            uint32_t d = c >= '0' && c <= '9' ? uint32_t(c - '0')
                       : c >= 'a' && c <= 'f' ? uint32_t(c - 'a' + 10)
                       : c >= 'A' && c <= 'F' ? uint32_t(c - 'A' + 10) : 16;
            if (d == 16) return false;
            *v = *v * 16 + d;
        }
        return true;
    }

    Status escape(std::string *out) {
        char c = peek();
        pos_++;
        switch (c) {
        case '"': case '\\': case '/': out->push_back(c); return Status::ok();
        case 'b': out->push_back('\b'); return Status::ok();
        case 'f': out->push_back('\f'); return Status::ok();
        case 'n': out->push_back('\n'); return Status::ok();
        case 'r': out->push_back('\r'); return Status::ok();
        case 't': out->push_back('\t'); return Status::ok();
        case 'u': break;
        default: pos_--; return fail("an unknown escape in a string");
        }
        uint32_t cp = 0, lo = 0;
        if (!hex4(&cp)) return fail("four hex digits expected after \\u");
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("a lone low surrogate escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!take_word("\\u") || !hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF)
                return fail("a high surrogate escape without its low half");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        append_utf8(cp, out);
        return Status::ok();
    }

    // Length of the well-formed UTF-8 sequence at pos_ (lead byte >= 0x80), or 0.
    size_t utf8_length() const {
        auto b = [&](size_t i) { return pos_ + i < s_.size() ? uint8_t(s_[pos_ + i]) : 0; };
        auto cont = [&](size_t i) { return (b(i) & 0xC0) == 0x80; };
        uint8_t c = b(0);
        if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
        if (c >= 0xE0 && c <= 0xEF) {
            if (!cont(1) || !cont(2)) return 0;
            if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) >= 0xA0)) return 0;   // overlong, surrogate
            return 3;
        }
        if (c >= 0xF0 && c <= 0xF4) {
            if (!cont(1) || !cont(2) || !cont(3)) return 0;
            if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) >= 0x90)) return 0;   // overlong, past U+10FFFF
            return 4;
        }
        return 0;
    }

    Status string(std::string *out) {
        pos_++;
        for (;;) {
            if (at_end()) return fail("unterminated string");
            uint8_t c = uint8_t(peek());
            if (c == '"') { pos_++; return Status::ok(); }
            if (c < 0x20) return fail("a control character inside a string");
            if (c == '\\') {
                pos_++;
                LOOM_TRY(escape(out));
            } else if (c < 0x80) {
                out->push_back(char(c));
                pos_++;
            } else {
                size_t n = utf8_length();
                if (n == 0) return fail("invalid UTF-8 in a string");
                out->append(s_.substr(pos_, n));
                pos_ += n;
            }
        }
    }
};

void write_string(const std::string &s, std::string *out) {
    static const char kHex[] = "0123456789abcdef";
    out->push_back('"');
    for (char ch : s) {
        uint8_t c = uint8_t(ch);
        if (c == '"' || c == '\\') {
            out->push_back('\\');
            out->push_back(ch);
        } else if (c < 0x20) {
            *out += "\\u00";
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 15]);
        } else {
            out->push_back(ch);
        }
    }
    out->push_back('"');
}

void write_value(const JsonValue &v, std::string *out) {
    switch (v.kind) {
    case JsonValue::Null: *out += "null"; break;
    case JsonValue::Bool: *out += v.boolean ? "true" : "false"; break;
    case JsonValue::Number: *out += v.text; break;
    case JsonValue::String: write_string(v.text, out); break;
    case JsonValue::Array:
        out->push_back('[');
        for (size_t i = 0; i < v.items.size(); i++) {
            if (i) out->push_back(',');
            write_value(v.items[i], out);
        }
        out->push_back(']');
        break;
    case JsonValue::Object:
        out->push_back('{');
        for (size_t i = 0; i < v.items.size(); i++) {
            if (i) out->push_back(',');
            write_string(v.keys[i], out);
            out->push_back(':');
            write_value(v.items[i], out);
        }
        out->push_back('}');
        break;
    }
}

} // namespace

const JsonValue *JsonValue::find(std::string_view key) const {
    if (kind != Object) return nullptr;
    for (size_t i = 0; i < keys.size(); i++)
        if (keys[i] == key) return &items[i];
    return nullptr;
}

bool JsonValue::is_integer_literal() const {
    return kind == Number && text.find_first_of(".eE") == std::string::npos;
}

Status parse_json(std::string_view text, JsonValue *out) {
    if (text.size() > kJsonMaxBytes)
        return error(LOOM_ERR_FORMAT, "JSON text of %zu bytes is over the limit of %zu", text.size(), kJsonMaxBytes);
    JsonValue v;
    LOOM_TRY(JsonReader(text).document(&v));
    *out = std::move(v);
    return Status::ok();
}

std::string write_json(const JsonValue &v) {
    std::string out;
    write_value(v, &out);
    return out;
}

} // namespace loom
