// Log-probabilities of a row of logits (loom_logprobs): the log-softmax of
// one token and the top-n tokens, computed in double after subtracting the
// highest logit. NaN counts as -infinity; +infinity logits share the mass.
// Owner: lib/sample.
#pragma once

#include "common/status.h"

#include <cstdint>

namespace loom {

// token -1: no single token asked (token_logprob unused). top_n entries of
// top_tokens / top_logprobs, most probable first, lower id first on ties.
// INVALID_ARGUMENT for out-of-range arguments or no logit above -infinity.
Status logprobs(const float *logits, int32_t n_vocab, int32_t token, float *token_logprob, int32_t top_n,
                int32_t *top_tokens, float *top_logprobs);

} // namespace loom
