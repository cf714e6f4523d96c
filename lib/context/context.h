// The structs behind loom_context and loom_batch, and the decode / state
// operations on them. A context owns a backend Session (KV cache tensors,
// activations) over a shared, immutable model; one thread at a time.
//
// Owner: lib/context.
#pragma once

#include "context/kv_cache.h"
#include "model/model.h"

#include <memory>
#include <vector>

struct loom_batch {
    int32_t capacity = 0;
    std::vector<int32_t> token, pos, seq;
    std::vector<uint8_t> want;     // 1: compute outputs for this entry
    int32_t size() const { return static_cast<int32_t>(token.size()); }
};

namespace loom {
class GgufFile;

// A decode whose graph is recorded and not yet finished: a stepped decode
// between loom_decode_begin and its last step (or cancel), or a loom_decode
// while it runs. `cells` are tagged in the cache already.
struct PendingDecode {
    bool active = false;
    std::vector<int32_t> cells, out_ids;
    std::vector<int32_t> seqs;   // the batch's sequence id per entry (pooling)
};
}

struct loom_context {
    const loom_model *model = nullptr;        // the handle it was created from (opaque here)
    const loom::Model *m = nullptr;           // the model's weights and graph
    const loom::GgufFile *gguf = nullptr;     // the model's file (state fingerprint)
    loom_context_params params{};
    std::unique_ptr<loom::Session> session;
    loom::ForwardBuffers buf;
    loom::KvCache kv;
    // Outputs of the last decode: row r of logits/embd belongs to batch entry
    // out_entry[r]; entry_row[i] is the row of entry i or -1.
    loom::HostVector<float> logits;           // [n_out][n_vocab]
    loom::HostVector<float> embd;             // [n_out][n_embd] when params.embeddings
    loom::HostVector<int32_t> entry_row;
    int32_t last_output = -1;                 // batch entry of the last row, -1 if none
    // Pooled vectors of the last decode (params.pooling_type != NONE), sized
    // at creation so pooling never allocates: pooled[seq][n_embd], valid
    // where pooled_ok[seq]; pool_acc is the double accumulator of one seq.
    loom::HostVector<float> pooled;
    loom::HostVector<uint8_t> pooled_ok;
    loom::HostVector<double> pool_acc;
    bool wants_logits() const { return params.embeddings != LOOM_EMBEDDINGS_ONLY; }
    // Importance-matrix collection (buf.taps non-empty): rows decoded since
    // loom_imatrix_begin.
    int64_t imatrix_rows = 0;
    loom::PendingDecode pending;
};

namespace loom {

// A context over `m`, loaded from `gguf` (both outlive it), with params
// resolved against the model (n_ctx 0 -> min(4096, training)). The caller
// sets out->model.
Status context_create(const Model &m, const GgufFile &gguf, const loom_context_params &params,
                      std::unique_ptr<loom_context> *out);
Status context_decode(loom_context &ctx, const loom_batch &batch);
// Fills the defaults of params against the model (n_ctx 0 -> min(4096,
// training), n_threads 0 -> cores) and checks them. Errors: INVALID_ARGUMENT, UNSUPPORTED.
Status resolve_context_params(const Model &m, loom_context_params *p);

// Pooling (lib/context/pooling.cpp): sizes the pooled buffers at creation,
// and fills them from the embeddings rows of a decode that succeeded
// (entry_seq: the batch's sequence ids; out_ids[r]: the batch entry of output row r). Never allocates after creation.
void pooling_init(loom_context &ctx);
void pool_outputs(loom_context &ctx, const std::vector<int32_t> &entry_seq, const std::vector<int32_t> &out_ids);
void pooling_clear(loom_context &ctx);
// The stepped decode (loom_decode_begin / _step / _cancel). On any error or
// exception the decode is cancelled: its cells untagged, the graph dropped.
Status context_decode_begin(loom_context &ctx, const loom_batch &batch, bool stepped);
// budget_us < 0: the whole graph at once (loom_decode).
Status context_decode_step(loom_context &ctx, int64_t budget_us, bool *done);
void context_decode_cancel(loom_context &ctx);
Status context_set_n_threads(loom_context &ctx, int n_threads);

// State (de)serialisation: header (magic, version, model fingerprint and
// shape), cells, K/V rows of the used cells, last outputs.
Status state_write(const loom_context &ctx, std::vector<uint8_t> *out);
Status state_read(loom_context &ctx, const uint8_t *data, size_t size);

} // namespace loom
