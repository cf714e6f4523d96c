// Shared by the tokenizer tests: loading a Tokenizer from a GGUF, the
// reference files' locations, JSON lines for hftok.
#pragma once

#include "gguf/gguf.h"
#include "loom.h"
#include "tokenizer/tokenizer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace toktest {

// llama.cpp's vocab-only Qwen2 GGUF (installed by ../shared/ref/setup under
// $LLREF_HOME or ~/.cache/llref): "" when absent.
std::string llama_vocab_path();

// llama_vocab_path() loaded once through the C API, vocab only (exits as
// "missing" when the reference is absent; REQUIREs a successful load).
// Lives until the process ends.
const loom_model *vocab_model();

// Opens `path` and creates its tokenizer; REQUIREs success.
std::unique_ptr<loom::Tokenizer> load(const std::string &path);

std::vector<int32_t> encode(const loom::Tokenizer &t, const std::string &text, bool special = true, bool nfc = true);

// Concatenated token_text of ids.
std::string detokenize(const loom::Tokenizer &t, const std::vector<int32_t> &ids);

// A JSON string literal for `s` (valid UTF-8 assumed; controls escaped).
std::string json_string(const std::string &s);

// Parses a JSON string literal starting at s[*pos]; advances *pos.
std::string parse_json_string(const std::string &s, size_t *pos);

// Parses "[1,2,3]".
std::vector<int32_t> parse_id_array(const std::string &line);

// Runs `hftok --jsonl` over texts: one id list per text (empty result on failure).
std::vector<std::vector<int32_t>> hftok_batch(const std::vector<std::string> &texts);

// Splits on a separator string.
std::vector<std::string> split(const std::string &s, const std::string &sep);

// s read as UTF-8 with U+FFFD for ill-formed bytes, re-encoded.
std::string replaced_text(const std::string &s);

// The same, NFC-normalized.
std::string nfc_text(const std::string &s);

// "1 2 3" for messages.
std::string ids_str(const std::vector<int32_t> &ids);

} // namespace toktest
