// The state behind Tokenizer (shared by tokenizer.cpp, vocab_load.cpp and
// detokenizer.cpp).
#pragma once

#include "tokenizer/bpe.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/string_index.h"
#include "tokenizer/tokenizer.h"

#include <string>
#include <vector>

namespace loom {

struct Tokenizer::Impl {
    std::string pre_name;
    PreTokenizer pre = PreTokenizer::Qwen2;
    HostVector<std::string> pieces;    // as stored (the array: host_alloc; long strings: operator new)
    HostVector<std::string> texts;     // bytes in text
    HostVector<TokenType> types;
    StringIndex text_to_id;            // over texts: specials first, then the rest (first id wins)
    int32_t byte_token[256] = {};      // the id of each single byte
    MergeTable merges;
    std::vector<int32_t> specials;     // Control/UserDefined ids with non-empty text, longest first
    std::vector<int32_t> specials_by_first_byte[256];  // the same, split by their text's first byte
    int32_t bos = -1, eos = -1, pad = -1;
};

} // namespace loom
