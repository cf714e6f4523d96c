// Mixture-of-experts ops of the CPU backend: routing (softmax + top-k), the
// expert matmuls grouped by expert so each expert's weights stream once per
// call, the weighted sum of the chosen experts, and the sigmoid gate.
#include "cpu/cpu_tensor.h"
#include "cpu/kernels.h"

#include <cmath>
#include <cstring>

namespace loom::cpu {

void op_moe_route(ThreadPool &pool, CpuTensor *ids, CpuTensor *weights, const CpuTensor *logits, int k,
                  int64_t rows) {
    const int64_t n_expert = logits->ne[0];
    pool.parallel_for(rows, [&](int64_t i, int) {
        const float *l = logits->f32_row(i);
        float mx = -INFINITY;
        for (int64_t e = 0; e < n_expert; e++) mx = std::fmax(mx, l[e]);
        double sum = 0.0;
        for (int64_t e = 0; e < n_expert; e++) sum += std::exp(double(l[e]) - mx);
        int32_t *id = reinterpret_cast<int32_t *>(ids->row(i));
        float *w = weights->f32_row(i);
        // k is small: repeated scans pick the largest remaining, lower index on ties.
        for (int j = 0; j < k; j++) {
            int32_t best = -1;
            for (int32_t e = 0; e < int32_t(n_expert); e++) {
                bool taken = false;
                for (int q = 0; q < j; q++) taken = taken || id[q] == e;
                if (!taken && (best < 0 || l[e] > l[best])) best = e;
            }
            id[j] = best;
            w[j] = float(std::exp(double(l[best]) - mx) / sum);
        }
    });
}

namespace {

// Expert e's rows of a stacked weight, as a weight tensor of its own.
void expert_view(const CpuTensor *w, int64_t n, int64_t e, CpuTensor *out) {
    out->type = w->type;
    out->ne[0] = w->ne[0];
    out->ne[1] = n;
    out->row_bytes = w->row_bytes;
    const size_t offset = static_cast<size_t>(e * n) * w->row_bytes;
    out->data = w->data + offset;
    // Packed layouts go in groups of kPackRows rows: a slice on a group boundary is valid.
    if (w->packed && n % kPackRows == 0) out->packed = w->packed + offset;
}

void f32_view(uint8_t *data, int64_t cols, int64_t rows, CpuTensor *out) {
    out->type = LOOM_TYPE_F32;
    out->ne[0] = cols;
    out->ne[1] = rows;
    out->row_bytes = static_cast<size_t>(cols) * sizeof(float);
    out->data = data;
}

} // namespace

void op_matmul_id(ThreadPool &pool, Scratch &scratch, MoeScratch &m, const MatmulIdArgs &a) {
    const int64_t n_expert = a.n_expert, k = a.k, slots = a.rows * k;
    const int64_t k_in = a.w->ne[0], n = a.w->ne[1] / n_expert;
    const int32_t *ids = a.ids->i32();
    // Counting sort of the slots by expert (ids come from moe_route, in range).
    std::fill(m.start.begin(), m.start.begin() + n_expert + 1, 0);
    for (int64_t s = 0; s < slots; s++) m.start[static_cast<size_t>(ids[s]) + 1]++;
    for (int64_t e = 0; e < n_expert; e++) m.start[size_t(e + 1)] += m.start[size_t(e)];
    std::vector<int64_t> &fill = m.fill;
    std::copy(m.start.begin(), m.start.begin() + n_expert, fill.begin());
    for (int64_t s = 0; s < slots; s++) m.order[static_cast<size_t>(fill[size_t(ids[s])]++)] = s;
    // Gather each slot's input row, in expert order.
    const size_t in_bytes = static_cast<size_t>(k_in) * sizeof(float), out_bytes = static_cast<size_t>(n) * sizeof(float);
    for (int64_t r = 0; r < slots; r++) {
        const int64_t s = m.order[size_t(r)];
        std::memcpy(m.in->data + size_t(r) * in_bytes, a.src->row(a.src_per_slot ? s : s / k), in_bytes);
    }
    for (int64_t e = 0; e < n_expert; e++) {
        const int64_t r0 = m.start[size_t(e)], cnt = m.start[size_t(e + 1)] - r0;
        if (cnt == 0) continue;
        CpuTensor w, in, out;
        expert_view(a.w, n, e, &w);
        f32_view(m.in->data + size_t(r0) * in_bytes, k_in, cnt, &in);
        f32_view(m.out->data + size_t(r0) * out_bytes, n, cnt, &out);
        const MatmulJob job{&out, &w, nullptr};
        op_matmul_group(pool, scratch, &job, 1, &in, cnt, a.one_pass);
    }
    for (int64_t r = 0; r < slots; r++)
        std::memcpy(a.dst->row(m.order[size_t(r)]), m.out->data + size_t(r) * out_bytes, out_bytes);
}

void op_moe_sum(ThreadPool &pool, CpuTensor *dst, const CpuTensor *src, const CpuTensor *weights, int k,
                int64_t rows) {
    const int64_t n = dst->ne[0];
    pool.parallel_for(rows, [&](int64_t i, int) {
        float *y = dst->f32_row(i);
        const float *w = weights->f32_row(i);
        for (int64_t c = 0; c < n; c++) y[c] = 0.0f;
        for (int j = 0; j < k; j++) {
            const float *x = src->f32_row(i * k + j);
            for (int64_t c = 0; c < n; c++) y[c] += w[j] * x[c];
        }
    });
}

void op_scale_sigmoid(ThreadPool &pool, CpuTensor *x, const CpuTensor *g, int64_t rows) {
    const int64_t n = x->ne[0];
    pool.parallel_for(rows, [&](int64_t i, int) {
        const float s = 1.0f / (1.0f + std::exp(-g->f32_row(i)[0]));
        float *y = x->f32_row(i);
        for (int64_t c = 0; c < n; c++) y[c] *= s;
    });
}

} // namespace loom::cpu
