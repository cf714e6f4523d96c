// Matmul with a typed weight: dst[j][r] = dot(W[r], x[j]) + bias[r].
// Activations are converted once per matmul to the kernel table's activation
// type (backends/cpu/kernels.h), then threads split the weight rows into
// chunks and run the per-type block dot kernel. Types without a kernel fall
// back to dequantizing each weight row once and f32 dot products.
#include "cpu/cpu_tensor.h"
#include "cpu/kernels.h"
#include "quant/quant.h"

#include <algorithm>

namespace loom::cpu {

namespace {

constexpr int64_t kRowsPerTask = 16;

void matmul_dequant(ThreadPool &pool, Scratch &scratch, CpuTensor *dst, const CpuTensor *w, const CpuTensor *src,
                    int64_t rows) {
    const int64_t k = w->ne[0], n_out = w->ne[1];
    const int64_t n_tasks = (n_out + kRowsPerTask - 1) / kRowsPerTask;
    pool.parallel_for(n_tasks, [&](int64_t t, int worker) {
        float *wrow = scratch.worker(worker, static_cast<size_t>(k));
        const int64_t r1 = std::min(n_out, (t + 1) * kRowsPerTask);
        for (int64_t r = t * kRowsPerTask; r < r1; r++) {
            dequantize_row(w, r, wrow);
            for (int64_t j = 0; j < rows; j++) dst->f32_row(j)[r] = dot_f32(wrow, src->f32_row(j), k);
        }
    });
}

// Quantized activations in two parts: x = a + r with a = Q(x) and the
// residual r = x - deq(a) quantized again. W.x = W.a + W.r with the residual
// error about 1/127 of plain 8-bit quantization, so loom's logits stay at
// f32 accuracy (the f16 KV cache then dominates) instead of the ~2e-2 drift
// a single 8-bit pass gives. Both parts go through the kernel as 2*rows
// activation rows, so each chunk of weight rows is read from memory once.
void convert_two_part(ThreadPool &pool, Scratch &scratch, const MatmulKernels &kern, const CpuTensor *src,
                      int64_t rows, int64_t k, size_t act_stride, uint8_t *act) {
    const TypeTraits *act_traits = type_traits(kern.act_type);
    pool.parallel_for(rows, [&](int64_t j, int worker) {
        const float *x = src->f32_row(j);
        float *r = scratch.worker(worker, static_cast<size_t>(k));
        uint8_t *a = act + act_stride * static_cast<size_t>(j);
        kern.convert_act(x, a, k);
        act_traits->to_float(a, r, k);
        for (int64_t i = 0; i < k; i++) r[i] = x[i] - r[i];
        kern.convert_act(r, act + act_stride * static_cast<size_t>(rows + j), k);
    });
}

void matmul_kernel(ThreadPool &pool, Scratch &scratch, const MatmulKernels &kern, CpuTensor *dst, const CpuTensor *w,
                   const CpuTensor *src, int64_t rows, bool one_pass) {
    const int64_t k = w->ne[0], n_out = w->ne[1];
    const bool two_part = kern.act_type != LOOM_TYPE_F32 && !one_pass;
    const int64_t n_act = two_part ? 2 * rows : rows;
    const size_t act_stride = act_row_bytes(kern.act_type, k);
    if (scratch.shared.size() < act_stride * static_cast<size_t>(n_act))
        scratch.shared.resize(act_stride * static_cast<size_t>(n_act));
    uint8_t *act = scratch.shared.data();
    if (two_part)
        convert_two_part(pool, scratch, kern, src, rows, k, act_stride, act);
    else
        pool.parallel_for(rows, [&](int64_t j, int) { kern.convert_act(src->f32_row(j), act + act_stride * j, k); });
    const int64_t n_tasks = (n_out + kRowsPerTask - 1) / kRowsPerTask;
    const size_t out_stride = static_cast<size_t>(dst->ne[0]);
    pool.parallel_for(n_tasks, [&](int64_t t, int worker) {
        const int64_t r0 = t * kRowsPerTask, nr = std::min(n_out, r0 + kRowsPerTask) - r0;
        if (!two_part) {
            kern.matmul(k, w->row(r0), w->row_bytes, nr, act, act_stride, rows, dst->f32_row(0) + r0, out_stride);
            return;
        }
        // [2*rows][kRowsPerTask] partial results, then main + residual part.
        float *tmp = scratch.worker(worker, static_cast<size_t>(n_act * kRowsPerTask));
        kern.matmul(k, w->row(r0), w->row_bytes, nr, act, act_stride, n_act, tmp, kRowsPerTask);
        for (int64_t j = 0; j < rows; j++)
            for (int64_t r = 0; r < nr; r++)
                dst->f32_row(j)[r0 + r] = tmp[j * kRowsPerTask + r] + tmp[(rows + j) * kRowsPerTask + r];
    });
}

} // namespace

void op_matmul(ThreadPool &pool, Scratch &scratch, CpuTensor *dst, const CpuTensor *w, const CpuTensor *src,
               const CpuTensor *bias, int64_t rows, bool one_pass) {
    const MatmulKernels *kern = matmul_kernels(w->type, active_isa());
    if (kern && kern->matmul && kern->convert_act)
        matmul_kernel(pool, scratch, *kern, dst, w, src, rows, one_pass);
    else
        matmul_dequant(pool, scratch, dst, w, src, rows);
    if (!bias) return;
    const float *b = bias->f32_row(0);
    const int64_t n_out = w->ne[1];
    pool.parallel_for(rows, [&](int64_t j, int) {
        float *y = dst->f32_row(j);
        for (int64_t r = 0; r < n_out; r++) y[r] += b[r];
    });
}

} // namespace loom::cpu
