// The compute backend interface. The model (lib/model) is written once
// against it; each backend (backends/cpu, backends/vulkan) implements it.
//
// Two objects, split by sharing:
//   Backend  one per model. Owns the weights (device copies or borrowed host
//            bytes). Immutable after load; new_session() is thread-safe, so
//            many contexts on many threads share one Backend.
//   Session  one per context, used by one thread at a time. Owns the KV
//            cache, activation and input buffers, and records and runs graphs.
//
// A graph is recorded, then run: begin_graph(), op calls (which only record:
// a Vulkan session writes dispatches into a command buffer, the CPU session
// appends to an op list), then compute() which executes and waits. Between
// graphs the host reaches memory only through upload()/download(). The
// abort callback given to compute() is checked between ops (the granularity
// a backend can honour: per op on CPU, per submission on a GPU).
//
// Tensors are handles to backend-owned 2-D row-major storage: ne[1] rows of
// ne[0] values of `type`. Ops work on a leading row range given by `rows`
// (activations are allocated once for the largest batch and reused). Shapes
// in the comments are [rows][columns].
//
// Owner: backends (interface). The model never names a concrete backend.
#pragma once

#include "common/status.h"
#include "loom.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace loom {

// Base of every backend tensor; backends derive and add their storage.
struct Tensor {
    loom_type type = LOOM_TYPE_F32;
    int64_t ne[2] = {0, 0};   // ne[0] values per row, ne[1] rows
    size_t row_bytes = 0;     // bytes of one row of ne[0] values of `type`
    // Set by create_weight when the backend keeps its own copy of the bytes
    // (converted or repacked at load) and reads the source bytes rarely if
    // ever: the model may then let the OS drop the file's pages.
    bool holds_copy = false;
    virtual ~Tensor() = default;
};

// The host's job system (loom_context_params.parallel_for): when set, CPU
// kernels run their tasks through it instead of the session's own threads.
struct HostJobs {
    loom_parallel_for_fn parallel_for = nullptr;
    void *user_data = nullptr;
};

// Per-context options a session is created with.
struct SessionParams {
    int n_threads = 1;        // CPU worker threads, or the host's worker indices (a GPU backend may ignore it)
    HostJobs host_jobs;
    bool fast_matmul = false; // one 8-bit activation pass instead of value + residual (CPU)
    // The largest graph the session will run, so a backend can size its
    // working memory at creation rather than while a graph runs (0: unknown).
    int64_t max_rows = 0;     // batch rows (n_batch)
    int attn_group = 0;       // query heads per KV head
    int head_dim = 0;
};

enum class RopeMode { Neox, Normal };

// The part of a model a weight or a session tensor belongs to, for a backend
// that spreads a model's layers over two backends (partial offload,
// backends/split). The model names the part (Backend::set_part,
// Session::set_part) before create_weight or alloc; a backend on one device
// ignores it. Parts are a repeating layer's index (>= 0), or:
constexpr int kPartShared = -1;   // activations and graph inputs: every layer's ops read and write them
constexpr int kPartEnds = -2;     // token embeddings, output norm and matrix, the final hidden rows and logits

// Returns true to stop a running graph (loom_abort_fn adapter).
using AbortFn = std::function<bool()>;
using Clock = std::chrono::steady_clock;

// Wall time of a session's ops, summed per label over the graphs it runs
// (Session::set_op_times): a profiling tool's (tests/bench/op_profile),
// never set through the C API. A matmul's label names its weights' types,
// k and rows; `bytes` sums the weight bytes they read.
struct OpTimes {
    struct Entry {
        std::string label;
        double seconds = 0;
        int64_t calls = 0;
        uint64_t bytes = 0;
    };
    std::vector<Entry> entries;   // in the order first run
    void add(const std::string &label, double seconds, uint64_t bytes) {
        Entry *e = nullptr;
        for (Entry &x : entries)
            if (x.label == label) e = &x;
        if (!e) {
            entries.push_back(Entry{label, 0, 0, 0});
            e = &entries.back();
        }
        e->seconds += seconds;
        e->calls++;
        e->bytes += bytes;
    }
};

class Session {
public:
    virtual ~Session() = default;

    // --- memory ----------------------------------------------------------
    // A tensor of `rows` rows of `cols` values of `type` (F32, F16, Q8_0 for
    // KV caches, I32 for index inputs), zero-filled. Owned by the session.
    virtual Status alloc(loom_type type, int64_t cols, int64_t rows, Tensor **out) = 0;
    // Host <-> tensor bytes at `offset` (must not be called while recording).
    virtual Status upload(Tensor *t, size_t offset, const void *src, size_t size) = 0;
    virtual Status download(const Tensor *t, size_t offset, void *dst, size_t size) = 0;
    // Frees a tensor from alloc() (not while a recorded graph uses it). NULL ignored.
    virtual void release(Tensor *t) = 0;

    // --- graph -------------------------------------------------------------
    virtual Status begin_graph() = 0;
    // Runs what was recorded since begin_graph() and waits. CANCELLED if
    // `abort` returned true between ops (outputs then undefined).
    virtual Status compute(const AbortFn &abort) = 0;

    // --- stepped graphs (loom_decode_step) -----------------------------------
    // begin_stepped_graph() starts recording a graph that compute_step() then
    // runs in slices of about budget_us microseconds: pieces (ops on the CPU,
    // submissions of the command stream split at op boundaries on a GPU)
    // paced by StepPacer (backends/step_pacer.h) from what each took when a
    // graph of the same shape_key last ran; *done is set once the graph has
    // run. CANCELLED if `abort` returned true between pieces. After an error
    // or cancel_graph() the graph is dropped (outputs undefined) and the
    // session is ready for begin_graph(). The defaults run the whole graph in
    // one slice.
    virtual Status begin_stepped_graph(int64_t shape_key) {
        (void)shape_key;
        return begin_graph();
    }
    virtual Status compute_step(const AbortFn &abort, int64_t budget_us, bool *done) {
        (void)budget_us;
        *done = true;
        return compute(abort);
    }
    virtual void cancel_graph() {}

    // Times every op the session runs from now on into `times` (nullptr:
    // stop); the caller keeps it alive meanwhile. A backend that cannot time
    // its ops ignores it (the Vulkan backend: its ops run as one submission).
    virtual void set_op_times(OpTimes *times) { (void)times; }

    // The part of the model the next alloc() calls belong to (kPartShared
    // until set). Ignored by a session on one device.
    virtual void set_part(int part) { (void)part; }

    // Changes the worker count between graphs (loom_context_set_n_threads).
    // A backend without CPU workers ignores it. Errors: BACKEND, OUT_OF_MEMORY.
    virtual Status set_n_threads(int n_threads) {
        (void)n_threads;
        return Status::ok();
    }

    // --- ops (record only) ------------------------------------------------
    // dst[i] = table[ids[i]] as f32, i < rows. table: any weight type (or F32
    // activations: selecting output rows). dst [rows][table.ne0], ids I32 [rows].
    virtual Status get_rows(Tensor *dst, const Tensor *table, const Tensor *ids, int64_t rows) = 0;
    // dst[i] = src[i] / rms(src[i]) * weight, weight F32 [1][n]; src, dst [rows][n].
    virtual Status rmsnorm(Tensor *dst, const Tensor *src, const Tensor *weight, float eps, int64_t rows) = 0;
    // dst[i][o] = dot(w[o], src[i]) + bias[o]. w [n_out][k] of any weight type,
    // src [rows][k] f32, bias F32 [1][n_out] or nullptr, dst [rows][n_out].
    virtual Status matmul(Tensor *dst, const Tensor *w, const Tensor *src, const Tensor *bias, int64_t rows) = 0;
    // Rotary embedding in place. Within each head of head_dim values, pair j
    // (j < head_dim/2) rotates by angle pos * freq_base^(-2j/head_dim); the
    // pair is (j, j + head_dim/2) for RopeMode::Neox (qwen2) and (2j, 2j+1)
    // for RopeMode::Normal (llama). x [rows][n_head*head_dim], pos I32 [rows].
    virtual Status rope(Tensor *x, const Tensor *pos, RopeMode mode, int n_head, int head_dim, float freq_base,
                        int64_t rows) = 0;
    // cache[cells[i]] = src[i] converted to the cache's type. cache [n_ctx][n],
    // src [rows][n] f32, cells I32 [rows].
    virtual Status kv_store(Tensor *cache, const Tensor *src, const Tensor *cells, int64_t rows) = 0;
    // Attention of `rows` queries, row i over the cache cells [lo, hi) =
    // (ranges[i][0], ranges[i][1]) only (its sequence's cells):
    //   out[i][h] = sum_{lo <= c < hi} softmax_c(scale * q[i][h].k[c][h/g] + mask[i][c - lo]) v[c][h/g]
    // with g = n_head / n_head_kv (grouped-query). Scores and softmax in f32;
    // ranges I32 [rows][2] with 0 <= lo < hi <= k.ne1 and hi - lo <= width;
    // mask F32 [rows][>= width] holds 0 or -INFINITY (causality and sequence
    // membership; a row must allow at least one cell). Cells outside a row's
    // range are not read for it. q, out [rows][n_head*head_dim];
    // k, v [n_ctx][n_head_kv*head_dim].
    virtual Status attention(Tensor *out, const Tensor *q, const Tensor *k, const Tensor *v, const Tensor *ranges,
                             const Tensor *mask, int n_head, int n_head_kv, int head_dim, float scale, int64_t width,
                             int64_t rows) = 0;
    // dst = silu(gate) * up, all [rows][n].
    virtual Status swiglu(Tensor *dst, const Tensor *gate, const Tensor *up, int64_t rows) = 0;
    // dst = a + b, all [rows][n] (dst may alias a or b).
    virtual Status add(Tensor *dst, const Tensor *a, const Tensor *b, int64_t rows) = 0;

    // --- mixture of experts (needed when Backend::supports_experts()) ------
    // Per row: p = softmax(logits[i]) over n_expert, then the k largest p
    // (largest first; equal ones: lower expert first): ids I32 [rows][k],
    // weights F32 [rows][k] = those p (not renormalised). logits [rows][n_expert].
    virtual Status moe_route(Tensor *ids, Tensor *weights, const Tensor *logits, int k, int64_t rows);
    // Expert matmuls. w stacks n_expert matrices of n = w.ne1 / n_expert rows
    // ([n_expert*n][k_in]); for row i and slot j < k, with e = ids[i][j]:
    //   dst[i*k + j] = W_e . src[src_per_slot ? i*k + j : i]
    // src [rows or rows*k][k_in] f32, ids I32 [rows][k], dst [rows*k][n].
    // Each expert's weights are read once per call, whatever rows chose it.
    virtual Status matmul_id(Tensor *dst, const Tensor *w, const Tensor *src, const Tensor *ids, int n_expert, int k,
                             bool src_per_slot, int64_t rows);
    // dst[i] = sum_j weights[i][j] * src[i*k + j]; dst [rows][n], src [rows*k][n], weights [rows][k].
    virtual Status moe_sum(Tensor *dst, const Tensor *src, const Tensor *weights, int k, int64_t rows);
    // x[i] *= sigmoid(g[i][0]); x [rows][n], g [rows][1].
    virtual Status scale_sigmoid(Tensor *x, const Tensor *g, int64_t rows);

    // --- importance matrices (optional: UNSUPPORTED by default) -------------
    // acc[0][c] += sum over i < rows of src[i][c]^2, each column summed in row
    // order in f32 (llama-imatrix's order). acc F32 [1][n], src [rows][n].
    virtual Status sum_squares(Tensor *acc, const Tensor *src, int64_t rows);
    // Device memory this session's allocator holds now and at most so far
    // (ranges handed out, without the block rounding; 0 on the CPU). Tests
    // compare them with the memory plan.
    virtual uint64_t device_bytes_in_use() const { return 0; }
    virtual uint64_t device_bytes_peak() const { return 0; }
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual const char *name() const = 0;   // "cpu", "vulkan": static storage
    // Whether sessions implement the mixture-of-experts ops (qwen2moe).
    virtual bool supports_experts() const { return false; }

    // A weight of `rows` x `cols` values of `type` whose bytes are at `data`
    // (rows * row bytes). The bytes stay valid and unchanged for the Backend's
    // lifetime (the model owns the GGUF file), so a host backend may keep the
    // pointer instead of copying; a device backend uploads them. The tensor is
    // owned by the Backend. Load time only (not thread-safe). A backend that
    // copies the bytes sets the tensor's holds_copy; the bytes must still stay
    // readable (a host backend may read a few rows of them, e.g. get_rows).
    virtual Status create_weight(loom_type type, int64_t cols, int64_t rows, const void *data, Tensor **out) = 0;

    // Before a load's create_weight() calls: one weight of this shape will
    // come, in the part set_part() last named. A backend that copies weights
    // at load time may then place every copy in one block (the CPU backend:
    // one range of huge pages, small matrices included). Optional: a weight
    // not announced gets a block of its own.
    virtual void expect_weight(loom_type type, int64_t cols, int64_t rows) {
        (void)type;
        (void)cols;
        (void)rows;
    }

    // The part of the model the next create_weight() calls belong to (load
    // time only; kPartEnds until set). Ignored by a backend on one device.
    virtual void set_part(int part) { (void)part; }
    // A split backend (backends/split): layers from this index on run on its
    // device backend, the layers before it and kPartEnds on its host (CPU)
    // backend. -1: a backend on one device (every part on it).
    virtual int split_layer() const { return -1; }

    // The model has created every weight: a backend may let go of what it
    // held only to load them (the CPU backend's copy threads).
    virtual void finish_load() {}

    // A new session (thread-safe; the Backend must outlive it).
    virtual Status new_session(const SessionParams &params, std::unique_ptr<Session> *out) const = 0;

    // Device memory the weights hold (allocated ranges; 0 on the CPU).
    virtual uint64_t device_bytes_in_use() const { return 0; }
};

// What a backend kind allocates, computed without creating one: the memory
// plan (lib/context/memory_plan.cpp) adds these up. Host bytes are heap
// bytes; device bytes are device-memory ranges (what Session::alloc and
// create_weight take from the backend's allocator).
struct MemoryCost {
    uint64_t host = 0, device = 0;
    bool in_place = false;   // a weight: the backend reads the file's bytes at run time
};

// The bytes a heap block of n requested bytes occupies (glibc's malloc: an
// 8-byte header, 16-byte granules, 24 bytes at least); what the plan counts.
inline uint64_t heap_block_bytes(uint64_t n) {
    if (n == 0) return 0;
    const uint64_t b = (n + 8 + 15) / 16 * 16 - 8;
    return b < 24 ? 24 : b;
}

// The matmuls a graph runs over one input, back to back (a CPU session
// converts the input once per activation type): k inputs, `rows` rows.
struct MatmulGroupShape {
    int64_t k = 0, rows = 0;
    loom_type types[4] = {};
    int n = 0;
};

// The largest graph a session runs (for its working memory).
struct SessionShape {
    int n_threads = 1;
    bool fast_matmul = false;
    int64_t max_rows = 0;          // n_batch
    int64_t max_weight_cols = 0;   // the widest weight of the model
    int attn_group = 0, head_dim = 0, n_head_kv = 0;
    int64_t n_ctx = 0;             // cache cells attention may read
    loom_type kv_type = LOOM_TYPE_F16;
    const MatmulGroupShape *groups = nullptr;
    int n_groups = 0;
};

class BackendCost {
public:
    virtual ~BackendCost() = default;
    // A weight given to create_weight (beyond the file's own bytes).
    virtual MemoryCost weight(loom_type type, int64_t cols, int64_t rows) const = 0;
    // A tensor from Session::alloc.
    virtual MemoryCost tensor(loom_type type, int64_t cols, int64_t rows) const = 0;
    // A session's own working memory (scratch) for graphs up to `shape`.
    virtual MemoryCost session(const SessionShape &shape) const = 0;
};

// The cost model of the CPU backend (backends/cpu) and of the Vulkan backend
// (backends/vulkan; nullptr when built without it).
// repack_weights, copy_weights: as create_cpu_backend's.
std::unique_ptr<BackendCost> cpu_backend_cost(bool repack_weights = true, bool copy_weights = false);
std::unique_ptr<BackendCost> vulkan_backend_cost();

// The CPU backend (backends/cpu). Always available. repack_weights: weights
// whose kernels have a load-time layout (Q4_0, IQ4_NL, IQ4_XS, Q4_K, Q5_0,
// Q5_1 on x86) get a repacked copy, faster to multiply; copy_weights (with
// repack_weights; for weights read from a file mapping): every other matrix
// weight gets a plain copy. The copies are in HostBlock::allocate_streamed
// memory (huge pages on Linux: decode streams them up to 1.6x faster than
// 4 KiB pages of a file mapping, docs/performance.md). repack_weights
// false: every weight is read in place from the caller's bytes (a mapped
// file stays evictable, so a model larger than RAM still loads).
// load_threads: threads that make the copies (the caller's included), from
// the first copy until finish_load(); the caller's alone if the OS refuses one.
Status create_cpu_backend(std::unique_ptr<Backend> *out, bool repack_weights = true, bool copy_weights = false,
                          int load_threads = 1);

} // namespace loom
