// Speculative sampling's acceptance rule (Leviathan et al. 2023; Chen et
// al. 2023): a token x drawn from the draft's distribution q is kept with
// probability min(1, p(x) / q(x)); on rejection the replacement is drawn
// from max(0, p - q) normalised. The token that comes out is distributed
// exactly as p, whatever q is (q(x) > 0 for the drawn x).
// Owner: lib/speculative.
#pragma once

#include "sample/rng.h"

#include <cstdint>
#include <vector>

namespace loom {

struct DraftVerdict {
    bool accepted;
    int32_t token;  // the draft token when accepted, else the replacement
};

// p and q: dense distributions over the same n tokens (each sums to ~1;
// entries >= 0). `draft` in [0, n). Takes one or two uniform draws from rng.
// `residual` is scratch (n doubles after the call).
DraftVerdict accept_draft_token(const std::vector<float> &p, const std::vector<float> &q, int32_t draft,
                                Xoshiro256 *rng, std::vector<double> *residual);

// Draws from a dense distribution (need not be normalised; all zero: the
// highest entry, 0 for an empty one) by inverse CDF.
int32_t draw_dense(const std::vector<double> &weights, Xoshiro256 *rng);
int32_t draw_dense(const std::vector<float> &weights, Xoshiro256 *rng);

} // namespace loom
