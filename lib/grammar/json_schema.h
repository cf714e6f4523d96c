// JSON schema -> GBNF: the grammar of the JSON texts a schema accepts (a
// sound subset where the exact language is not expressible; docs/grammar.md
// lists what is supported). Reads the schema with lib/common's JSON reader.
// Owner: lib/grammar.
#pragma once

#include "common/json_reader.h"
#include "common/status.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

// Converts the schema (JSON text) to GBNF whose start rule is "root"; the
// grammar is parsed once by parse_gbnf before it is returned.
// Errors: FORMAT (malformed JSON, a keyword with a value of the wrong shape,
// an unsatisfiable range, an unresolvable $ref; the message names the schema
// path), UNSUPPORTED (a keyword or form not supported, named with its path).
Status json_schema_to_gbnf(std::string_view schema, std::string *gbnf);

namespace schema_gbnf {

// Pieces of the converter, exposed for tests (json_schema_parts.cpp).

// A GBNF string literal matching exactly the bytes of `utf8`.
std::string literal(std::string_view utf8);

// A GBNF expression for the canonical decimal integers in [lo, hi] (either
// side may be open: an open side allows up to 16 digits). lo <= hi, both
// within +-10^18.
std::string integer_range(std::optional<int64_t> lo, std::optional<int64_t> hi);

// A GBNF expression for decimal numbers (no exponent) whose value lies within
// the bounds: a whole-number bound is inclusive, or exclusive when the flag is
// set. Returns "" when no number fits.
std::string number_range(std::optional<int64_t> lo, bool lo_exclusive, std::optional<int64_t> hi,
                         bool hi_exclusive);

// Adds a rule `body` under a name derived from `base`; returns the name.
using AddRule = std::function<std::string(const std::string &base, const std::string &body)>;

// A rule for the body of a JSON string (after its opening quote, through its
// closing quote) of unescaped characters that is none of `names`; helper
// rules (one per trie node of the names) go through `add_rule`.
std::string key_excluding(const std::vector<std::string> &names, const AddRule &add_rule);

} // namespace schema_gbnf
} // namespace loom
