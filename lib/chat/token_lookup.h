// The one thing lib/chat needs from a vocabulary: a token's id by its text.
// Owner: lib/chat.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace loom {

// True and *id set when the vocabulary holds a token whose text is exactly `text`.
using TokenLookup = std::function<bool(std::string_view text, int32_t *id)>;

} // namespace loom
