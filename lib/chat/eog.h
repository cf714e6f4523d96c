// End-of-generation tokens: the ids after which generation stops.
// The set is the metadata's eos and eot ids plus every token of kEogTexts the
// vocabulary holds (Qwen instruct models end a turn with <|im_end|> while
// their eos is <|endoftext|>; Qwen2.5-Coder's fim/repo separators end an
// infill). The same texts llama.cpp adds to its end-of-generation set for Qwen.
//
// Owner: lib/chat.
#pragma once

#include "chat/token_lookup.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace loom {

extern const std::string_view kEogTexts[5];

// The sorted, duplicate-free set. eos/eot < 0: absent from the metadata.
std::vector<int32_t> eog_tokens(const TokenLookup &find, int64_t eos, int64_t eot);

// Membership test without building the set: `text` is the token's text.
bool is_eog_token(int32_t id, std::string_view text, int64_t eos, int64_t eot);

} // namespace loom
