// The sampling options of run / chat / fim (llama-cli's names and defaults)
// and the sampler chain they make. Public API only.
#pragma once

#include "options.h"

#include "loom.h"

#include <cstdint>
#include <vector>

namespace cli {

struct SamplingOptions {
    double temp = 0.8, top_p = 0.95, min_p = 0.05, repeat_penalty = 1.0;
    double presence_penalty = 0.0, frequency_penalty = 0.0;
    long long top_k = 40, repeat_last_n = 64, seed = -1;   // seed -1: from the clock
    std::vector<int32_t> bias_tokens;                      // --logit-bias, in order given
    std::vector<float> biases;
};

// --temp --top-k --top-p --min-p --seed --repeat-penalty --repeat-last-n
// --presence-penalty --frequency-penalty --logit-bias, each range-checked as
// the library checks it.
void add_sampling_options(Options *opts, SamplingOptions *o);

// A --logit-bias value "TOKEN+BIAS" / "TOKEN-BIAS" (BIAS may be "inf": -inf bans).
bool parse_logit_bias(const char *v, int32_t *token, float *bias, std::string *why);

// False with *why when a --logit-bias token is past the model's vocabulary.
bool logit_bias_fits(const loom_model *m, const SamplingOptions &o, std::string *why);

// The stages of make_sampler appended to an existing chain (after a grammar stage).
loom_status add_sampling_stages(const SamplingOptions &o, loom_sampler *s);

// temp == 0: greedy. Else penalties, logit bias, top-k, top-p, min-p,
// temperature, seeded draw.
loom_status make_sampler(const SamplingOptions &o, loom_sampler **out);

struct SamplerHandle {
    loom_sampler *s = nullptr;
    ~SamplerHandle() { loom_sampler_free(s); }
};

} // namespace cli
