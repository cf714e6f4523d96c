// Attention over the KV cache: f32 scores and an online softmax, one pass
// over the cells (kernels/attend.h). Tasks are (query row, KV head, chunk of
// cells): the heads of a GQA group share each key and value as it is read,
// and a decode step (one query row) splits long caches into chunks so every
// thread has work, merging the chunks' partial softmax states afterwards.
// A single query row reads the cache in place (f16/q8_0 widened slice by
// slice); a prompt, whose rows all read the same cells, widens the cache to
// f32 once per op and shares it.
#include "cpu/cpu_tensor.h"
#include "cpu/kernels/attend.h"

#include "quant/quant.h"

#include <algorithm>
#include <cmath>

namespace loom::cpu {

namespace {

// The first n rows of `cache` as f32 into dst [n][cache->ne0].
void widen_cache(ThreadPool &pool, const CpuTensor *cache, int64_t n, float *dst) {
    const int64_t w = cache->ne[0];
    pool.parallel_for(n, [&](int64_t c, int) { dequantize_row(cache, c, dst + c * w); });
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

} // namespace

size_t attention_worker_floats(int group, int head_dim) { return attend_work_floats(group, head_dim); }

void op_attention(ThreadPool &pool, Scratch &scratch, CpuTensor *out, const CpuTensor *q, const CpuTensor *k,
                  const CpuTensor *v, const CpuTensor *mask, const AttentionArgs &a) {
    const int group = a.n_head / a.n_head_kv, d = a.head_dim;
    const AttendFn attend = attend_kernel(d % 8 == 0 ? active_isa() : Isa::Scalar);

    // Where the cells come from: the cache itself, or an f32 copy shared by many query rows.
    const bool in_place = a.rows == 1 && k->type == v->type && readable_in_place(k->type, d);
    const int64_t kv_w = k->ne[0];
    const size_t widened = in_place ? 0 : static_cast<size_t>(a.n_kv * kv_w);

    // Chunks per (row, KV head): enough tasks for every thread on short batches.
    const int64_t base = a.rows * a.n_head_kv, want = 4 * int64_t(pool.size());
    int64_t n_chunks = 1;
    if (base < want) n_chunks = std::max<int64_t>(1, std::min((want + base - 1) / base, a.n_kv / kAttentionMinChunkCells));
    const int64_t chunk = (a.n_kv + n_chunks - 1) / n_chunks;
    const int64_t n_tasks = base * n_chunks;
    const size_t state = static_cast<size_t>(n_tasks) * group;   // floats per m / l array

    const size_t floats = 2 * widened + 2 * state + state * static_cast<size_t>(d);
    scratch.grow_shared(floats * sizeof(float));
    float *kf = reinterpret_cast<float *>(scratch.shared.data());
    float *vf = kf + widened;
    float *ms = vf + widened, *ls = ms + state, *accs = ls + state;
    if (!in_place) {
        widen_cache(pool, k, a.n_kv, kf);
        widen_cache(pool, v, a.n_kv, vf);
    }
    const loom_type kv_type = in_place ? k->type : LOOM_TYPE_F32;
    const uint8_t *kbase = in_place ? k->data : reinterpret_cast<const uint8_t *>(kf);
    const uint8_t *vbase = in_place ? v->data : reinterpret_cast<const uint8_t *>(vf);
    const size_t stride = in_place ? k->row_bytes : sizeof(float) * static_cast<size_t>(kv_w);

    pool.parallel_for(n_tasks, [&](int64_t t, int worker) {
        const int64_t i = t / (a.n_head_kv * n_chunks);
        const int64_t g = (t / n_chunks) % a.n_head_kv, c0 = (t % n_chunks) * chunk;
        const int64_t n = std::min(a.n_kv, c0 + chunk) - c0;
        float *m = ms + t * group, *l = ls + t * group, *acc = accs + static_cast<size_t>(t) * group * d;
        attend_reset(group, d, m, l, acc);
        if (n > 0) {
            const size_t off = slice_offset(kv_type, g, d) + static_cast<size_t>(c0) * stride;
            AttendChunk job{q->f32_row(i) + static_cast<size_t>(g) * group * d, kbase + off, vbase + off, stride, kv_type,
                            mask->f32_row(i) + c0, n, group, d, a.scale, m, l, acc,
                            scratch.worker(worker)};
            attend(job);
        }
        if (n_chunks == 1)
            for (int h = 0; h < group; h++)
                attend_merge(1, m + h, l + h, 0, acc + static_cast<size_t>(h) * d, 0, d,
                             out->f32_row(i) + static_cast<size_t>(g * group + h) * d);
    });
    if (n_chunks == 1) return;
    // Merge the chunks of each (row, head).
    pool.parallel_for(a.rows * a.n_head, [&](int64_t t, int) {
        const int64_t i = t / a.n_head, h = t % a.n_head, g = h / group, hl = h % group;
        const int64_t first = (i * a.n_head_kv + g) * n_chunks;
        attend_merge(static_cast<int>(n_chunks), ms + first * group + hl, ls + first * group + hl, group,
                     accs + (static_cast<size_t>(first) * group + hl) * d, static_cast<size_t>(group) * d, d,
                     out->f32_row(i) + static_cast<size_t>(h) * d);
    });
}

} // namespace loom::cpu
