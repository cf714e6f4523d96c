// The CPU backend: weights borrowed from the (mapped) GGUF bytes, a session
// per context with its own thread pool, ops recorded as closures and run in
// order by compute(), the abort callback checked between them.
#include "cpu/cpu_tensor.h"
#include "cpu/kernels.h"

#include "backends/step_pacer.h"
#include "quant/quant.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

namespace loom {

namespace cpu {

namespace {

Status check_rows(const char *op, const Tensor *t, int64_t rows) {
    if (!t) return error(LOOM_ERR_INTERNAL, "cpu %s: missing tensor", op);
    if (rows < 0 || rows > t->ne[1])
        return error(LOOM_ERR_INTERNAL, "cpu %s: %lld rows of a tensor with %lld", op, (long long)rows, (long long)t->ne[1]);
    return Status::ok();
}

Status check_f32(const char *op, const Tensor *t, int64_t cols, int64_t rows) {
    LOOM_TRY(check_rows(op, t, rows));
    if (t->type != LOOM_TYPE_F32 || t->ne[0] != cols)
        return error(LOOM_ERR_INTERNAL, "cpu %s: expected f32 rows of %lld values, got type %d with %lld", op,
                     (long long)cols, t->type, (long long)t->ne[0]);
    return Status::ok();
}

Status check_i32(const char *op, const Tensor *t, int64_t n) {
    if (!t || t->type != LOOM_TYPE_I32 || t->ne[0] < n)
        return error(LOOM_ERR_INTERNAL, "cpu %s: index tensor too small for %lld entries", op, (long long)n);
    return Status::ok();
}

class CpuSession final : public Session {
public:
    // Starts the threads and sizes the per-worker scratch for graphs of
    // params.max_rows rows over weights of at most max_weight_cols columns.
    static Status create(const SessionParams &params, int64_t max_weight_cols, std::unique_ptr<Session> *out) {
        const int n = std::max(1, std::min(params.n_threads, 256));
        std::unique_ptr<CpuSession> s(new CpuSession(params.fast_matmul, params.host_jobs));
        LOOM_TRY(s->make_pool(n));
        s->scratch_.per_worker.resize(static_cast<size_t>(n));
        size_t floats = matmul_worker_floats(max_weight_cols, params.max_rows);
        if (params.attn_group > 0 && params.head_dim > 0)
            floats = std::max(floats, attention_worker_floats(params.attn_group, params.head_dim));
        LOOM_TRY(s->scratch_.reserve_workers(floats));
        *out = std::move(s);
        return Status::ok();
    }

    Status alloc(loom_type type, int64_t cols, int64_t rows, Tensor **out) override {
        std::unique_ptr<CpuTensor> t;
        LOOM_TRY(make_host_tensor(type, cols, rows, &t));
        tensors_.push_back(std::move(t));
        *out = tensors_.back().get();
        return Status::ok();
    }

    Status upload(Tensor *t, size_t offset, const void *src, size_t size) override {
        LOOM_TRY(check_range(t, offset, size));
        if (size) std::memcpy(cpu(t)->data + offset, src, size);
        return Status::ok();
    }

    Status download(const Tensor *t, size_t offset, void *dst, size_t size) override {
        LOOM_TRY(check_range(t, offset, size));
        if (size) std::memcpy(dst, cpu(t)->data + offset, size);
        return Status::ok();
    }

    void release(Tensor *t) override {
        auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const auto &p) { return p.get() == t; });
        if (it != tensors_.end()) tensors_.erase(it);
    }

    Status begin_graph() override {
        clear_graph();
        return Status::ok();
    }

    Status compute(const AbortFn &abort) override {
        Status s;
        for (size_t i = 0; i < ops_.size() && s; i++) {
            if (abort && abort()) s = error(LOOM_ERR_CANCELLED, "decode cancelled by the abort callback");
            else s = run_op_at(i);
        }
        clear_graph();
        return s;
    }

    Status begin_stepped_graph(int64_t shape_key) override {
        clear_graph();
        stepped_ = true;
        shape_key_ = shape_key;
        return Status::ok();
    }

    // Pieces are ops: the graph resumes at the op after the last one run.
    Status compute_step(const AbortFn &abort, int64_t budget_us, bool *done) override {
        if (!step_started_) pacer_.start(ops_.size(), shape_key_);
        step_started_ = true;
        const Status s = pacer_.step(ops_.size(), &next_op_, abort, budget_us, [&](size_t i) { return run_op_at(i); });
        *done = s && next_op_ == ops_.size();
        if (!s || *done) clear_graph();
        return s;
    }

    void cancel_graph() override { clear_graph(); }

    void set_op_times(OpTimes *times) override { op_times_ = times; }

    Status set_n_threads(int n_threads) override {
        const size_t floats = scratch_.per_worker.empty() ? 0 : scratch_.per_worker.front().size();
        LOOM_TRY(make_pool(std::max(1, std::min(n_threads, 256))));
        scratch_.per_worker.resize(size_t(pool_->size()));
        return scratch_.reserve_workers(floats);
    }

    Status get_rows(Tensor *dst, const Tensor *table, const Tensor *ids, int64_t rows) override {
        LOOM_TRY(check_f32("get_rows", dst, table->ne[0], rows));
        LOOM_TRY(check_i32("get_rows", ids, rows));
        record("get_rows", [=] { op_get_rows(*pool_, cpu(dst), cpu(table), cpu(ids), rows); });
        return Status::ok();
    }

    Status rmsnorm(Tensor *dst, const Tensor *src, const Tensor *w, float eps, int64_t rows) override {
        LOOM_TRY(check_f32("rmsnorm", src, dst->ne[0], rows));
        LOOM_TRY(check_f32("rmsnorm", dst, src->ne[0], rows));
        LOOM_TRY(check_f32("rmsnorm weight", w, src->ne[0], 1));
        record("rmsnorm", [=] { op_rmsnorm(*pool_, cpu(dst), cpu(src), cpu(w), eps, rows); });
        return Status::ok();
    }

    Status matmul(Tensor *dst, const Tensor *w, const Tensor *src, const Tensor *bias, int64_t rows) override {
        LOOM_TRY(check_f32("matmul input", src, w->ne[0], rows));
        LOOM_TRY(check_f32("matmul output", dst, w->ne[1], rows));
        if (bias) LOOM_TRY(check_f32("matmul bias", bias, w->ne[1], 1));
        LOOM_TRY(scratch_.reserve_workers(matmul_worker_floats(w->ne[0], rows)));
        const MatmulJob job{cpu(dst), cpu(w), bias ? cpu(bias) : nullptr};
        MatmulGroup *g = open_group_;
        if (g && g->src == src && g->rows == rows && g->n < kMaxMatmulGroup && dst != src) {
            g->jobs[g->n++] = job;   // same input as the matmul just recorded: one conversion, one parallel_for
            return Status::ok();
        }
        const int64_t k = w->ne[0], n = w->ne[1];
        if (stepped_ && dst != src && k * n * rows > kStepPieceMacs) {
            // A stepped graph's pieces stay short: ranges of weight rows, each its own op.
            const int64_t per = step_piece_rows(k, rows, 16);
            for (int64_t r0 = 0; r0 < n; r0 += per) {
                MatmulJob part = job;
                part.r0 = r0;
                part.r1 = std::min(n, r0 + per);
                record_group(part, src, rows);
            }
            open_group_ = nullptr;
            return Status::ok();
        }
        g = record_group(job, src, rows);
        open_group_ = dst != src ? g : nullptr;
        return Status::ok();
    }

    Status rope(Tensor *x, const Tensor *pos, RopeMode mode, int n_head, int head_dim, float freq_base,
                int64_t rows) override {
        LOOM_TRY(check_f32("rope", x, int64_t(n_head) * head_dim, rows));
        LOOM_TRY(check_i32("rope", pos, rows));
        record("rope", [=] { op_rope(*pool_, cpu(x), cpu(pos), mode, n_head, head_dim, freq_base, rows); });
        return Status::ok();
    }

    Status kv_store(Tensor *cache, const Tensor *src, const Tensor *cells, int64_t rows) override {
        LOOM_TRY(check_f32("kv_store", src, cache->ne[0], rows));
        LOOM_TRY(check_i32("kv_store", cells, rows));
        const TypeTraits *tt = type_traits(cache->type);
        if (!tt || !tt->from_float) return error(LOOM_ERR_UNSUPPORTED, "cpu kv_store: cache type %d", cache->type);
        record("kv_store", [=] { op_kv_store(*pool_, cpu(cache), cpu(src), cpu(cells), rows); });
        return Status::ok();
    }

    Status attention(Tensor *out, const Tensor *q, const Tensor *k, const Tensor *v, const Tensor *ranges,
                     const Tensor *mask, int n_head, int n_head_kv, int head_dim, float scale, int64_t width,
                     int64_t rows) override {
        const int64_t qd = int64_t(n_head) * head_dim, kvd = int64_t(n_head_kv) * head_dim;
        LOOM_TRY(check_f32("attention q", q, qd, rows));
        LOOM_TRY(check_f32("attention out", out, qd, rows));
        LOOM_TRY(check_rows("attention mask", mask, rows));
        LOOM_TRY(check_rows("attention ranges", ranges, rows));
        if (k->ne[0] != kvd || v->ne[0] != kvd || k->ne[1] != v->ne[1] || mask->ne[0] < width || width <= 0 ||
            ranges->type != LOOM_TYPE_I32 || ranges->ne[0] != 2 || n_head_kv <= 0 || n_head % n_head_kv != 0)
            return error(LOOM_ERR_INTERNAL, "cpu attention: inconsistent shapes");
        LOOM_TRY(scratch_.reserve_workers(attention_worker_floats(n_head / n_head_kv, head_dim)));
        AttentionArgs a{n_head, n_head_kv, head_dim, scale, width, rows};
        record("attention", [=] { op_attention(*pool_, scratch_, cpu(out), cpu(q), cpu(k), cpu(v), cpu(ranges), cpu(mask), a); });
        return Status::ok();
    }

    Status swiglu(Tensor *dst, const Tensor *gate, const Tensor *up, int64_t rows) override {
        LOOM_TRY(check_f32("swiglu", gate, dst->ne[0], rows));
        LOOM_TRY(check_f32("swiglu", up, dst->ne[0], rows));
        LOOM_TRY(check_f32("swiglu", dst, dst->ne[0], rows));
        record("swiglu", [=] { op_swiglu(*pool_, cpu(dst), cpu(gate), cpu(up), rows); });
        return Status::ok();
    }

    Status add(Tensor *dst, const Tensor *a, const Tensor *b, int64_t rows) override {
        LOOM_TRY(check_f32("add", a, dst->ne[0], rows));
        LOOM_TRY(check_f32("add", b, dst->ne[0], rows));
        LOOM_TRY(check_f32("add", dst, dst->ne[0], rows));
        record("add", [=] { op_add(*pool_, cpu(dst), cpu(a), cpu(b), rows); });
        return Status::ok();
    }

    Status moe_route(Tensor *ids, Tensor *weights, const Tensor *logits, int k, int64_t rows) override {
        LOOM_TRY(check_rows("moe_route", logits, rows));
        LOOM_TRY(check_f32("moe_route weights", weights, k, rows));
        if (k < 1 || k > logits->ne[0] || !ids || ids->type != LOOM_TYPE_I32 || ids->ne[0] != k || ids->ne[1] < rows)
            return error(LOOM_ERR_INTERNAL, "cpu moe_route: inconsistent shapes");
        record("moe_route", [=] { op_moe_route(*pool_, cpu(ids), cpu(weights), cpu(logits), k, rows); });
        return Status::ok();
    }
    Status matmul_id(Tensor *dst, const Tensor *w, const Tensor *src, const Tensor *ids, int n_expert, int k,
                     bool src_per_slot, int64_t rows) override {
        if (n_expert < 1 || k < 1 || w->ne[1] % n_expert != 0 || !ids || ids->type != LOOM_TYPE_I32 ||
            ids->ne[0] != k || ids->ne[1] < rows)
            return error(LOOM_ERR_INTERNAL, "cpu matmul_id: inconsistent shapes");
        const int64_t slots = rows * k, n = w->ne[1] / n_expert;
        LOOM_TRY(check_f32("matmul_id input", src, w->ne[0], src_per_slot ? slots : rows));
        LOOM_TRY(check_f32("matmul_id output", dst, n, slots));
        LOOM_TRY(reserve_moe(n_expert, slots, w->ne[0], n));
        LOOM_TRY(scratch_.reserve_workers(matmul_worker_floats(w->ne[0], slots)));
        const MatmulIdArgs a{cpu(dst), cpu(w), cpu(src), cpu(ids), n_expert, k, src_per_slot, fast_matmul_, rows};
        record("matmul_id", [this, a] { op_matmul_id(*pool_, scratch_, moe_, a); });
        return Status::ok();
    }
    Status moe_sum(Tensor *dst, const Tensor *src, const Tensor *weights, int k, int64_t rows) override {
        LOOM_TRY(check_f32("moe_sum", src, dst->ne[0], rows * k));
        LOOM_TRY(check_f32("moe_sum", dst, src->ne[0], rows));
        LOOM_TRY(check_f32("moe_sum weights", weights, k, rows));
        record("moe_sum", [=] { op_moe_sum(*pool_, cpu(dst), cpu(src), cpu(weights), k, rows); });
        return Status::ok();
    }
    Status scale_sigmoid(Tensor *x, const Tensor *g, int64_t rows) override {
        LOOM_TRY(check_f32("scale_sigmoid", x, x->ne[0], rows));
        LOOM_TRY(check_f32("scale_sigmoid gate", g, 1, rows));
        record("scale_sigmoid", [=] { op_scale_sigmoid(*pool_, cpu(x), cpu(g), rows); });
        return Status::ok();
    }
    Status sum_squares(Tensor *acc, const Tensor *src, int64_t rows) override {
        LOOM_TRY(check_f32("sum_squares", src, src->ne[0], rows));
        LOOM_TRY(check_f32("sum_squares accumulator", acc, src->ne[0], 1));
        record("sum_squares", [=] { op_sum_squares(*pool_, cpu(acc), cpu(src), rows); });
        return Status::ok();
    }

private:
    CpuSession(bool fast_matmul, const HostJobs &host_jobs) : fast_matmul_(fast_matmul), host_jobs_(host_jobs) {}

    // n workers: loom's own threads, or indices of the host's (host_jobs_).
    // On failure the pool in use stays.
    Status make_pool(int n) {
        std::unique_ptr<ThreadPool> pool;
        if (host_jobs_.parallel_for) LOOM_TRY(ThreadPool::create_hosted(n, host_jobs_, &pool));
        else LOOM_TRY(ThreadPool::create(n, &pool));
        pool_ = std::move(pool);
        return Status::ok();
    }

    // An op may throw only on this thread (a task's exception is carried
    // back by the pool): an allocation in the op itself, e.g. growing the
    // shared scratch.
    static Status run_op(const std::function<void()> &op) {
        try {
            op();
        } catch (const std::bad_alloc &) {
            return error(LOOM_ERR_OUT_OF_MEMORY, "cpu: out of memory while running a graph");
        } catch (const std::exception &e) {
            return error(LOOM_ERR_INTERNAL, "cpu: a graph op failed: %s", e.what());
        }
        return Status::ok();
    }

    // Grows the expert matmuls' buffers (at record time, where a failure is a status).
    Status reserve_moe(int64_t n_expert, int64_t slots, int64_t k_in, int64_t n) {
        try {
            if (moe_.start.size() < size_t(n_expert + 1)) moe_.start.resize(size_t(n_expert + 1));
            if (moe_.fill.size() < size_t(n_expert)) moe_.fill.resize(size_t(n_expert));
            if (moe_.order.size() < size_t(slots)) moe_.order.resize(size_t(slots));
        } catch (const std::bad_alloc &) {
            return error(LOOM_ERR_OUT_OF_MEMORY, "cpu: out of memory for the expert routing tables (%lld experts, %lld slots)",
                         (long long)n_expert, (long long)slots);
        }
        auto grow = [](std::unique_ptr<CpuTensor> &t, int64_t cols, int64_t rows) -> Status {
            if (t && t->ne[0] >= cols * rows) return Status::ok();
            return make_host_tensor(LOOM_TYPE_F32, cols * rows, 1, &t);
        };
        LOOM_TRY(grow(moe_.in, k_in, slots));
        return grow(moe_.out, n, slots);
    }

    // Matmuls recorded back to back over the same input, run as one op.
    struct MatmulGroup {
        MatmulJob jobs[kMaxMatmulGroup];
        int n = 0;
        const Tensor *src = nullptr;
        int64_t rows = 0;
    };

    // What set_op_times labels an op with.
    struct OpInfo {
        const char *name;           // static
        const MatmulGroup *group;   // a matmul group's op, else nullptr
    };

    // Records a new matmul group of `job` (more may join it) as one op.
    MatmulGroup *record_group(const MatmulJob &job, const Tensor *src, int64_t rows) {
        groups_.push_back(std::make_unique<MatmulGroup>());
        MatmulGroup *g = groups_.back().get();
        g->jobs[0] = job;
        g->n = 1;
        g->src = src;
        g->rows = rows;
        record("matmul", [this, g] { op_matmul_group(*pool_, scratch_, g->jobs, g->n, cpu(g->src), g->rows, fast_matmul_); }, g);
        return g;
    }

    // An op of the graph; `name` (static) and `group` label it for set_op_times.
    template <typename F>
    void record(const char *name, F &&f, const MatmulGroup *group = nullptr) {
        ops_.emplace_back(std::forward<F>(f));
        op_info_.push_back(OpInfo{name, group});
        open_group_ = nullptr;   // a matmul after another op starts a new group
    }

    // Op i, timed into op_times_ when set.
    Status run_op_at(size_t i) {
        if (!op_times_) return run_op(ops_[i]);
        const Clock::time_point t0 = Clock::now();
        const Status s = run_op(ops_[i]);
        const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        try {
            uint64_t bytes = 0;
            const std::string label = op_label(op_info_[i], &bytes);
            op_times_->add(label, seconds, bytes);
        } catch (const std::exception &) {   // bad_alloc: this op goes untimed
        }
        return s;
    }

    // "matmul Q4_0+Q4_0 k=896 n=9728 rows=1": the group's weight types, the
    // shared k, the output rows of all its weights and the input rows;
    // *bytes: the weight bytes read.
    static std::string op_label(const OpInfo &op, uint64_t *bytes) {
        if (!op.group) return op.name;
        const MatmulGroup &g = *op.group;
        std::string label = op.name;
        int64_t n = 0;
        for (int j = 0; j < g.n; j++) {
            const MatmulJob &job = g.jobs[j];
            const TypeTraits *tt = type_traits(job.w->type);
            label += j ? "+" : " ";
            label += tt ? tt->name : "?";
            n += job.end() - job.begin();
            *bytes += static_cast<uint64_t>(job.end() - job.begin()) * job.w->row_bytes;
        }
        return label + " k=" + std::to_string(g.jobs[0].w->ne[0]) + " n=" + std::to_string(n) +
               " rows=" + std::to_string(g.rows);
    }

    void clear_graph() {
        next_op_ = 0;
        stepped_ = false;
        step_started_ = false;
        ops_.clear();
        op_info_.clear();
        groups_.clear();
        open_group_ = nullptr;
    }

    static Status check_range(const Tensor *t, size_t offset, size_t size) {
        size_t total = t->row_bytes * static_cast<size_t>(t->ne[1]);
        if (offset > total || size > total - offset)
            return error(LOOM_ERR_INTERNAL, "cpu transfer of %zu bytes at %zu past a %zu-byte tensor", size, offset, total);
        return Status::ok();
    }

    std::unique_ptr<ThreadPool> pool_;
    bool fast_matmul_;     // SessionParams::fast_matmul
    HostJobs host_jobs_;   // SessionParams::host_jobs
    Scratch scratch_;
    std::vector<std::unique_ptr<CpuTensor>> tensors_;
    std::vector<std::function<void()>> ops_;
    std::vector<OpInfo> op_info_;                        // one per op
    OpTimes *op_times_ = nullptr;                        // set_op_times
    std::vector<std::unique_ptr<MatmulGroup>> groups_;   // referenced by ops_
    MatmulGroup *open_group_ = nullptr;                  // the last op recorded, if a matmul group
    MoeScratch moe_;                                     // expert matmul buffers
    bool stepped_ = false;                               // recording or running a stepped graph
    bool step_started_ = false;                          // compute_step ran since the graph was recorded
    size_t next_op_ = 0;                                 // stepped graphs: the op to run next
    int64_t shape_key_ = -1;
    StepPacer pacer_;
};

class CpuBackend final : public Backend {
public:
    CpuBackend(bool repack_weights, bool copy_weights, int load_threads)
        : repack_weights_(repack_weights), copy_weights_(repack_weights && copy_weights),
          load_threads_(std::max(1, std::min(load_threads, 256))) {}

    const char *name() const override { return "cpu"; }
    bool supports_experts() const override { return true; }

    void expect_weight(loom_type type, int64_t cols, int64_t rows) override {
        arena_want_ += weight_copy_size(repack_weights_, copy_weights_, type, cols, rows);
    }

    Status create_weight(loom_type type, int64_t cols, int64_t rows, const void *data, Tensor **out) override {
        const TypeTraits *tt = type_traits(type);
        const bool interleaved = is_row_interleaved(type);
        const loom_type stored = interleaved ? LOOM_TYPE_Q4_0 : type;   // what the tensor holds after load
        if (!tt || (!interleaved && !tt->to_float) || !matmul_kernels(stored, active_isa()))
            return error(LOOM_ERR_UNSUPPORTED, "tensor type %s has no CPU support", tt ? tt->name : "(unknown)");
        std::unique_ptr<CpuTensor> t;
        if (interleaved) {
            // Interleaved row groups have no matmul: convert once to plain Q4_0 rows.
            LOOM_TRY(make_host_tensor(LOOM_TYPE_Q4_0, cols, rows, &t));
            if (!interleaved_to_q4_0(type, data, t->data, rows, cols))
                return error(LOOM_ERR_FORMAT, "%s weight of %lld x %lld cannot be de-interleaved", tt->name,
                             (long long)rows, (long long)cols);
            t->holds_copy = true;
            if (repack_weights_) LOOM_TRY(repack(t.get()));
        } else {
            t = std::make_unique<CpuTensor>();
            t->type = type;
            t->ne[0] = cols;
            t->ne[1] = rows;
            LOOM_TRY(row_bytes(type, cols, &t->row_bytes));
            t->data = const_cast<uint8_t *>(static_cast<const uint8_t *>(data));   // read-only use
            if (repack_weights_) LOOM_TRY(repack(t.get()));
            if (copy_weights_ && !t->packed && rows > 1) LOOM_TRY(copy(t.get()));
        }
        weights_.push_back(std::move(t));
        *out = weights_.back().get();
        max_weight_cols_ = std::max(max_weight_cols_, cols);
        return Status::ok();
    }

    Status new_session(const SessionParams &params, std::unique_ptr<Session> *out) const override {
        return CpuSession::create(params, max_weight_cols_, out);
    }

    void finish_load() override { load_pool_.reset(); }

private:
    // Weights whose kernels have a load-time layout get a repacked copy
    // (kept beside the source bytes, which get_rows may still read).
    Status repack(CpuTensor *t) {
        const MatmulKernels *k = matmul_kernels(t->type, active_isa());
        if (!k->repack || !k->matmul_packed || t->ne[1] % kPackRows != 0) return Status::ok();
        const size_t bytes = t->row_bytes * static_cast<size_t>(t->ne[1]);
        LOOM_TRY(copy_destination(bytes, &t->packed_block, "a repacked weight", &t->packed));
        // Groups of kPackRows rows repack independently, each to the offset
        // its rows have in the source (kernels.h): a task takes whole groups,
        // about kLoadTaskBytes of them.
        const size_t group_bytes = t->row_bytes * static_cast<size_t>(kPackRows);
        const int64_t groups = t->ne[1] / kPackRows;
        const int64_t per_task = std::max<int64_t>(1, static_cast<int64_t>(kLoadTaskBytes / group_bytes));
        const uint8_t *src = t->data;
        uint8_t *dst = t->packed;
        const int64_t cols = t->ne[0];
        for_load_tasks(bytes, (groups + per_task - 1) / per_task, [=](int64_t task) {
            const int64_t g0 = task * per_task, n = std::min(per_task, groups - g0);
            const size_t at = static_cast<size_t>(g0) * group_bytes;
            k->repack(src + at, dst + at, n * kPackRows, cols);
        });
        t->holds_copy = true;
        return Status::ok();
    }

    // Any other matrix weight (copy_weights_): a plain copy, which every
    // use (matmul, get_rows) reads instead of the source bytes.
    Status copy(CpuTensor *t) {
        const size_t bytes = t->row_bytes * static_cast<size_t>(t->ne[1]);
        const uint8_t *src = t->data;
        uint8_t *dst = nullptr;
        LOOM_TRY(copy_destination(bytes, &t->owned, "a copy of a weight", &dst));
        // Tasks end on the destination's 2 MiB boundaries (the first may be short).
        const size_t head = (kLoadTaskBytes - reinterpret_cast<uintptr_t>(dst) % kLoadTaskBytes) % kLoadTaskBytes;
        const size_t first = head ? std::min(head, bytes) : std::min(kLoadTaskBytes, bytes);
        const int64_t n_tasks = 1 + static_cast<int64_t>((bytes - first + kLoadTaskBytes - 1) / kLoadTaskBytes);
        for_load_tasks(bytes, n_tasks, [=](int64_t task) {
            const size_t at = task == 0 ? 0 : first + static_cast<size_t>(task - 1) * kLoadTaskBytes;
            std::memcpy(dst + at, src + at, task == 0 ? first : std::min(kLoadTaskBytes, bytes - at));
        });
        t->data = dst;
        t->holds_copy = true;
        return Status::ok();
    }

    // Where a load-time copy of `bytes` goes: the next part of the arena
    // (allocated at the first copy, of the bytes expect_weight() announced:
    // every copy of the model in one range, all of it in huge pages where
    // the OS gives them, the small matrices and each matrix's last partial
    // huge page included), or a block of its own in `own` for a weight not
    // announced. `what` names the weight in the error.
    Status copy_destination(size_t bytes, HostBlock *own, const char *what, uint8_t **out) {
        const size_t need = weight_copy_bytes(bytes);
        if (!arena_.data() && arena_want_ > 0 && arena_want_ >= need) {
            if (arena_want_ > SIZE_MAX || !arena_.allocate_streamed(static_cast<size_t>(arena_want_)))
                return error(LOOM_ERR_OUT_OF_MEMORY, "cpu: %llu bytes for the weights' load-time copies (repacked and plain)",
                             (unsigned long long)arena_want_);
        }
        if (arena_.data() && arena_.size() - arena_used_ >= need) {
            *out = arena_.data() + arena_used_;
            arena_used_ += need;
            return Status::ok();
        }
        if (!own->allocate_streamed(need)) return error(LOOM_ERR_OUT_OF_MEMORY, "cpu: %zu bytes for %s", bytes, what);
        *out = own->data();
        return Status::ok();
    }

    // Load-time copies and repacks of 2 * kLoadTaskBytes or more run on
    // load_threads_ threads: the first write to a fresh page faults it in,
    // and the kernel zeroes it on the faulting thread (most of a 7B load on
    // one thread; docs/large-models.md). A copy's task is one 2 MiB huge
    // page of the aligned destination (platform::alloc_pages); a repack's,
    // whole groups of about that size. The pool starts with the first such
    // copy and stops at finish_load(); where the OS refuses a thread the
    // work runs on the loading thread alone (slower, the same bytes).
    static constexpr size_t kLoadTaskBytes = size_t(2) << 20;

    template <class Fn> void for_load_tasks(size_t bytes, int64_t n_tasks, const Fn &fn) {
        const bool split = n_tasks > 1 && bytes >= 2 * kLoadTaskBytes && load_threads_ > 1;
        if (split && !load_pool_ && !load_pool_failed_)
            load_pool_failed_ = !ThreadPool::create(load_threads_, &load_pool_).is_ok();
        if (!split || !load_pool_) {
            for (int64_t i = 0; i < n_tasks; ++i) fn(i);
            return;
        }
        load_pool_->parallel_for(n_tasks, [&](int64_t task, int) { fn(task); });   // fn does not throw
    }

    bool repack_weights_;   // create_cpu_backend's
    bool copy_weights_;     // create_cpu_backend's (only with repack_weights_)
    int load_threads_;      // create_cpu_backend's
    uint64_t arena_want_ = 0;   // the copies expect_weight() announced
    HostBlock arena_;           // ... allocated at the first copy (copy_destination)
    size_t arena_used_ = 0;
    std::unique_ptr<ThreadPool> load_pool_;   // during load only (finish_load)
    bool load_pool_failed_ = false;
    std::vector<std::unique_ptr<CpuTensor>> weights_;
    int64_t max_weight_cols_ = 0;
};

} // namespace

} // namespace cpu

Status create_cpu_backend(std::unique_ptr<Backend> *out, bool repack_weights, bool copy_weights, int load_threads) {
    *out = std::make_unique<cpu::CpuBackend>(repack_weights, copy_weights, load_threads);
    return Status::ok();
}

} // namespace loom
