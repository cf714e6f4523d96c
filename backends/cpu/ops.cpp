// Element-wise and row-wise ops of the CPU backend: threads split rows.
#include "cpu/cpu_tensor.h"
#include "cpu/kernels/swiglu.h"

#include "quant/quant.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>

namespace loom::cpu {

Status make_host_tensor(loom_type type, int64_t cols, int64_t rows, std::unique_ptr<CpuTensor> *out) {
    auto t = std::make_unique<CpuTensor>();
    t->type = type;
    t->ne[0] = cols;
    t->ne[1] = rows;
    if (type == LOOM_TYPE_I32) {
        t->row_bytes = static_cast<size_t>(cols) * 4;
    } else {
        Status s = row_bytes(type, cols, &t->row_bytes);
        if (!s) return error(LOOM_ERR_INVALID_ARGUMENT, "cpu tensor: %s", s.message().c_str());
    }
    if (rows < 0 || (rows > 0 && t->row_bytes > SIZE_MAX / 2 / static_cast<size_t>(rows)))
        return error(LOOM_ERR_OUT_OF_MEMORY, "cpu tensor of %lld rows of %zu bytes", (long long)rows, t->row_bytes);
    size_t bytes = t->row_bytes * static_cast<size_t>(rows);
    size_t padded = (bytes + 63) / 64 * 64;
    if (padded == 0) padded = 64;
    if (!t->owned.allocate(padded, 64, true)) return error(LOOM_ERR_OUT_OF_MEMORY, "cpu tensor of %zu bytes", padded);
    t->data = t->owned.data();
    *out = std::move(t);
    return Status::ok();
}

Status Scratch::reserve_workers(size_t n) {
    try {
        for (HostVector<float> &v : per_worker)
            if (v.size() < n) {
                v.reserve(n);   // exactly n (the memory plan counts it so)
                v.resize(n);
            }
    } catch (const std::bad_alloc &) {
        return error(LOOM_ERR_OUT_OF_MEMORY, "cpu: %zu bytes of scratch for each of %zu threads", n * sizeof(float),
                     per_worker.size());
    }
    return Status::ok();
}

void dequantize_row(const CpuTensor *t, int64_t i, float *dst) {
    if (t->type == LOOM_TYPE_F32) {
        std::memcpy(dst, t->row(i), static_cast<size_t>(t->ne[0]) * sizeof(float));
        return;
    }
    type_traits(t->type)->to_float(t->row(i), dst, t->ne[0]);
}

void op_get_rows(ThreadPool &pool, CpuTensor *dst, const CpuTensor *table, const CpuTensor *ids, int64_t rows) {
    pool.parallel_for(rows, [&](int64_t i, int) { dequantize_row(table, ids->i32()[i], dst->f32_row(i)); });
}

void op_rmsnorm(ThreadPool &pool, CpuTensor *dst, const CpuTensor *src, const CpuTensor *w, float eps, int64_t rows) {
    const int64_t n = src->ne[0];
    const float *g = w->f32_row(0);
    pool.parallel_for(rows, [&](int64_t i, int) {
        const float *x = src->f32_row(i);
        float *y = dst->f32_row(i);
        // Four partial sums: one chain of dependent double adds took 4
        // cycles an element (13 of 776 ms in a 0.5B pp512).
        double part[4] = {0.0, 0.0, 0.0, 0.0};
        int64_t j = 0;
        for (; j + 4 <= n; j += 4)
            for (int l = 0; l < 4; l++) part[l] += double(x[j + l]) * double(x[j + l]);
        for (; j < n; j++) part[0] += double(x[j]) * double(x[j]);
        const double sum = (part[0] + part[1]) + (part[2] + part[3]);
        const float scale = static_cast<float>(1.0 / std::sqrt(sum / double(n) + double(eps)));
        for (j = 0; j < n; j++) y[j] = x[j] * scale * g[j];
    });
}

void op_rope(ThreadPool &pool, CpuTensor *x, const CpuTensor *pos, RopeMode mode, int n_head, int head_dim,
             float freq_base, int64_t rows) {
    // Pairs j0..j0+nj at a time: their frequencies once per call, each
    // row's angles once for all its heads, then every head's pairs (NeoX:
    // two contiguous halves, so the rotation vectorises). Per call, the
    // pow per row and pair had made rope 2.5% of a 0.5B pp512.
    constexpr int kPairs = 64;
    const int half = head_dim / 2;
    for (int j0 = 0; j0 < half; j0 += kPairs) {
        const int nj = std::min(kPairs, half - j0);
        double inv_freq[kPairs];
        for (int j = 0; j < nj; j++) inv_freq[j] = std::pow(double(freq_base), -2.0 * (j0 + j) / head_dim);
        pool.parallel_for(rows, [&](int64_t i, int) {
            const double p = pos->i32()[i];
            float c[kPairs], s[kPairs];
            for (int j = 0; j < nj; j++) {
                const double theta = p * inv_freq[j];
                c[j] = static_cast<float>(std::cos(theta));
                s[j] = static_cast<float>(std::sin(theta));
            }
            float *row = x->f32_row(i);
            for (int h = 0; h < n_head; h++) {
                float *hd = row + static_cast<size_t>(h) * head_dim;
                if (mode == RopeMode::Neox) {
                    float *lo = hd + j0, *hi = hd + j0 + half;
                    for (int j = 0; j < nj; j++) {
                        const float x0 = lo[j], x1 = hi[j];
                        lo[j] = x0 * c[j] - x1 * s[j];
                        hi[j] = x0 * s[j] + x1 * c[j];
                    }
                } else {
                    float *pair = hd + 2 * j0;
                    for (int j = 0; j < nj; j++) {
                        const float x0 = pair[2 * j], x1 = pair[2 * j + 1];
                        pair[2 * j] = x0 * c[j] - x1 * s[j];
                        pair[2 * j + 1] = x0 * s[j] + x1 * c[j];
                    }
                }
            }
        });
    }
}

void op_kv_store(ThreadPool &pool, CpuTensor *cache, const CpuTensor *src, const CpuTensor *cells, int64_t rows) {
    const TypeTraits *tt = type_traits(cache->type);
    pool.parallel_for(rows, [&](int64_t i, int) {
        tt->from_float(src->f32_row(i), cache->row(cells->i32()[i]), src->ne[0]);
    });
}

void op_swiglu(ThreadPool &pool, CpuTensor *dst, const CpuTensor *gate, const CpuTensor *up, int64_t rows) {
    const int64_t n = dst->ne[0];
    const SwigluFn swiglu = swiglu_kernel(active_isa());
    pool.parallel_for(rows, [&](int64_t i, int) { swiglu(gate->f32_row(i), up->f32_row(i), dst->f32_row(i), n); });
}

void op_add(ThreadPool &pool, CpuTensor *dst, const CpuTensor *a, const CpuTensor *b, int64_t rows) {
    const int64_t n = dst->ne[0];
    pool.parallel_for(rows, [&](int64_t i, int) {
        const float *x = a->f32_row(i), *y = b->f32_row(i);
        float *z = dst->f32_row(i);
        for (int64_t j = 0; j < n; j++) z[j] = x[j] + y[j];
    });
}

void op_sum_squares(ThreadPool &pool, CpuTensor *acc, const CpuTensor *src, int64_t rows) {
    constexpr int64_t kColumnBlock = 64;
    const int64_t n = src->ne[0], blocks = (n + kColumnBlock - 1) / kColumnBlock;
    float *sum = acc->f32_row(0);
    pool.parallel_for(blocks, [&](int64_t b, int) {
        const int64_t c0 = b * kColumnBlock, c1 = std::min(n, c0 + kColumnBlock);
        for (int64_t i = 0; i < rows; i++) {
            const float *x = src->f32_row(i);
            for (int64_t c = c0; c < c1; c++) sum[c] += x[c] * x[c];
        }
    });
}

} // namespace loom::cpu
