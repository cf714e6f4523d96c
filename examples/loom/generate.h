// Text generation for the run / chat / fim subcommands: sampling options and
// the sampler chain they make, tokenizing a prompt, and the loop that samples,
// decodes and streams text until end-of-generation, a token limit or an
// interrupt. Public API only.
#pragma once

#include "infer_common.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace cli {

struct SamplingOptions {
    double temp = 0.8, top_p = 0.95, min_p = 0.05, repeat_penalty = 1.0;
    long long top_k = 40, repeat_last_n = 64;
    uint64_t seed = 0;
    bool seed_set = false;
};

// If argv[*i] is a sampling option (--temp --top-k --top-p --min-p --seed
// --repeat-penalty --repeat-last-n), consumes it and its value and returns
// true; *bad is set for a missing or malformed value.
bool take_sampling_arg(int argc, char **argv, int *i, SamplingOptions *o, bool *bad);
extern const char *const kSamplingUsage;

// temp <= 0: greedy. Else penalties, top-k, top-p, min-p, temperature, seeded draw
// (seed from the clock unless given).
loom_status make_sampler(const SamplingOptions &o, loom_sampler **out);
// The same stages, appended to an existing chain (after a grammar stage).
loom_status add_sampling_stages(const SamplingOptions &o, loom_sampler *s);

struct SamplerHandle {
    loom_sampler *s = nullptr;
    ~SamplerHandle() { loom_sampler_free(s); }
};

// Tokenizes with special tokens parsed.
loom_status tokenize(const loom_model *m, const std::string &text, std::vector<int32_t> *out);

struct GenerateOptions {
    long long n_predict = 256;                    // < 0: until end-of-generation or a full context
    bool stop_at_eog = true;
    const std::atomic<bool> *interrupt = nullptr; // set: stop after the current token
};

struct GenerateResult {
    std::string text;          // everything printed
    int n_tokens = 0;          // sampled tokens (the EOG token included)
    bool hit_eog = false;      // the last sampled token ended the reply (it is not in the cache)
    double seconds = 0.0;
};

// Samples from the logits of the context's last decoded entry, prints the
// text to stdout as it completes, and decodes each kept token at *n_past
// (advanced). An EOG token is sampled but not decoded.
loom_status generate(const loom_model *m, loom_context *ctx, loom_batch *batch, loom_sampler *sampler,
                     const GenerateOptions &o, int32_t *n_past, GenerateResult *out);


} // namespace cli
