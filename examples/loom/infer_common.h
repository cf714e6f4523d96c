// Pieces shared by the inference subcommands (run, chat, fim, logits): model
// loading with a progress bar, context creation, prompt decoding and the
// token-by-token generation loop. Public API only.
#pragma once

#include "loom.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cli {

// Owning wrappers (free on scope exit).
struct ModelHandle {
    loom_model *m = nullptr;
    ~ModelHandle() { loom_model_free(m); }
};
struct ContextHandle {
    loom_context *c = nullptr;
    ~ContextHandle() { loom_context_free(c); }
};
struct BatchHandle {
    loom_batch *b = nullptr;
    ~BatchHandle() { loom_batch_free(b); }
};

// Loads `path`; draws a progress bar on stderr when it is a terminal.
loom_status load_model(const std::string &path, bool vocab_only, ModelHandle *out);

struct ContextOptions {
    int32_t n_threads = 0;
    uint32_t n_ctx = 0;
    uint32_t n_batch = 512;
    int32_t kv_type = -1;   // loom_type of the KV cache; -1: the library's default
    uint32_t n_seq_max = 1;
};
loom_status new_context(const loom_model *m, const ContextOptions &o, loom_abort_fn abort, void *abort_ud,
                        ContextHandle *out);

// Decodes `tokens` at positions start.. of sequence `seq` in chunks of
// n_batch; logits for the last token only (or every token when all_logits).
loom_status decode_tokens(loom_context *ctx, loom_batch *batch, const std::vector<int32_t> &tokens, int32_t start,
                          uint32_t n_batch, bool all_logits, int32_t seq = 0);

// "the prompt is 5,000 tokens but the context holds 4,096 (raise -c)" when
// n_tokens leave no room in n_ctx for a reply; "" when they fit.
std::string prompt_fit_problem(size_t n_tokens, uint32_t n_ctx);

// Warns on stderr when n_ctx is more than the model's training context.
void warn_past_training_context(const loom_model *m, uint32_t n_ctx);

// Index of the largest logit.
int32_t argmax(const float *logits, int32_t n);

// Parses a whole decimal integer / float; false if `s` is not one.
bool parse_int(const char *s, long long *out);
bool parse_float(const char *s, double *out);

// Monotonic seconds.
double now_seconds();

} // namespace cli
