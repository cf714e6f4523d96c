// Model loading: hyper-parameters, then every weight bound into the backend
// with its shape checked against them.
#include "model/model.h"

#include "gguf/gguf.h"
#include "quant/quant.h"

#include <cstdio>
#include <string>
#include <unordered_set>

namespace loom {

namespace {

std::string layer_name(int layer, const char *suffix) { return "blk." + std::to_string(layer) + "." + suffix; }

// Binds one GGUF tensor, checking it is [rows][cols] (1-D when rows == 1).
// With `announce`, a first pass over the same calls: each matrix is only
// announced to the backend (Backend::expect_weight), which then sizes its
// load-time copies at once; nothing is created or reported.
class WeightBinder {
public:
    WeightBinder(const GgufFile &g, Backend &b, std::vector<HostVector<float>> &vectors, const ModelLoadOptions &opts,
                 bool announce)
        : g_(g), b_(b), vectors_(vectors), opts_(opts), announce_(announce) {
        for (const GgufTensor &t : g.tensors()) total_ += t.nbytes;
    }

    Status matrix(const std::string &name, int64_t cols, int64_t rows, Tensor **out) {
        return stack(name, cols, rows, 1, out);
    }

    // A stack of `n` matrices of [rows][cols] (GGUF [cols, rows, n]), bound
    // as one [n*rows][cols] weight.
    Status stack(const std::string &name, int64_t cols, int64_t rows, int64_t n, Tensor **out) {
        const GgufTensor *t = nullptr;
        LOOM_TRY(find(name, cols, rows, n, &t));
        size_t rb = 0;
        Status s = row_bytes(t->type, cols, &rb);
        if (!s) return error(LOOM_ERR_FORMAT, "tensor '%s': %s", name.c_str(), s.message().c_str());
        if (announce_) {
            b_.expect_weight(t->type, cols, rows * n);
            *out = nullptr;
            return Status::ok();
        }
        LOOM_TRY(b_.create_weight(t->type, cols, rows * n, t->data, out));
        if ((*out)->holds_copy) g_.release_pages(t->data, t->nbytes);   // keeps RSS near one copy
        return advance(t->nbytes);
    }

    // A vector (norm weight, bias) widened to f32; absent allowed if !required.
    Status vector(const std::string &name, int64_t n, bool required, Tensor **out) {
        if (!required && !g_.find_tensor(name)) return Status::ok();
        const GgufTensor *t = nullptr;
        LOOM_TRY(find(name, n, 1, 1, &t));
        if (announce_) return Status::ok();   // widened to f32, never copied by a backend
        const TypeTraits *tt = type_traits(t->type);
        if (!tt || !tt->to_float || n % tt->block_size != 0)
            return error(LOOM_ERR_UNSUPPORTED, "tensor '%s' has type %s, which cannot be read as floats", name.c_str(),
                         tt ? tt->name : "?");
        vectors_.emplace_back(static_cast<size_t>(n));
        // A few KiB between large matrices: read without the OS's readahead
        // around the fault (8 MiB on some disks: 15% of a 7B file for its vectors).
        g_.advise_random(t->data, t->nbytes, true);
        tt->to_float(t->data, vectors_.back().data(), n);
        g_.advise_random(t->data, t->nbytes, false);
        LOOM_TRY(b_.create_weight(LOOM_TYPE_F32, n, 1, vectors_.back().data(), out));
        return advance(t->nbytes);
    }

    // A tensor the graph does not use (rope_freqs.weight, another
    // architecture's extras) means the file wants computation loom lacks.
    Status check_all_bound() const {
        for (const GgufTensor &t : g_.tensors())
            if (!bound_.count(t.name))
                return error(LOOM_ERR_UNSUPPORTED, "tensor '%s' is not used by loom's graph (unsupported model feature)",
                             t.name.c_str());
        return Status::ok();
    }

private:
    // Looks a tensor up and checks its shape: [cols, rows] when n == 1, else [cols, rows, n].
    Status find(const std::string &name, int64_t cols, int64_t rows, int64_t n, const GgufTensor **out) {
        const GgufTensor *t = g_.find_tensor(name);
        if (!t) return error(LOOM_ERR_FORMAT, "tensor '%s' is missing", name.c_str());
        if (t->ne[0] != cols || t->ne[1] != rows || t->ne[2] != n || t->ne[3] != 1) {
            char expected[96];
            if (n == 1)
                snprintf(expected, sizeof expected, "[%lld, %lld]", (long long)cols, (long long)rows);
            else
                snprintf(expected, sizeof expected, "[%lld, %lld, %lld]", (long long)cols, (long long)rows, (long long)n);
            return error(LOOM_ERR_FORMAT, "tensor '%s' has shape [%lld, %lld, %lld, %lld]; expected %s", name.c_str(),
                         (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3], expected);
        }
        bound_.insert(name);
        *out = t;
        return Status::ok();
    }

    Status advance(size_t bytes) {
        done_ += bytes;
        if (opts_.progress && !opts_.progress(total_ ? float(double(done_) / double(total_)) : 1.0f))
            return error(LOOM_ERR_CANCELLED, "model load cancelled by the progress callback");
        return Status::ok();
    }

    const GgufFile &g_;
    Backend &b_;
    std::vector<HostVector<float>> &vectors_;
    const ModelLoadOptions &opts_;
    const bool announce_;
    uint64_t total_ = 0, done_ = 0;
    std::unordered_set<std::string> bound_;
};

} // namespace

Model::~Model() = default;

// qwen2moe's FFN weights: the router, the stacked experts, the shared expert and its gate.
static Status bind_experts(WeightBinder &bind, const HParams &h, int i, LayerWeights *l) {
    LOOM_TRY(bind.matrix(layer_name(i, "ffn_gate_inp.weight"), h.n_embd, h.n_expert, &l->ffn_gate_inp));
    LOOM_TRY(bind.stack(layer_name(i, "ffn_gate_exps.weight"), h.n_embd, h.n_ff_exp, h.n_expert, &l->ffn_gate_exps));
    LOOM_TRY(bind.stack(layer_name(i, "ffn_up_exps.weight"), h.n_embd, h.n_ff_exp, h.n_expert, &l->ffn_up_exps));
    LOOM_TRY(bind.stack(layer_name(i, "ffn_down_exps.weight"), h.n_ff_exp, h.n_embd, h.n_expert, &l->ffn_down_exps));
    LOOM_TRY(bind.vector(layer_name(i, "ffn_gate_inp_shexp.weight"), h.n_embd, true, &l->ffn_gate_inp_shexp));
    LOOM_TRY(bind.matrix(layer_name(i, "ffn_gate_shexp.weight"), h.n_embd, h.n_ff_shexp, &l->ffn_gate));
    LOOM_TRY(bind.matrix(layer_name(i, "ffn_up_shexp.weight"), h.n_embd, h.n_ff_shexp, &l->ffn_up));
    LOOM_TRY(bind.matrix(layer_name(i, "ffn_down_shexp.weight"), h.n_ff_shexp, h.n_embd, &l->ffn_down));
    return Status::ok();
}

Status Model::load(const GgufFile &gguf, std::unique_ptr<Backend> backend, const ModelLoadOptions &opts,
                   std::unique_ptr<Model> *out) {
    if (!backend) return error(LOOM_ERR_INTERNAL, "Model::load without a backend");
    std::unique_ptr<Model> m(new Model());
    LOOM_TRY(read_hparams(gguf, &m->hp_));
    if (m->hp_.moe() && !backend->supports_experts())
        return error(LOOM_ERR_UNSUPPORTED,
                     "%s is a mixture-of-experts model, which the %s backend cannot run yet; use the CPU backend",
                     m->hp_.arch.c_str(), backend->name());
    m->backend_ = std::move(backend);
    LOOM_TRY(m->bind_weights(gguf, opts, true));   // announced first: the backend sizes its copies
    LOOM_TRY(m->bind_weights(gguf, opts, false));
    m->backend_->finish_load();
    *out = std::move(m);
    return Status::ok();
}

Status Model::bind_weights(const GgufFile &g, const ModelLoadOptions &opts, bool announce) {
    const HParams &h = hp_;
    WeightBinder bind(g, *backend_, f32_vectors_, opts, announce);
    backend_->set_part(kPartEnds);   // parts (backend.h): where a split backend puts each weight
    LOOM_TRY(bind.matrix("token_embd.weight", h.n_embd, h.n_vocab, &w_.token_embd));
    LOOM_TRY(bind.vector("output_norm.weight", h.n_embd, true, &w_.output_norm));
    if (g.find_tensor("output.weight"))
        LOOM_TRY(bind.matrix("output.weight", h.n_embd, h.n_vocab, &w_.output));
    else
        w_.output = w_.token_embd;   // tied embeddings
    w_.layers.resize(static_cast<size_t>(h.n_layer));
    for (int i = 0; i < h.n_layer; i++) {
        LayerWeights &l = w_.layers[static_cast<size_t>(i)];
        backend_->set_part(i);
        LOOM_TRY(bind.vector(layer_name(i, "attn_norm.weight"), h.n_embd, true, &l.attn_norm));
        LOOM_TRY(bind.matrix(layer_name(i, "attn_q.weight"), h.n_embd, h.q_dim(), &l.wq));
        LOOM_TRY(bind.matrix(layer_name(i, "attn_k.weight"), h.n_embd, h.kv_dim(), &l.wk));
        LOOM_TRY(bind.matrix(layer_name(i, "attn_v.weight"), h.n_embd, h.kv_dim(), &l.wv));
        // Biases: required by qwen2, taken when present otherwise.
        LOOM_TRY(bind.vector(layer_name(i, "attn_q.bias"), h.q_dim(), h.qkv_bias, &l.bq));
        LOOM_TRY(bind.vector(layer_name(i, "attn_k.bias"), h.kv_dim(), h.qkv_bias, &l.bk));
        LOOM_TRY(bind.vector(layer_name(i, "attn_v.bias"), h.kv_dim(), h.qkv_bias, &l.bv));
        LOOM_TRY(bind.matrix(layer_name(i, "attn_output.weight"), h.q_dim(), h.n_embd, &l.wo));
        LOOM_TRY(bind.vector(layer_name(i, "ffn_norm.weight"), h.n_embd, true, &l.ffn_norm));
        if (h.moe()) {
            LOOM_TRY(bind_experts(bind, h, i, &l));
            continue;
        }
        LOOM_TRY(bind.matrix(layer_name(i, "ffn_gate.weight"), h.n_embd, h.n_ff, &l.ffn_gate));
        LOOM_TRY(bind.matrix(layer_name(i, "ffn_up.weight"), h.n_embd, h.n_ff, &l.ffn_up));
        LOOM_TRY(bind.matrix(layer_name(i, "ffn_down.weight"), h.n_ff, h.n_embd, &l.ffn_down));
    }
    backend_->set_part(kPartEnds);
    return bind.check_all_bound();
}

} // namespace loom
