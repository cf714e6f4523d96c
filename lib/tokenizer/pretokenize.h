// Pre-tokenizers: split code points into the words BPE runs on, selected by
// tokenizer.ggml.pre. Each is a hand-written matcher equal to its regex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace loom {

enum class PreTokenizer {
    Qwen2,
};

// The pre-tokenizer for a tokenizer.ggml.pre value; false if unknown.
bool pre_tokenizer_from_name(std::string_view name, PreTokenizer *out);

// A word: code points [begin, end).
struct WordSpan {
    size_t begin, end;
};

// Appends the words of cps[0..n) to *out (cleared first). The words cover the
// input exactly, in order, none empty.
void pre_tokenize(PreTokenizer kind, const uint32_t *cps, size_t n, std::vector<WordSpan> *out);

// The length of the Qwen2 match at cps[i] (i < n), the regex
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}
//   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// with \s, \p{L}, \p{N} as in unicode.h and (?i:) folding ASCII only.
size_t qwen2_match(const uint32_t *cps, size_t i, size_t n);

} // namespace loom
