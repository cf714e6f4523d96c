// Strict JSON reader (see json.h).
#include "json.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cli {

namespace {

class Parser {
public:
    explicit Parser(std::string_view t) : text_(t) {}

    bool parse(JsonValue *out, std::string *error) {
        bool ok = value(out, 0) && (skip_ws(), pos_ == text_.size() || fail("text after the JSON value"));
        if (!ok) *error = message_;
        return ok;
    }

private:
    bool fail(const char *what) {
        if (!message_.empty()) return false;
        size_t line = 1, col = 1;
        for (size_t i = 0; i < pos_ && i < text_.size(); ++i, ++col)
            if (text_[i] == '\n') line++, col = 0;
        message_ = "line " + std::to_string(line) + " col " + std::to_string(col) + ": " + what;
        return false;
    }
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    void skip_ws() {
        while (!at_end() && std::strchr(" \t\r\n", text_[pos_]) && text_[pos_]) pos_++;
    }
    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return fail("invalid literal");
        pos_ += word.size();
        return true;
    }

    bool value(JsonValue *v, int depth) {
        if (depth > 128) return fail("nesting deeper than 128");
        skip_ws();
        switch (peek()) {
        case '{': return object(v, depth);
        case '[': return array(v, depth);
        case '"': v->kind = JsonValue::String; return string(&v->string);
        case 't': v->kind = JsonValue::Bool; v->boolean = true; return literal("true");
        case 'f': v->kind = JsonValue::Bool; v->boolean = false; return literal("false");
        case 'n': v->kind = JsonValue::Null; return literal("null");
        default: return number(v);
        }
    }

    bool array(JsonValue *v, int depth) {
        v->kind = JsonValue::Array;
        pos_++;
        skip_ws();
        if (peek() == ']') return pos_++, true;
        for (;;) {
            v->items.emplace_back();
            if (!value(&v->items.back(), depth + 1)) return false;
            skip_ws();
            if (peek() == ']') return pos_++, true;
            if (peek() != ',') return fail("expected ',' or ']'");
            pos_++;
        }
    }

    bool object(JsonValue *v, int depth) {
        v->kind = JsonValue::Object;
        pos_++;
        skip_ws();
        if (peek() == '}') return pos_++, true;
        for (;;) {
            skip_ws();
            if (peek() != '"') return fail("expected a string key");
            v->members.emplace_back();
            if (!string(&v->members.back().first)) return false;
            skip_ws();
            if (peek() != ':') return fail("expected ':'");
            pos_++;
            if (!value(&v->members.back().second, depth + 1)) return false;
            skip_ws();
            if (peek() == '}') return pos_++, true;
            if (peek() != ',') return fail("expected ',' or '}'");
            pos_++;
        }
    }

    bool digits() {
        size_t start = pos_;
        while (peek() >= '0' && peek() <= '9') pos_++;
        return pos_ > start || fail("expected a digit");
    }

    bool number(JsonValue *v) {
        size_t start = pos_;
        if (peek() == '-') pos_++;
        if (peek() == '0') pos_++;
        else if (peek() < '1' || peek() > '9') return fail("unexpected character");
        else digits();
        if (peek() == '.' && (pos_++, !digits())) return false;
        if (peek() == 'e' || peek() == 'E') {
            pos_++;
            if (peek() == '+' || peek() == '-') pos_++;
            if (!digits()) return false;
        }
        v->kind = JsonValue::Number;
        v->number = std::strtod(std::string(text_.substr(start, pos_ - start)).c_str(), nullptr);
        return true;
    }

    bool hex4(uint32_t *u) {
        if (text_.size() - pos_ < 4) return fail("truncated \\u escape");
        *u = 0;
        for (int i = 0; i < 4; ++i) {
            char c = text_[pos_++];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) return fail("bad hex digit in \\u escape");
            *u = *u * 16 + static_cast<uint32_t>(d);
        }
        return true;
    }

    bool unicode_escape(std::string *out) {
        uint32_t u = 0;
        if (!hex4(&u)) return false;
        if (u >= 0xDC00 && u <= 0xDFFF) return fail("lone low surrogate in \\u escape");
        if (u >= 0xD800 && u <= 0xDBFF) {
            uint32_t lo = 0;
            if (text_.substr(pos_, 2) != "\\u") return fail("high surrogate not followed by a low one");
            pos_ += 2;
            if (!hex4(&lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return fail("high surrogate not followed by a low one");
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
        append_utf8(out, u);
        return true;
    }

    static void append_utf8(std::string *out, uint32_t u) {
        if (u < 0x80) {
            *out += static_cast<char>(u);
        } else if (u < 0x800) {
            *out += static_cast<char>(0xC0 | (u >> 6));
            *out += static_cast<char>(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
            *out += static_cast<char>(0xE0 | (u >> 12));
            *out += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (u & 0x3F));
        } else {
            *out += static_cast<char>(0xF0 | (u >> 18));
            *out += static_cast<char>(0x80 | ((u >> 12) & 0x3F));
            *out += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (u & 0x3F));
        }
    }

    // Length of the well-formed UTF-8 sequence at pos_ (Unicode table 3-7), 0 if ill-formed.
    size_t utf8_length() const {
        auto b = [&](size_t i) { return pos_ + i < text_.size() ? static_cast<unsigned char>(text_[pos_ + i]) : 0u; };
        auto cont = [&](size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) { return b(i) >= lo && b(i) <= hi; };
        unsigned c = b(0);
        if (c < 0x80) return 1;
        if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
        if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
        if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
        if (c >= 0xE1 && c <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
        if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
        if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
        if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
        return 0;
    }

    bool escape(std::string *out) {
        char c = peek();
        pos_++;
        switch (c) {
        case '"': *out += '"'; return true;
        case '\\': *out += '\\'; return true;
        case '/': *out += '/'; return true;
        case 'b': *out += '\b'; return true;
        case 'f': *out += '\f'; return true;
        case 'n': *out += '\n'; return true;
        case 'r': *out += '\r'; return true;
        case 't': *out += '\t'; return true;
        case 'u': return unicode_escape(out);
        default: pos_--; return fail("invalid escape");
        }
    }

    bool string(std::string *out) {
        pos_++; // opening quote
        for (;;) {
            if (at_end()) return fail("unterminated string");
            unsigned char c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') return pos_++, true;
            if (c < 0x20) return fail("control character in string");
            if (c == '\\') {
                pos_++;
                if (!escape(out)) return false;
                continue;
            }
            size_t n = utf8_length();
            if (n == 0) return fail("invalid UTF-8 in string");
            out->append(text_.substr(pos_, n));
            pos_ += n;
        }
    }

    std::string_view text_;
    size_t pos_ = 0;
    std::string message_;
};

} // namespace

const JsonValue *JsonValue::find(std::string_view key) const {
    const JsonValue *found = nullptr;
    for (const auto &m : members)
        if (m.first == key) found = &m.second;
    return found;
}

bool parse_json(std::string_view text, JsonValue *out, std::string *error) {
    *out = JsonValue();
    return Parser(text).parse(out, error);
}

std::string json_quote(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        unsigned char c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += ch;
            }
        }
    }
    return out + "\"";
}

} // namespace cli
