// JSON text exactly as Jinja's `tojson` filter writes it in Hugging Face chat
// templates: transformers defines it as Python's json.dumps(x,
// ensure_ascii=False) — ", " and ": " separators, keys in their given order,
// non-ASCII characters as they are, integers as written, other numbers as
// Python's float repr (shortest round-trip digits, "1.0", "1e-05", "1e+16",
// "Infinity"). Qwen2.5's template renders tool lists and tool-call arguments
// with it, so byte-equal prompts need this exact spelling.
// Owner: lib/chat.
#pragma once

#include "common/json_reader.h"

#include <string>

namespace loom {

// Appends `v` as json.dumps(v, ensure_ascii=False) spells it.
void append_python_json(const JsonValue &v, std::string *out);

// Python's repr of a float, as json.dumps writes it ("Infinity", "NaN" too).
std::string python_float_repr(double d);

} // namespace loom
