// A small strict JSON reader (RFC 8259) for the CLI's inputs, and a string
// quoter for its outputs. Strict: no comments, no trailing commas, no
// leading zeros, no control characters or invalid UTF-8 inside strings, no
// lone surrogates in \u escapes (pairs become one code point), nesting at
// most 128 deep, nothing but whitespace after the value.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

struct JsonValue {
    enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
    bool boolean = false;
    double number = 0;
    std::string string;                        // String: decoded UTF-8
    std::vector<JsonValue> items;              // Array
    std::vector<std::pair<std::string, JsonValue>> members; // Object, in file order

    // The member named `key` (the last one if repeated), or nullptr.
    const JsonValue *find(std::string_view key) const;
};

// Parses `text`; false with *error ("line L col C: what") on malformed input.
bool parse_json(std::string_view text, JsonValue *out, std::string *error);

// `s` as a JSON string literal (quotes included); non-ASCII kept as UTF-8.
std::string json_quote(std::string_view s);

} // namespace cli
