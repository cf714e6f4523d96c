// CPU backend internals: tensors in host memory and the op kernels the
// session runs (each multi-threaded over a ThreadPool).
//
// Owner: backends/cpu.
#pragma once

#include "backends/backend.h"
#include "common/host_alloc.h"
#include "cpu/kernels/dot_f32.h"
#include "cpu/thread_pool.h"
#include "platform/platform.h"

#include <cstdlib>
#include <memory>
#include <vector>

namespace loom::cpu {

struct CpuTensor : Tensor {
    uint8_t *data = nullptr;                    // borrowed (weights) or in `owned`
    HostBlock owned;                            // make_host_tensor's zeroed block (data 64-byte aligned)
    // A weight also held in its kernel's load-time layout (MatmulKernels::
    // repack; same size as data), which matmuls read instead of data: in the
    // backend's arena of load-time copies, in packed_block, or borrowed from
    // another tensor's (an expert's view).
    uint8_t *packed = nullptr;
    HostBlock packed_block;

    uint8_t *row(int64_t i) const { return data + static_cast<size_t>(i) * row_bytes; }
    float *f32_row(int64_t i) const { return reinterpret_cast<float *>(row(i)); }
    const int32_t *i32() const { return reinterpret_cast<const int32_t *>(data); }
};

// Q4_0 with rows interleaved in groups (GGUF types 31-33), converted to
// plain Q4_0 rows at load.
inline bool is_row_interleaved(loom_type t) {
    return t == LOOM_TYPE_Q4_0_4_4 || t == LOOM_TYPE_Q4_0_4_8 || t == LOOM_TYPE_Q4_0_8_8;
}

// The part of the backend's arena (one HostBlock::allocate_streamed block
// of every load-time copy, cpu_backend.cpp) a weight copy of `bytes` takes,
// repacked or plain: whole 64-byte vectors.
inline size_t weight_copy_bytes(size_t bytes) { return (bytes + 63) / 64 * 64; }

// The bytes of the load-time copy the CPU backend makes of a weight of
// `rows` x `cols` of `type` (0: read in place), with create_cpu_backend's
// repack_weights and copy_weights: a repack where the type's kernels have a
// load-time layout, else a plain copy of a matrix with copy_weights. Row-
// interleaved Q4_0 types, converted to Q4_0 on the heap, count the repack of
// that only.
uint64_t weight_copy_size(bool repack, bool copy, loom_type type, int64_t cols, int64_t rows);

inline CpuTensor *cpu(Tensor *t) { return static_cast<CpuTensor *>(t); }
inline const CpuTensor *cpu(const Tensor *t) { return static_cast<const CpuTensor *>(t); }

// A 64-byte aligned, zeroed tensor of rows x cols of `type`.
Status make_host_tensor(loom_type type, int64_t cols, int64_t rows, std::unique_ptr<CpuTensor> *out);

// Scratch memory of a session. The per-worker buffers are sized before any
// task runs (at session creation for the largest graph, or when an op that
// needs more is recorded), so a task never allocates: an allocation failing
// inside a task would have to cross threads. `shared` grows on the calling
// thread inside an op, before its tasks start.
struct Scratch {
    std::vector<HostVector<float>> per_worker;    // one f32 buffer per worker
    HostVector<uint8_t> shared;                   // converted activations, dequantized KV
    // Every worker's buffer holds at least n floats. Errors: OUT_OF_MEMORY.
    Status reserve_workers(size_t n);
    // `shared` holds at least n bytes, taken exactly (reserve, not the
    // vector's doubling), so its size is the largest use: what the memory
    // plan counts. May throw std::bad_alloc (inside an op, see above).
    void grow_shared(size_t n) {
        if (shared.size() >= n) return;
        shared.reserve(n);
        shared.resize(n);
    }
    // Worker w's buffer (reserve_workers(n) came first for any n it uses).
    float *worker(int w) { return per_worker[static_cast<size_t>(w)].data(); }
};

// --- op kernels (ops.cpp, matmul.cpp, attention.cpp) ---------------------
void op_get_rows(ThreadPool &pool, CpuTensor *dst, const CpuTensor *table, const CpuTensor *ids, int64_t rows);
void op_rmsnorm(ThreadPool &pool, CpuTensor *dst, const CpuTensor *src, const CpuTensor *w, float eps, int64_t rows);
void op_rope(ThreadPool &pool, CpuTensor *x, const CpuTensor *pos, RopeMode mode, int n_head, int head_dim,
             float freq_base, int64_t rows);
void op_kv_store(ThreadPool &pool, CpuTensor *cache, const CpuTensor *src, const CpuTensor *cells, int64_t rows);
void op_swiglu(ThreadPool &pool, CpuTensor *dst, const CpuTensor *gate, const CpuTensor *up, int64_t rows);
void op_add(ThreadPool &pool, CpuTensor *dst, const CpuTensor *a, const CpuTensor *b, int64_t rows);
// acc[c] += sum_i src[i][c]^2 (rows in order per column; columns split over workers).
void op_sum_squares(ThreadPool &pool, CpuTensor *acc, const CpuTensor *src, int64_t rows);

// dst = src . w^T + bias (bias may be nullptr): one matmul of a group,
// over the weight rows (output columns) [r0, r1) only when r1 > 0 (a large
// matmul of a stepped graph runs as several pieces; r0 a multiple of 16).
struct MatmulJob {
    CpuTensor *dst;
    const CpuTensor *w;
    const CpuTensor *bias;
    int64_t r0 = 0, r1 = 0;
    int64_t begin() const { return r0; }
    int64_t end() const { return r1 > 0 ? r1 : w->ne[1]; }
};
constexpr int kMaxMatmulGroup = 4;
// Runs n_jobs (<= kMaxMatmulGroup) matmuls over the same input src (none of
// their outputs may be src) with one conversion of src per activation type
// and one parallel_for. one_pass: one 8-bit activation pass (LOOM_MATMUL_FAST)
// instead of value + residual.
void op_matmul_group(ThreadPool &pool, Scratch &scratch, const MatmulJob *jobs, int n_jobs, const CpuTensor *src,
                     int64_t rows, bool one_pass);
// Floats of per-worker scratch a matmul of a [n_out][k] weight over `rows`
// input rows uses.
size_t matmul_worker_floats(int64_t k, int64_t rows);

struct AttentionArgs {
    int n_head, n_head_kv, head_dim;
    float scale;
    int64_t width, rows;   // the widest range (mask columns), query rows
};
void op_attention(ThreadPool &pool, Scratch &scratch, CpuTensor *out, const CpuTensor *q, const CpuTensor *k,
                  const CpuTensor *v, const CpuTensor *ranges, const CpuTensor *mask, const AttentionArgs &a);
// Floats of per-worker scratch attention with `group` query heads per KV
// head of head_dim values uses.
size_t attention_worker_floats(int group, int head_dim);
// Fewest cells per chunk when a decode step splits a long cache among threads.
constexpr int64_t kAttentionMinChunkCells = 256;

// --- mixture of experts (moe.cpp) ------------------------------------------
void op_moe_route(ThreadPool &pool, CpuTensor *ids, CpuTensor *weights, const CpuTensor *logits, int k, int64_t rows);
void op_moe_sum(ThreadPool &pool, CpuTensor *dst, const CpuTensor *src, const CpuTensor *weights, int k, int64_t rows);
void op_scale_sigmoid(ThreadPool &pool, CpuTensor *x, const CpuTensor *g, int64_t rows);

// Session buffers of the expert matmuls, sized when the op is recorded.
struct MoeScratch {
    std::vector<int64_t> start, fill, order;       // slots grouped by expert
    std::unique_ptr<CpuTensor> in, out;           // flat f32: gathered inputs / outputs, in expert order
};
struct MatmulIdArgs {
    CpuTensor *dst;
    const CpuTensor *w, *src, *ids;
    int n_expert, k;
    bool src_per_slot, one_pass;
    int64_t rows;
};
void op_matmul_id(ThreadPool &pool, Scratch &scratch, MoeScratch &m, const MatmulIdArgs &a);

// Row `i` of any weight type as n floats (n = t->ne[0]).
void dequantize_row(const CpuTensor *t, int64_t i, float *dst);

} // namespace loom::cpu
