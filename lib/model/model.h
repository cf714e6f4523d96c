// A loaded decoder-only transformer (qwen2 / llama): hyper-parameters, the
// backend holding its weights, and the forward graph written once against
// backends/backend.h. Immutable after load: many contexts on many threads
// share one Model (each with its own Session).
//
// Owner: lib/model.
#pragma once

#include "backends/backend.h"
#include "common/host_alloc.h"
#include "common/status.h"
#include "model/hparams.h"

#include <functional>
#include <memory>
#include <vector>

namespace loom {

class GgufFile;

struct LayerWeights {
    Tensor *attn_norm = nullptr;   // [1][n_embd] f32
    Tensor *wq = nullptr;          // [q_dim][n_embd]
    Tensor *bq = nullptr;          // [1][q_dim] f32, qwen2 only
    Tensor *wk = nullptr;          // [kv_dim][n_embd]
    Tensor *bk = nullptr;          // [1][kv_dim] f32, qwen2 only
    Tensor *wv = nullptr;          // [kv_dim][n_embd]
    Tensor *bv = nullptr;          // [1][kv_dim] f32, qwen2 only
    Tensor *wo = nullptr;          // [n_embd][q_dim]
    Tensor *ffn_norm = nullptr;    // [1][n_embd] f32
    Tensor *ffn_gate = nullptr;    // [n_ff][n_embd]; qwen2moe: the shared expert's [n_ff_shexp][n_embd]
    Tensor *ffn_up = nullptr;      // [n_ff][n_embd]; qwen2moe: [n_ff_shexp][n_embd]
    Tensor *ffn_down = nullptr;    // [n_embd][n_ff]; qwen2moe: [n_embd][n_ff_shexp]
    // qwen2moe only: the router, the stacked experts (expert e's matrix is
    // rows [e*n, (e+1)*n) of the stack) and the shared expert's gate.
    Tensor *ffn_gate_inp = nullptr;       // [n_expert][n_embd]
    Tensor *ffn_gate_exps = nullptr;      // [n_expert*n_ff_exp][n_embd]
    Tensor *ffn_up_exps = nullptr;        // [n_expert*n_ff_exp][n_embd]
    Tensor *ffn_down_exps = nullptr;      // [n_expert*n_embd][n_ff_exp]
    Tensor *ffn_gate_inp_shexp = nullptr; // [1][n_embd] f32
};

struct ModelWeights {
    Tensor *token_embd = nullptr;  // [n_vocab][n_embd]
    Tensor *output_norm = nullptr; // [1][n_embd] f32
    Tensor *output = nullptr;      // [n_vocab][n_embd]; token_embd when tied
    std::vector<LayerWeights> layers;
};

// One layer's importance-matrix accumulators, F32 [1][n]: the column sums of
// squares of the inputs of its weight matmuls (wq, wk and wv share one input,
// as do ffn_gate and ffn_up).
struct ActivationTaps {
    Tensor *attn_in = nullptr;     // [1][n_embd]: wq, wk, wv
    Tensor *attn_out = nullptr;    // [1][q_dim]: wo
    Tensor *ffn_in = nullptr;      // [1][n_embd]: ffn_gate, ffn_up
    Tensor *ffn_down = nullptr;    // [1][n_ff]: ffn_down
};

// The per-context tensors one forward pass uses, allocated in a Session for
// at most n_batch tokens and n_ctx cache cells. [rows][columns].
struct ForwardBuffers {
    int64_t n_ctx = 0, n_batch = 0;
    // inputs, uploaded by the context before each graph
    Tensor *tokens = nullptr;      // I32 [n_batch]
    Tensor *pos = nullptr;         // I32 [n_batch]
    Tensor *cells = nullptr;       // I32 [n_batch] cache cell of each token
    Tensor *out_ids = nullptr;     // I32 [n_batch] batch rows that want outputs
    Tensor *ranges = nullptr;      // I32 [n_batch][2] cells [lo, hi) each token attends to
    Tensor *mask = nullptr;        // F32 [mask_rows][mask_cols] relative to each row's lo, grown on demand up to [n_batch][n_ctx]
    int64_t mask_rows = 0, mask_cols = 0;
    // KV cache, one K and one V per layer: [n_ctx][kv_dim] of the KV type
    std::vector<Tensor *> k_cache, v_cache;
    // activations
    Tensor *x = nullptr;           // [n_batch][n_embd] residual stream
    Tensor *xn = nullptr;          // [n_batch][n_embd] normed / block output
    Tensor *q = nullptr;           // [n_batch][q_dim]
    Tensor *k = nullptr;           // [n_batch][kv_dim]
    Tensor *v = nullptr;           // [n_batch][kv_dim]
    Tensor *attn = nullptr;        // [n_batch][q_dim]
    Tensor *gate = nullptr;        // [n_batch][n_ff] (qwen2moe: n_ff_shexp)
    Tensor *up = nullptr;          // [n_batch][n_ff] (qwen2moe: n_ff_shexp)
    // qwen2moe only (k = n_expert_used; slot j of row i is row i*k + j)
    Tensor *router = nullptr;      // [n_batch][n_expert] router logits
    Tensor *expert_ids = nullptr;  // I32 [n_batch][k] chosen experts
    Tensor *expert_w = nullptr;    // [n_batch][k] their softmax weights
    Tensor *exp_gate = nullptr;    // [n_batch*k][n_ff_exp]
    Tensor *exp_up = nullptr;      // [n_batch*k][n_ff_exp]
    Tensor *exp_out = nullptr;     // [n_batch*k][n_embd]
    Tensor *shexp_gate = nullptr;  // [n_batch][1] shared expert gate logit
    Tensor *ffn_out = nullptr;     // [n_batch][n_embd]
    Tensor *hidden = nullptr;      // [n_batch][n_embd] final normed rows that want outputs
    Tensor *logits = nullptr;      // [n_logits_rows][n_vocab], grown on demand
    int64_t n_logits_rows = 0;
    // One per layer while an importance matrix is collected (dense models
    // only), else empty: every forward pass adds to them.
    std::vector<ActivationTaps> taps;
};

// Which rows a forward pass covers.
struct ForwardShape {
    int64_t n_tokens = 0;          // batch rows
    int64_t n_out = 0;             // rows wanting outputs (first n_out of out_ids)
    int64_t kv_width = 0;          // the widest range of cells a token attends to (mask columns used)
    bool logits = true;            // compute logits for the n_out rows
};

constexpr int64_t kMaskMinCols = 256;   // the first mask's width (grown by doubling)

struct ModelLoadOptions {
    // (fraction in [0,1]) -> false to cancel (LOOM_ERR_CANCELLED).
    std::function<bool(float)> progress;
};

class Model {
public:
    // Binds the weights of `gguf` (which must outlive the Model) into `backend`.
    static Status load(const GgufFile &gguf, std::unique_ptr<Backend> backend, const ModelLoadOptions &opts,
                       std::unique_ptr<Model> *out);
    ~Model();

    const HParams &hparams() const { return hp_; }
    const Backend &backend() const { return *backend_; }
    const ModelWeights &weights() const { return w_; }

    // Allocates the per-context tensors. kv_type: F16, F32 or Q8_0.
    Status alloc_buffers(Session &s, int64_t n_ctx, int64_t n_batch, loom_type kv_type, ForwardBuffers *out) const;
    // Makes the mask at least [rows][cols] (re-allocating when needed; at
    // most [n_batch][n_ctx]): a dense mask of a long context's full batch is
    // n_batch * n_ctx floats, so it takes only what the decodes use.
    Status reserve_mask(Session &s, ForwardBuffers &b, int64_t rows, int64_t cols) const;
    // Allocates zeroed importance-matrix taps (b.taps, one per layer).
    // UNSUPPORTED for mixture-of-experts models.
    Status alloc_taps(Session &s, ForwardBuffers &b) const;
    // Makes room for `rows` logits rows (re-allocating when needed).
    Status reserve_logits(Session &s, ForwardBuffers &b, int64_t rows) const;
    // Records one forward pass (inputs already uploaded): every token's K/V
    // goes to its cache cell; the n_out selected rows end in b.hidden and,
    // if shape.logits, b.logits.
    Status record_forward(Session &s, ForwardBuffers &b, const ForwardShape &shape) const;

private:
    Model() = default;
    // Binds every weight into the backend; with `announce`, only announces
    // each matrix (Backend::expect_weight), the pass load() makes first.
    Status bind_weights(const GgufFile &gguf, const ModelLoadOptions &opts, bool announce);
    Status alloc_moe_buffers(Session &s, int64_t n_batch, ForwardBuffers *b) const;
    Status record_moe_ffn(Session &s, ForwardBuffers &b, const LayerWeights &l, int64_t n) const;

    HParams hp_;
    std::unique_ptr<Backend> backend_;
    ModelWeights w_;
    std::vector<HostVector<float>> f32_vectors_;        // norms / biases widened to f32
};

} // namespace loom
