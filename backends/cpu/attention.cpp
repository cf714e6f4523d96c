// Attention over the KV cache: f32 scores and an online softmax, one pass
// over the cells (kernels/attend.h). Each query row reads only its own range
// of cells [lo, hi) (its sequence's), so a batch of N sequences' rows costs
// N times one row, not N times the whole cache.
//
// Tasks are (query row, KV head, chunk of the row's cells): the heads of a
// GQA group share each key and value as it is read, and a row with few
// neighbours splits its range into chunks so every thread has work, merging
// the chunks' partial softmax states afterwards. A row's chunks depend only
// on its range and the rows it shares cells with, not on the rest of the
// batch, so a sequence's results do not depend on what it is batched with.
//
// Where a row's cells come from: a row alone reads the cache in place (f16 /
// q8_0 widened slice by slice in L1); consecutive rows starting at the same
// cell (a prompt of one sequence) share one f32 copy of their cells, widened
// once per op, when they read them often enough to pay for it. At a level
// that reads packed keys (attend_key_packer: AVX-512), that copy's keys are
// also transposed once per op (then an f32 cache is copied too), instead of
// once per block by every row's chunk.
#include "cpu/cpu_tensor.h"
#include "cpu/kernels/attend.h"

#include "quant/quant.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace loom::cpu {

namespace {

// Rows [c0, c0 + n) of `cache` as f32 into dst [n][cache->ne0].
void widen_cache(ThreadPool &pool, const CpuTensor *cache, int64_t c0, int64_t n, float *dst) {
    const int64_t w = cache->ne[0];
    pool.parallel_for(n, [&](int64_t c, int) { dequantize_row(cache, c0 + c, dst + c * w); });
}

bool readable_in_place(loom_type t, int d) {
    return t == LOOM_TYPE_F32 || t == LOOM_TYPE_F16 || (t == LOOM_TYPE_Q8_0 && d % 32 == 0);
}

// Bytes from a cell's row start to KV head g's slice.
// (g*d is a whole number of blocks whenever the cache is read in place.)
size_t slice_offset(loom_type t, int64_t g, int d) {
    const TypeTraits *tt = type_traits(t);
    return static_cast<size_t>(g * d / tt->block_size) * tt->block_bytes;
}

// One query row's cells and tasks.
struct RowPlan {
    int64_t lo = 0, n = 0;        // its range [lo, lo + n)
    bool wide = false;            // read from the widened f32 copy (else in place)
    int64_t group_rows = 1;       // rows sharing that copy
    size_t widened_at = 0;        // floats into the widened K (and V) copy
    int64_t span = 0;             // cells in that copy
    int64_t n_chunks = 1, chunk = 0, first_task = 0;
};

// Ranges clamped to the cache and the mask width.
std::vector<RowPlan> read_ranges(const CpuTensor *ranges, int64_t n_cells, const AttentionArgs &a) {
    std::vector<RowPlan> rows(static_cast<size_t>(a.rows));
    for (int64_t i = 0; i < a.rows; i++) {
        const int32_t *r = ranges->i32() + 2 * i;
        const int64_t lo = std::clamp<int64_t>(r[0], 0, n_cells);
        const int64_t hi = std::clamp<int64_t>(r[1], lo, std::min(n_cells, lo + a.width));
        rows[static_cast<size_t>(i)].lo = lo;
        rows[static_cast<size_t>(i)].n = hi - lo;
    }
    return rows;
}

// Cells [lo, lo + n) widened to f32 at `at` floats into the copies.
struct WidenedSpan {
    int64_t lo, n;
    size_t at;
};

// Groups consecutive rows starting at the same cell whose reads add up to at
// least twice their span (widening costs about one read of it); `always`:
// every row is widened. Returns the spans to widen.
std::vector<WidenedSpan> plan_widening(std::vector<RowPlan> &rows, bool always, int64_t kv_w) {
    std::vector<WidenedSpan> spans;
    size_t floats = 0;
    for (size_t i = 0, j; i < rows.size(); i = j) {
        int64_t span = rows[i].n, reads = 0;
        for (j = i; j < rows.size() && rows[j].lo == rows[i].lo; j++) {
            span = std::max(span, rows[j].n);
            reads += rows[j].n;
        }
        if (!always && (j - i < 2 || reads < 2 * span)) continue;
        for (size_t r = i; r < j; r++) {
            rows[r].wide = true;
            rows[r].group_rows = int64_t(j - i);
            rows[r].widened_at = floats;
            rows[r].span = span;
        }
        spans.push_back({rows[i].lo, span, floats});
        floats += static_cast<size_t>(span * kv_w);
    }
    return spans;
}

// Packs n cells of f32 rows (w floats each) into kt [w][n], 16 cells a task.
void pack_keys(ThreadPool &pool, AttendPackFn pack, const float *rows, int64_t n, int64_t w, float *kt) {
    pool.parallel_for((n + 15) / 16, [&](int64_t t, int) {
        pack(rows + 16 * t * w, static_cast<int>(std::min<int64_t>(16, n - 16 * t)), static_cast<int>(w),
             static_cast<size_t>(w), kt + 16 * t, static_cast<size_t>(n));
    });
}

// Chunks per row: enough tasks for every thread when its group is small;
// returns the number of tasks.
int64_t plan_chunks(std::vector<RowPlan> &rows, int n_head_kv, int64_t want) {
    int64_t tasks = 0;
    for (RowPlan &r : rows) {
        const int64_t base = r.group_rows * n_head_kv;
        r.n_chunks = base < want ? std::max<int64_t>(1, std::min((want + base - 1) / base, r.n / kAttentionMinChunkCells)) : 1;
        r.chunk = (r.n + r.n_chunks - 1) / r.n_chunks;
        r.first_task = tasks;
        tasks += n_head_kv * r.n_chunks;
    }
    return tasks;
}

} // namespace

size_t attention_worker_floats(int group, int head_dim) { return attend_work_floats(group, head_dim); }

void op_attention(ThreadPool &pool, Scratch &scratch, CpuTensor *out, const CpuTensor *q, const CpuTensor *k,
                  const CpuTensor *v, const CpuTensor *ranges, const CpuTensor *mask, const AttentionArgs &a) {
    const int group = a.n_head / a.n_head_kv, d = a.head_dim;
    const Isa isa = d % 8 == 0 ? active_isa() : Isa::Scalar;
    const AttendFn attend = attend_kernel(isa);
    const AttendPackFn pack = attend_key_packer(isa);
    const int64_t kv_w = k->ne[0];

    std::vector<RowPlan> rows = read_ranges(ranges, k->ne[1], a);
    const bool always_widen = k->type != v->type || !readable_in_place(k->type, d);
    // An f32 cache is read where it lies, unless its keys are worth packing.
    const bool may_widen = k->type != LOOM_TYPE_F32 || always_widen || pack;
    const std::vector<WidenedSpan> spans = may_widen ? plan_widening(rows, always_widen, kv_w) : std::vector<WidenedSpan>{};
    const size_t widened = spans.empty() ? 0 : spans.back().at + static_cast<size_t>(spans.back().n * kv_w);
    const int64_t n_tasks = plan_chunks(rows, a.n_head_kv, 4 * int64_t(pool.size()));
    const size_t state = static_cast<size_t>(n_tasks) * group;   // floats per m / l array

    const size_t floats = 2 * widened + 2 * state + state * static_cast<size_t>(d);
    scratch.grow_shared(floats * sizeof(float));
    float *kf = reinterpret_cast<float *>(scratch.shared.data());
    float *vf = kf + widened;
    float *ms = vf + widened, *ls = ms + state, *accs = ls + state;
    for (const WidenedSpan &w : spans) {
        if (pack) {   // K widened where V goes next, packed into its place
            widen_cache(pool, k, w.lo, w.n, vf + w.at);
            pack_keys(pool, pack, vf + w.at, w.n, kv_w, kf + w.at);
        } else {
            widen_cache(pool, k, w.lo, w.n, kf + w.at);
        }
        widen_cache(pool, v, w.lo, w.n, vf + w.at);
    }
    const size_t wide_stride = sizeof(float) * static_cast<size_t>(kv_w);

    pool.parallel_for(n_tasks, [&](int64_t t, int worker) {
        const auto it = std::upper_bound(rows.begin(), rows.end(), t,
                                         [](int64_t x, const RowPlan &r) { return x < r.first_task; }) - 1;
        const RowPlan &r = *it;
        const int64_t i = it - rows.begin(), local = t - r.first_task;
        const int64_t g = local / r.n_chunks, c0 = (local % r.n_chunks) * r.chunk;
        const int64_t n = std::min(r.n, c0 + r.chunk) - c0;
        float *m = ms + t * group, *l = ls + t * group, *acc = accs + static_cast<size_t>(t) * group * d;
        attend_reset(group, d, m, l, acc);
        if (n > 0) {
            const bool wide = r.wide;
            const loom_type type = wide ? LOOM_TYPE_F32 : k->type;
            const size_t stride = wide ? wide_stride : k->row_bytes;
            const size_t off = slice_offset(type, g, d) + static_cast<size_t>(c0) * stride;
            const uint8_t *kb = wide ? reinterpret_cast<const uint8_t *>(kf + r.widened_at) : k->row(r.lo);
            const uint8_t *vb = wide ? reinterpret_cast<const uint8_t *>(vf + r.widened_at) : v->row(r.lo);
            const float *kt = wide && pack ? kf + r.widened_at + static_cast<size_t>(g * d * r.span + c0) : nullptr;
            AttendChunk job{q->f32_row(i) + static_cast<size_t>(g) * group * d, kb + off, vb + off, stride, type, kt,
                            static_cast<size_t>(r.span), mask->f32_row(i) + c0, n, group, d, a.scale, m, l, acc,
                            scratch.worker(worker)};
            attend(job);
        }
        if (r.n_chunks == 1)
            for (int h = 0; h < group; h++)
                attend_merge(1, m + h, l + h, 0, acc + static_cast<size_t>(h) * d, 0, d,
                             out->f32_row(i) + static_cast<size_t>(g * group + h) * d);
    });
    // Merge the chunks of each (row, head) of rows that were split.
    if (std::all_of(rows.begin(), rows.end(), [](const RowPlan &r) { return r.n_chunks == 1; })) return;
    pool.parallel_for(a.rows * a.n_head, [&](int64_t t, int) {
        const int64_t i = t / a.n_head, h = t % a.n_head, g = h / group, hl = h % group;
        const RowPlan &r = rows[static_cast<size_t>(i)];
        if (r.n_chunks == 1) return;
        const int64_t first = r.first_task + g * r.n_chunks;
        attend_merge(static_cast<int>(r.n_chunks), ms + first * group + hl, ls + first * group + hl, group,
                     accs + (static_cast<size_t>(first) * group + hl) * d, static_cast<size_t>(group) * d, d,
                     out->f32_row(i) + static_cast<size_t>(h) * d);
    });
}

} // namespace loom::cpu
