// Hyper-parameters of a decoder-only transformer, read from GGUF metadata
// ("<arch>.block_count", ...). Architectures are flags, not forks: qwen2,
// qwen2moe and llama share every block and differ in biases, the RoPE
// pairing and (qwen2moe) a mixture-of-experts FFN.
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
    // Mixture of experts (qwen2moe): the FFN is n_expert_used of n_expert
    // routed SwiGLU experts of width n_ff_exp plus a shared expert of width
    // n_ff_shexp gated by sigmoid(ffn_gate_inp_shexp . x). n_expert == 0: dense.
    int n_expert = 0;
    int n_expert_used = 0;
    int n_ff_exp = 0;
    int n_ff_shexp = 0;

    int q_dim() const { return n_head * head_dim; }
    int kv_dim() const { return n_head_kv * head_dim; }
    bool moe() const { return n_expert > 0; }
};

// Reads and checks the hyper-parameters. n_vocab is taken from
// token_embd.weight. Errors: UNSUPPORTED "unsupported architecture 'x'" or a
// key asking for what loom does not implement (rope scaling, ...: named),
// NOT_FOUND / FORMAT for missing or inconsistent keys (named in the message).
Status read_hparams(const GgufFile &gguf, HParams *out);

} // namespace loom
