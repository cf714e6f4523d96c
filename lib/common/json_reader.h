// A small, hardened JSON reader (RFC 8259) for the library's own needs (JSON
// schemas); the CLI and server use nlohmann-json, the library does not.
// Untrusted input is the normal case: nesting, size and string lengths are
// capped, every error names the byte offset, nothing throws but bad_alloc.
// Owner: lib/common.
#pragma once

#include "common/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

constexpr size_t kJsonMaxBytes = size_t(1) << 20;
constexpr int kJsonMaxDepth = 64;   // arrays and objects inside each other

struct JsonValue {
    enum Kind : uint8_t { Null, Bool, Number, String, Array, Object };
    Kind kind = Null;
    bool boolean = false;
    double number = 0;               // Number: the value (may round)
    std::string text;                // String: decoded UTF-8; Number: the literal as written
    std::vector<JsonValue> items;    // Array: the elements; Object: the member values
    std::vector<std::string> keys;   // Object: the member names, in order, items[i] belongs to keys[i]

    // Object member `key`, or nullptr (also for a value that is no object).
    const JsonValue *find(std::string_view key) const;
    // True for a Number whose literal has no fraction or exponent part.
    bool is_integer_literal() const;
};

// Parses one JSON text (whitespace around it allowed, nothing else after).
// Errors: FORMAT "JSON at byte N: ..." (syntax, invalid UTF-8, lone
// surrogate escapes, duplicate object keys, nesting past kJsonMaxDepth),
// FORMAT for a text over kJsonMaxBytes.
Status parse_json(std::string_view text, JsonValue *out);

// Compact JSON text of `v` (no spaces; numbers as written; strings escaped
// minimally: quote, backslash and control characters).
std::string write_json(const JsonValue &v);

} // namespace loom
