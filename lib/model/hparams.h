// Hyper-parameters of a decoder-only transformer, read from GGUF metadata
// ("<arch>.block_count", ...). Architectures are flags, not forks: qwen2 and
// llama share every block and differ in biases and the RoPE pairing.
//
// Owner: lib/model.
#pragma once

#include "backends/backend.h"
#include "common/status.h"

#include <string>

namespace loom {

class GgufFile;

struct HParams {
    std::string arch;          // "qwen2", "llama"
    int n_vocab = 0;           // rows of token_embd.weight
    int n_embd = 0;            // hidden size
    int n_layer = 0;
    int n_head = 0;            // query heads
    int n_head_kv = 0;         // key/value heads (grouped-query attention)
    int head_dim = 0;          // n_embd / n_head unless attention.key_length says otherwise
    int n_ff = 0;              // feed-forward width
    int n_ctx_train = 0;       // 0 if the metadata does not say
    float norm_eps = 1e-6f;    // RMSNorm epsilon
    float rope_freq_base = 10000.0f;
    RopeMode rope_mode = RopeMode::Neox;
    bool qkv_bias = false;     // qwen2: Q/K/V projections carry biases

    int q_dim() const { return n_head * head_dim; }
    int kv_dim() const { return n_head_kv * head_dim; }
};

// Reads and checks the hyper-parameters. n_vocab is taken from
// token_embd.weight. Errors: UNSUPPORTED "unsupported architecture 'x'",
// NOT_FOUND / FORMAT for missing or inconsistent keys (named in the message).
Status read_hparams(const GgufFile &gguf, HParams *out);

} // namespace loom
