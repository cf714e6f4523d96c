// Memory plans: the weights from the tensor table, the context by running the
// model's own buffer allocation (Model::alloc_buffers, reserve_mask,
// reserve_logits) against a session that only counts, so the plan and the
// real allocation cannot drift apart.
#include "context/memory_plan.h"

#include "common/host_memory.h"
#include "context/kv_cache.h"
#include "gguf/gguf.h"
#include "model/model.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace loom {

namespace {

constexpr uint64_t kMiB = 1 << 20;

std::unique_ptr<BackendCost> backend_cost(int32_t kind, bool repack = true, bool copy = false) {
    return kind == LOOM_BACKEND_VULKAN ? vulkan_backend_cost() : cpu_backend_cost(repack, copy);
}

// The cost models of a plan: one backend's, or a split backend's two
// (backends/split: layers from `split` on on the device, the rest and the
// ends on the CPU, shared tensors on both).
struct PlanCosts {
    std::unique_ptr<BackendCost> main, device;   // device: a split's only
    int split = -1;

    Status init(int32_t kind, int split_layer, bool repack = true, bool copy = false) {
        split = kind == LOOM_BACKEND_VULKAN ? split_layer : -1;
        main = backend_cost(split >= 0 ? LOOM_BACKEND_CPU : kind, repack, copy);
        if (split >= 0) device = vulkan_backend_cost();
        if (!main || (split >= 0 && !device)) return error(LOOM_ERR_UNSUPPORTED, "this loom was built without Vulkan");
        return Status::ok();
    }
    const BackendCost &of(int part) const { return split >= 0 && part >= split ? *device : *main; }
    static MemoryCost sum(MemoryCost a, const MemoryCost &b) {
        a.host += b.host;
        a.device += b.device;
        return a;
    }
    MemoryCost tensor(int part, loom_type type, int64_t cols, int64_t rows) const {
        MemoryCost c = of(part).tensor(type, cols, rows);
        if (split >= 0 && part == kPartShared) c = sum(c, device->tensor(type, cols, rows));
        return c;
    }
    MemoryCost session(const SessionShape &shape) const {
        MemoryCost c = main->session(shape);
        return split >= 0 ? sum(c, device->session(shape)) : c;
    }
};

// The part (backend.h) a GGUF tensor belongs to: blk.N.* is layer N.
int tensor_part(const std::string &name) {
    int layer = -1, end = 0;
    if (std::sscanf(name.c_str(), "blk.%d.%n", &layer, &end) == 1 && end > 0 && layer >= 0) return layer;
    return kPartEnds;
}

void finish_sums(loom_memory_plan *p) { p->total = add_sat(add_sat(p->host, p->device), p->weights_mapped); }

// A Session that allocates nothing: alloc() records what the backend would
// take. Ops are never recorded on it.
class CostSession final : public Session {
public:
    explicit CostSession(const PlanCosts &cost) : cost_(cost) {}

    void set_part(int part) override { part_ = part; }
    Status alloc(loom_type type, int64_t cols, int64_t rows, Tensor **out) override {
        auto t = std::make_unique<PartTensor>();
        t->type = type;
        t->ne[0] = cols;
        t->ne[1] = rows;
        t->part = part_;
        add(cost_.tensor(part_, type, cols, rows), +1);
        tensors_.push_back(std::move(t));
        *out = tensors_.back().get();
        return Status::ok();
    }
    void release(Tensor *t) override {
        auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const auto &p) { return p.get() == t; });
        if (it == tensors_.end()) return;
        add(cost_.tensor((*it)->part, t->type, t->ne[0], t->ne[1]), -1);
        tensors_.erase(it);
    }
    MemoryCost total() const { return total_; }

    Status upload(Tensor *, size_t, const void *, size_t) override { return no(); }
    Status download(const Tensor *, size_t, void *, size_t) override { return no(); }
    Status begin_graph() override { return no(); }
    Status compute(const AbortFn &) override { return no(); }
    Status get_rows(Tensor *, const Tensor *, const Tensor *, int64_t) override { return no(); }
    Status rmsnorm(Tensor *, const Tensor *, const Tensor *, float, int64_t) override { return no(); }
    Status matmul(Tensor *, const Tensor *, const Tensor *, const Tensor *, int64_t) override { return no(); }
    Status rope(Tensor *, const Tensor *, RopeMode, int, int, float, int64_t) override { return no(); }
    Status kv_store(Tensor *, const Tensor *, const Tensor *, int64_t) override { return no(); }
    Status attention(Tensor *, const Tensor *, const Tensor *, const Tensor *, const Tensor *, const Tensor *, int, int,
                     int, float, int64_t, int64_t) override {
        return no();
    }
    Status swiglu(Tensor *, const Tensor *, const Tensor *, int64_t) override { return no(); }
    Status add(Tensor *, const Tensor *, const Tensor *, int64_t) override { return no(); }

private:
    struct PartTensor : Tensor {
        int part = kPartShared;
    };
    static Status no() { return error(LOOM_ERR_INTERNAL, "the memory plan's session runs no graph"); }
    void add(const MemoryCost &c, int sign) {
        total_.host += sign > 0 ? c.host : -c.host;
        total_.device += sign > 0 ? c.device : -c.device;
    }

    const PlanCosts &cost_;
    int part_ = kPartShared;
    MemoryCost total_;
    std::vector<std::unique_ptr<PartTensor>> tensors_;
};

// The matmul groups of the forward graph (record_forward: q/k/v over xn,
// the output projection, gate/up over xn, down, the output matrix), every
// layer, and the widest weight.
void matmul_shapes(const Model &m, int64_t rows, std::vector<MatmulGroupShape> *groups, int64_t *max_cols) {
    const ModelWeights &w = m.weights();
    auto group = [&](std::initializer_list<const Tensor *> ts) {
        MatmulGroupShape g;
        g.rows = rows;
        for (const Tensor *t : ts) {
            if (!t) continue;
            g.k = t->ne[0];
            g.types[g.n++] = t->type;
        }
        if (g.n) groups->push_back(g);
    };
    *max_cols = 0;
    for (const LayerWeights &l : w.layers) {
        group({l.wq, l.wk, l.wv});
        group({l.wo});
        group({l.ffn_gate, l.ffn_up});
        group({l.ffn_down});
        for (const Tensor *t : {l.attn_norm, l.wq, l.wk, l.wv, l.bq, l.bk, l.bv, l.wo, l.ffn_norm, l.ffn_gate, l.ffn_up,
                                l.ffn_down, l.ffn_gate_inp, l.ffn_gate_exps, l.ffn_up_exps, l.ffn_down_exps,
                                l.ffn_gate_inp_shexp})
            if (t) *max_cols = std::max(*max_cols, t->ne[0]);
    }
    group({w.output});
    for (const Tensor *t : {w.token_embd, w.output_norm, w.output})
        if (t) *max_cols = std::max(*max_cols, t->ne[0]);
}

} // namespace

bool copies_plain_weights(WeightSource src) { return src == WeightSource::Mapped; }

int32_t backend_kind_of(const Backend &b) {
    return std::strncmp(b.name(), "vulkan", 6) == 0 ? LOOM_BACKEND_VULKAN : LOOM_BACKEND_CPU;
}

Status plan_model_memory(const GgufFile &g, int32_t backend_kind, int split_layer, WeightSource src, bool repack,
                         loom_memory_plan *out) {
    loom_memory_plan p{};
    p.struct_size = sizeof p;
    p.backend = backend_kind;
    PlanCosts costs;
    LOOM_TRY(costs.init(backend_kind, split_layer, repack, copies_plain_weights(src)));
    uint64_t in_place = 0, n_vectors = 0, n_weights = 0;
    for (const GgufTensor &t : g.tensors()) {
        n_weights++;
        const BackendCost *cost = &costs.of(tensor_part(t.name));
        const bool vector = t.ne[1] == 1 && t.ne[2] == 1 && t.ne[3] == 1;
        MemoryCost c;
        if (vector) {
            // Norms and biases are widened to f32 (Model::f32_vectors_), then bound.
            c = cost->weight(LOOM_TYPE_F32, t.ne[0], 1);
            c.host = add_sat(c.host, heap_block_bytes(mul_sat(uint64_t(t.ne[0]), sizeof(float))));
            n_vectors++;
        } else {
            c = cost->weight(t.type, t.ne[0], t.ne[1] * t.ne[2] * t.ne[3]);
            if (c.in_place) in_place = add_sat(in_place, t.nbytes);
        }
        p.weights_host = add_sat(p.weights_host, c.host);
        p.weights_device = add_sat(p.weights_device, c.device);
    }
    // The model's own tables: the Model, its layers, the lists of weights
    // and widened vectors (grown by doubling).
    HParams h;
    LOOM_TRY(read_hparams(g, &h));
    const auto pow2 = [](uint64_t n) { uint64_t c = 1; while (c < n) c *= 2; return n ? c : 0; };
    p.weights_host += heap_block_bytes(sizeof(Model)) + heap_block_bytes(uint64_t(h.n_layer) * sizeof(LayerWeights)) +
                      heap_block_bytes(pow2(n_weights) * sizeof(void *)) +
                      heap_block_bytes(pow2(n_vectors) * sizeof(std::vector<float>));
    if (src == WeightSource::Heap) p.weights_host = add_sat(p.weights_host, heap_block_bytes(g.size()));
    else p.weights_mapped = in_place;
    p.host = p.weights_host;
    p.device = p.weights_device;
    finish_sums(&p);
    *out = p;
    return Status::ok();
}

Status plan_model_load(const GgufFile &g, int32_t backend_kind, int split_layer, WeightSource src, uint64_t host_limit,
                       bool *repack, loom_memory_plan *out) {
    *repack = true;
    LOOM_TRY(plan_model_memory(g, backend_kind, split_layer, src, true, out));
    if (backend_kind != LOOM_BACKEND_CPU || !host_limit || out->host <= host_limit) return Status::ok();
    loom_memory_plan in_place;
    LOOM_TRY(plan_model_memory(g, backend_kind, split_layer, src, false, &in_place));
    if (in_place.host > host_limit) return Status::ok();   // too big either way: check_memory_plan says so
    *repack = false;
    *out = in_place;
    return Status::ok();
}

Status plan_context_memory(const Model &m, const loom_context_params &prm, int64_t mask_rows, int64_t mask_cols,
                           int64_t logit_rows, loom_memory_plan *out) {
    const HParams &h = m.hparams();
    const int32_t kind = backend_kind_of(m.backend());
    PlanCosts cost;
    LOOM_TRY(cost.init(kind, m.backend().split_layer()));
    const auto kv_type = static_cast<loom_type>(prm.kv_type);
    loom_memory_plan p{};
    p.struct_size = sizeof p;
    p.backend = kind;

    // The session's tensors, as context_create and the decodes allocate them.
    CostSession s(cost);
    ForwardBuffers b;
    LOOM_TRY(m.alloc_buffers(s, prm.n_ctx, prm.n_batch, kv_type, &b));
    LOOM_TRY(m.reserve_mask(s, b, mask_rows, mask_cols));
    LOOM_TRY(m.reserve_logits(s, b, logit_rows));
    const MemoryCost all = s.total();
    uint64_t kv_tensors = 0;
    for (int il = 0; il < h.n_layer; il++) {
        const MemoryCost kv1 = cost.tensor(il, kv_type, h.kv_dim(), prm.n_ctx);
        kv_tensors += 2 * (kv1.host + kv1.device);
    }
    const MemoryCost mask = cost.tensor(kPartShared, LOOM_TYPE_F32, mask_cols, mask_rows);
    const MemoryCost logits = cost.tensor(kPartEnds, LOOM_TYPE_F32, h.n_vocab, logit_rows);
    // Host side of the context: the cells' tags, the logits (and embeddings)
    // copied out, the entry -> row map, one mask row built for upload.
    const uint64_t tags = heap_block_bytes(mul_sat(prm.n_ctx, sizeof(KvCell)));
    uint64_t out_rows = heap_block_bytes(mul_sat(mul_sat(uint64_t(logit_rows), uint64_t(h.n_vocab)), sizeof(float)));
    if (prm.embeddings)
        out_rows = add_sat(out_rows, heap_block_bytes(mul_sat(mul_sat(uint64_t(logit_rows), uint64_t(h.n_embd)), 4)));
    out_rows = add_sat(out_rows, heap_block_bytes(mul_sat(prm.n_batch, sizeof(int32_t))));
    if (prm.pooling_type != LOOM_POOLING_NONE) {   // pooling_init: a vector per sequence, its flags, an accumulator
        out_rows = add_sat(out_rows, heap_block_bytes(mul_sat(mul_sat(prm.n_seq_max, uint64_t(h.n_embd)), 4)));
        out_rows = add_sat(out_rows, heap_block_bytes(prm.n_seq_max));
        out_rows = add_sat(out_rows, heap_block_bytes(mul_sat(uint64_t(h.n_embd), sizeof(double))));
    }
    const uint64_t mask_row = heap_block_bytes(mul_sat(uint64_t(mask_cols), sizeof(float)));

    p.kv_cache = add_sat(kv_tensors, tags);
    p.mask = add_sat(mask.host + mask.device, mask_row);
    p.logits = add_sat(logits.host + logits.device, out_rows);
    p.activations = (all.host + all.device) - kv_tensors - (mask.host + mask.device) - (logits.host + logits.device);

    SessionShape shape;
    std::vector<MatmulGroupShape> groups;
    matmul_shapes(m, prm.n_batch, &groups, &shape.max_weight_cols);
    shape.n_threads = prm.n_threads;
    shape.fast_matmul = prm.matmul_precision == LOOM_MATMUL_FAST;
    shape.max_rows = prm.n_batch;
    shape.attn_group = h.n_head_kv > 0 ? h.n_head / h.n_head_kv : 0;
    shape.head_dim = h.head_dim;
    shape.n_head_kv = h.n_head_kv;
    shape.n_ctx = prm.n_ctx;
    shape.kv_type = kv_type;
    shape.groups = groups.data();
    shape.n_groups = int(groups.size());
    const MemoryCost scratch = cost.session(shape);
    p.scratch = scratch.host + scratch.device;

    p.device = all.device + scratch.device;
    p.host = add_sat(add_sat(add_sat(all.host, scratch.host), add_sat(tags, out_rows)), mask_row);
    finish_sums(&p);
    *out = p;
    return Status::ok();
}

Status check_memory_plan(const loom_memory_plan &p, uint64_t budget, const char *what) {
    if (budget && p.total > budget)
        return error(LOOM_ERR_OUT_OF_MEMORY,
                     "%s needs %llu bytes, over its memory_budget of %llu bytes (weights: %llu mapped, %llu host, %llu "
                     "device; KV cache %llu, activations %llu, scratch %llu, logits %llu, mask %llu)",
                     what, (unsigned long long)p.total, (unsigned long long)budget,
                     (unsigned long long)p.weights_mapped, (unsigned long long)p.weights_host,
                     (unsigned long long)p.weights_device, (unsigned long long)p.kv_cache,
                     (unsigned long long)p.activations, (unsigned long long)p.scratch, (unsigned long long)p.logits,
                     (unsigned long long)p.mask);
    const uint64_t limit = host_memory_limit();
    if (!limit || p.host <= limit) return Status::ok();
    return error(LOOM_ERR_OUT_OF_MEMORY,
                 "%s needs %llu MiB (KV cache %llu, activations %llu, mask %llu, logits %llu, scratch %llu, weights "
                 "%llu MiB); this machine can give %llu MiB (lower n_ctx or n_batch, or decode fewer outputs at once)",
                 what, (unsigned long long)(p.host / kMiB), (unsigned long long)(p.kv_cache / kMiB),
                 (unsigned long long)(p.activations / kMiB), (unsigned long long)(p.mask / kMiB),
                 (unsigned long long)(p.logits / kMiB), (unsigned long long)(p.scratch / kMiB),
                 (unsigned long long)(p.weights_host / kMiB), (unsigned long long)(limit / kMiB));
}

Status write_memory_plan(const loom_memory_plan &plan, loom_memory_plan *caller) {
    const size_t size = caller->struct_size;
    if (size < sizeof(size_t) || size > 64 * 1024)
        return error(LOOM_ERR_INVALID_ARGUMENT,
                     "plan->struct_size = %zu is not the size of a loom_memory_plan; set it to sizeof(loom_memory_plan)",
                     size);
    // Whole fields only: a caller's struct that ends inside a field gets none of it.
    const size_t n = std::min(size, sizeof plan) / sizeof(uint64_t) * sizeof(uint64_t);
    std::memset(static_cast<void *>(caller), 0, size);
    std::memcpy(static_cast<void *>(caller), &plan, n);
    caller->struct_size = size;
    return Status::ok();
}

} // namespace loom
