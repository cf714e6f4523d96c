// The state behind Tokenizer (shared by tokenizer.cpp, vocab_load.cpp and
// detokenizer.cpp).
#pragma once

#include "tokenizer/bpe.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer.h"

#include <xxhash.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loom {

struct StringHash {
    size_t operator()(std::string_view s) const { return size_t(XXH3_64bits(s.data(), s.size())); }
};

using StringToId = std::unordered_map<std::string, int32_t, StringHash>;

struct Tokenizer::Impl {
    std::string pre_name;
    PreTokenizer pre = PreTokenizer::Qwen2;
    std::vector<std::string> pieces;   // as stored
    std::vector<std::string> texts;    // bytes in text
    std::vector<TokenType> types;
    StringToId text_to_id;             // specials first, then the rest (first id wins)
    int32_t byte_token[256] = {};      // the id of each single byte
    MergeTable merges;
    std::vector<int32_t> specials;     // Control/UserDefined ids with non-empty text, longest first
    bool special_first_byte[256] = {};
    int32_t bos = -1, eos = -1, pad = -1;
};

} // namespace loom
