// json.dumps(x, ensure_ascii=False) spelling (tojson.h).
#include "chat/tojson.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace loom {

namespace {

// Python's json escapes: quote, backslash, the five named controls, other
// controls as \u00xx (lowercase hex); everything else as it is.
void append_string(std::string_view s, std::string *out) {
    out->push_back('"');
    for (char ch : s) {
        const unsigned char c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        default:
            if (c < 0x20) {
                char esc[8];
                std::snprintf(esc, sizeof esc, "\\u%04x", c);
                out->append(esc);
            } else {
                out->push_back(ch);
            }
        }
    }
    out->push_back('"');
}

// json.loads reads a literal without fraction or exponent as a Python int,
// which json.dumps writes back digit for digit ("-0" becomes "0").
void append_number(const JsonValue &v, std::string *out) {
    if (!v.is_integer_literal()) {   // an underflow keeps its sign in Python ("-1e-400": -0.0)
        out->append(python_float_repr(v.number == 0 && v.text[0] == '-' ? -0.0 : v.number));
        return;
    }
    const bool zero = v.text.find_first_not_of("-0") == std::string::npos;
    out->append(zero ? "0" : v.text);
}

} // namespace

std::string python_float_repr(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
    if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
    // Shortest round-trip digits d0.d1d2...e±X, as Python's repr finds them.
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(d), std::chars_format::scientific);
    const std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
    const size_t e_at = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e_at))
        if (c != '.') digits.push_back(c);
    const int exp10 = std::atoi(std::string(sci.substr(e_at + 1)).c_str());
    const int decpt = exp10 + 1;   // the value is 0.DIGITS x 10^decpt
    const int n = static_cast<int>(digits.size());
    std::string out = d < 0 ? "-" : "";
    if (decpt <= -4 || decpt > 16) {   // repr's switch to exponent notation
        out += digits[0];
        if (n > 1) out.append(".").append(digits, 1, std::string::npos);
        char e[16];
        std::snprintf(e, sizeof e, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
        return out + e;
    }
    if (decpt <= 0) return out + "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
    if (decpt >= n) return out + digits + std::string(static_cast<size_t>(decpt - n), '0') + ".0";
    return out + digits.substr(0, static_cast<size_t>(decpt)) + "." + digits.substr(static_cast<size_t>(decpt));
}

void append_python_json(const JsonValue &v, std::string *out) {
    switch (v.kind) {
    case JsonValue::Null: out->append("null"); break;
    case JsonValue::Bool: out->append(v.boolean ? "true" : "false"); break;
    case JsonValue::Number: append_number(v, out); break;
    case JsonValue::String: append_string(v.text, out); break;
    case JsonValue::Array:
        out->push_back('[');
        for (size_t i = 0; i < v.items.size(); ++i) {
            if (i) out->append(", ");
            append_python_json(v.items[i], out);
        }
        out->push_back(']');
        break;
    case JsonValue::Object:
        out->push_back('{');
        for (size_t i = 0; i < v.items.size(); ++i) {
            if (i) out->append(", ");
            append_string(v.keys[i], out);
            out->append(": ");
            append_python_json(v.items[i], out);
        }
        out->push_back('}');
        break;
    }
}

} // namespace loom
