// Prompt lookup: a draft with no model. The last n tokens of the text are
// searched for earlier in the text (prompt and output so far); the tokens
// that followed the latest earlier occurrence are the proposal. n goes from
// ngram_max down to ngram_min; the first n with a match wins.
// Owner: lib/speculative.
#pragma once

#include <cstdint>
#include <vector>

namespace loom {

// Up to `max_tokens` proposed tokens (fewer when the match is close to the
// end of `text`; none when nothing matches). ngram_min >= 1.
std::vector<int32_t> lookup_draft(const std::vector<int32_t> &text, int32_t ngram_min, int32_t ngram_max,
                                  int32_t max_tokens);

} // namespace loom
