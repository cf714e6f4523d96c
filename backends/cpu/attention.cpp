// Attention over the KV cache: f32 scores and softmax. The first n_kv cache
// rows are widened to f32 once per op (shared by every query), then threads
// split (query row, head) pairs.
#include "cpu/cpu_tensor.h"

#include <cmath>
#include <cstring>

namespace loom::cpu {

namespace {

// The first n rows of `cache` as f32 into dst [n][cache->ne0].
void widen_cache(ThreadPool &pool, const CpuTensor *cache, int64_t n, float *dst) {
    const int64_t w = cache->ne[0];
    pool.parallel_for(n, [&](int64_t c, int) { dequantize_row(cache, c, dst + c * w); });
}

} // namespace

void op_attention(ThreadPool &pool, Scratch &scratch, CpuTensor *out, const CpuTensor *q, const CpuTensor *k,
                  const CpuTensor *v, const CpuTensor *mask, const AttentionArgs &a) {
    const int64_t kv_w = k->ne[0];
    const size_t cache_floats = static_cast<size_t>(a.n_kv * kv_w);
    if (scratch.shared.size() < 2 * cache_floats * sizeof(float)) scratch.shared.resize(2 * cache_floats * sizeof(float));
    float *kf = reinterpret_cast<float *>(scratch.shared.data());
    float *vf = kf + cache_floats;
    widen_cache(pool, k, a.n_kv, kf);
    widen_cache(pool, v, a.n_kv, vf);
    const int group = a.n_head / a.n_head_kv, d = a.head_dim;
    pool.parallel_for(a.rows * a.n_head, [&](int64_t task, int worker) {
        const int64_t i = task / a.n_head;
        const int h = static_cast<int>(task % a.n_head), g = h / group;
        const float *qi = q->f32_row(i) + static_cast<size_t>(h) * d;
        const float *m = mask->f32_row(i);
        float *scores = scratch.worker(worker, static_cast<size_t>(a.n_kv));
        float *o = out->f32_row(i) + static_cast<size_t>(h) * d;
        float mx = -INFINITY;
        for (int64_t c = 0; c < a.n_kv; c++) {
            scores[c] = m[c] == -INFINITY ? -INFINITY : a.scale * dot_f32(qi, kf + c * kv_w + g * d, d) + m[c];
            if (scores[c] > mx) mx = scores[c];
        }
        std::memset(o, 0, sizeof(float) * static_cast<size_t>(d));
        if (mx == -INFINITY) return;   // no visible cell (never for a valid batch)
        double sum = 0.0;
        for (int64_t c = 0; c < a.n_kv; c++) {
            if (scores[c] == -INFINITY) continue;
            const float p = std::exp(scores[c] - mx);
            sum += p;
            const float *vc = vf + c * kv_w + g * d;
            for (int j = 0; j < d; j++) o[j] += p * vc[j];
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (int j = 0; j < d; j++) o[j] *= inv;
    });
}

} // namespace loom::cpu
