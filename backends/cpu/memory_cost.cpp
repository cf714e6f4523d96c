// The CPU backend's cost model (BackendCost, backends/backend.h): the bytes
// create_weight, Session::alloc and a session's scratch take, computed from
// the same formulas the backend allocates with, without allocating.
#include "cpu/cpu_tensor.h"
#include "cpu/kernels.h"
#include "cpu/kernels/attend.h"

#include "quant/quant.h"

#include <algorithm>

namespace loom {

namespace cpu {

namespace {

// A heap block as the CPU backend asks for it: make_host_tensor's calloc
// (padded to 64 bytes, HostBlock's request without a hook) and the tensor object.
uint64_t host_tensor_bytes(loom_type type, int64_t cols, int64_t rows) {
    size_t rb = 0;
    if (type == LOOM_TYPE_I32) rb = size_t(cols) * 4;
    else if (!row_bytes(type, cols, &rb)) return 0;
    uint64_t bytes = uint64_t(rb) * uint64_t(rows);
    uint64_t padded = (bytes + 63) / 64 * 64;
    if (padded == 0) padded = 64;
    return heap_block_bytes(HostBlock::heap_request(padded, 64, true)) + heap_block_bytes(sizeof(CpuTensor));
}

// The load-time copy repack() makes, 0 when the type's kernels have none.
uint64_t repack_bytes(loom_type type, int64_t cols, int64_t rows) {
    const MatmulKernels *k = matmul_kernels(type, active_isa());
    size_t rb = 0;
    if (!k || !k->repack || !k->matmul_packed || rows % kPackRows != 0 || !row_bytes(type, cols, &rb)) return 0;
    return weight_copy_bytes(rb * size_t(rows));
}

// The plain copy copy() makes of a matrix weight with no repacked layout.
uint64_t copy_bytes(loom_type type, int64_t cols, int64_t rows) {
    size_t rb = 0;
    if (rows <= 1 || !row_bytes(type, cols, &rb)) return 0;
    return weight_copy_bytes(rb * size_t(rows));
}

// The shared scratch attention takes for `rows` queries over n_kv cells
// (op_attention's layout: widened K and V, then the chunks' softmax states).
uint64_t attention_shared_bytes(const SessionShape &s, int64_t rows, int64_t n_kv) {
    const int d = s.head_dim, group = s.attn_group;
    const bool in_place = rows == 1 && (s.kv_type == LOOM_TYPE_F32 || s.kv_type == LOOM_TYPE_F16 ||
                                        (s.kv_type == LOOM_TYPE_Q8_0 && d % 32 == 0));
    const uint64_t widened = in_place ? 0 : uint64_t(n_kv) * uint64_t(s.n_head_kv) * uint64_t(d);
    const int64_t base = rows * s.n_head_kv, want = 4 * int64_t(std::max(1, s.n_threads));
    int64_t n_chunks = 1;
    if (base < want) n_chunks = std::max<int64_t>(1, std::min((want + base - 1) / base, n_kv / kAttentionMinChunkCells));
    const uint64_t state = uint64_t(base * n_chunks) * uint64_t(group);
    return (2 * widened + 2 * state + state * uint64_t(d)) * sizeof(float);
}

// The shared scratch a matmul group takes: its input converted once per
// activation type (op_matmul_group), two rows per row in the two-part precision.
uint64_t matmul_shared_bytes(const MatmulGroupShape &g, bool fast) {
    loom_type seen[4];
    int n_seen = 0;
    uint64_t bytes = 0;
    const int64_t n_act = fast ? g.rows : 2 * g.rows;
    for (int i = 0; i < g.n; i++) {
        const MatmulKernels *k = matmul_kernels(g.types[i], active_isa());
        if (!k || !k->matmul || !k->convert_act) continue;
        if (std::find(seen, seen + n_seen, k->act_type) != seen + n_seen) continue;
        seen[n_seen++] = k->act_type;
        bytes += uint64_t(act_row_bytes(k->act_type, g.k)) * uint64_t(n_act);
    }
    return bytes;
}

class CpuCost final : public BackendCost {
public:
    CpuCost(bool repack, bool copy) : repack_(repack), copy_(repack && copy) {}

    // The copies of a load share one arena (cpu_backend.cpp), whose
    // rounding to whole pages (under 4 KiB) is not counted.
    MemoryCost weight(loom_type type, int64_t cols, int64_t rows) const override {
        // Row-interleaved Q4_0 is converted to Q4_0 rows on the heap first.
        const bool interleaved = is_row_interleaved(type);
        const uint64_t copy = weight_copy_size(repack_, copy_, type, cols, rows);
        MemoryCost c;
        c.host = copy + (interleaved ? host_tensor_bytes(LOOM_TYPE_Q4_0, cols, rows) : heap_block_bytes(sizeof(CpuTensor)));
        c.in_place = !interleaved && copy == 0;   // read from the file's bytes
        return c;
    }

    MemoryCost tensor(loom_type type, int64_t cols, int64_t rows) const override {
        return MemoryCost{host_tensor_bytes(type, cols, rows), 0, false};
    }

    MemoryCost session(const SessionShape &s) const override {
        const int n = std::max(1, std::min(s.n_threads, 256));
        size_t per_worker = matmul_worker_floats(s.max_weight_cols, s.max_rows);
        if (s.attn_group > 0 && s.head_dim > 0) per_worker = std::max(per_worker, attention_worker_floats(s.attn_group, s.head_dim));
        uint64_t shared = 0;
        for (int i = 0; i < s.n_groups; i++) shared = std::max(shared, matmul_shared_bytes(s.groups[i], s.fast_matmul));
        if (s.head_dim > 0 && s.n_head_kv > 0) {
            shared = std::max(shared, attention_shared_bytes(s, 1, s.n_ctx));
            shared = std::max(shared, attention_shared_bytes(s, s.max_rows, s.n_ctx));
        }
        return MemoryCost{uint64_t(n) * heap_block_bytes(per_worker * sizeof(float)) + heap_block_bytes(shared), 0, false};
    }

private:
    bool repack_;   // create_cpu_backend's repack_weights
    bool copy_;     // create_cpu_backend's copy_weights (only with repack_weights)
};

} // namespace

uint64_t weight_copy_size(bool repack, bool copy, loom_type type, int64_t cols, int64_t rows) {
    if (!repack) return 0;
    if (is_row_interleaved(type)) return repack_bytes(LOOM_TYPE_Q4_0, cols, rows);
    if (const uint64_t r = repack_bytes(type, cols, rows)) return r;
    return copy ? copy_bytes(type, cols, rows) : 0;
}

} // namespace cpu

std::unique_ptr<BackendCost> cpu_backend_cost(bool repack_weights, bool copy_weights) {
    return std::make_unique<cpu::CpuCost>(repack_weights, copy_weights);
}

} // namespace loom
