// Text generation for the run / chat / fim subcommands: sampling options and
// the sampler chain they make, tokenizing a prompt, and the loop that samples,
// decodes and streams text until end-of-generation, a token limit or an
// interrupt. Public API only.
#pragma once

#include "infer_common.h"
#include "sampling_options.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace cli {

// Tokenizes with special tokens parsed.
loom_status tokenize(const loom_model *m, const std::string &text, std::vector<int32_t> *out);

struct GenerateOptions {
    long long n_predict = 256;                    // < 0: until end-of-generation or a full context
    bool stop_at_eog = true;
    const std::atomic<bool> *interrupt = nullptr; // set: stop after the current token
    std::vector<std::string> stops;               // stop strings: the reply ends before the first one
    bool print = true;                            // stream the text to stdout
};

struct GenerateResult {
    std::string text;          // everything printed
    int n_tokens = 0;          // sampled tokens (the EOG token included)
    bool hit_eog = false;      // the last sampled token ended the reply (it is not in the cache)
    bool hit_stop = false;     // a stop string ended the reply (text holds what came before it)
    bool hit_full = false;     // the context filled up
    double seconds = 0.0;
};

// Samples from the logits of the context's last decoded entry, prints the
// text to stdout as it completes, and decodes each kept token at *n_past
// (advanced). An EOG token is sampled but not decoded.
loom_status generate(const loom_model *m, loom_context *ctx, loom_batch *batch, loom_sampler *sampler,
                     const GenerateOptions &o, int32_t *n_past, GenerateResult *out);


// The same loop over a speculative decoder whose prompt is set
// (loom_speculative_prompt): each round gives up to draft_max + 1 tokens
// (never more than n_predict asks), which are counted and printed one by one
// as above. A full cache ends the text (hit_full).
constexpr int32_t kMaxRoundTokens = 257;
loom_status generate_speculative(const loom_model *m, loom_speculative *spec, loom_sampler *sampler,
                                 const GenerateOptions &o, GenerateResult *out);

} // namespace cli
