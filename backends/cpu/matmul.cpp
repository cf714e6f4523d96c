// Matmuls with typed weights: dst[j][r] = dot(W[r], x[j]) + bias[r].
// Consecutive matmuls over the same input (q/k/v, gate/up) run as one
// group: the input is converted once per activation type to what the
// kernels take (backends/cpu/kernels.h), then one parallel_for hands out
// chunks of weight rows of every matmul of the group, each task adding its
// rows' bias. Types without a kernel fall back to dequantizing each weight
// row once and f32 dot products.
#include "cpu/cpu_tensor.h"
#include "cpu/kernels.h"
#include "quant/quant.h"

#include <algorithm>

namespace loom::cpu {

namespace {

// The unit of a task: the prompt kernels keep 16 rows in the lanes, and
// repacked weights come in groups of kPackRows.
constexpr int64_t kRowChunk = kPackRows;

// Weight rows per kernel call in the two-part precision (partial results
// go through a per-worker buffer of 2 * rows * kTwoPartRows floats): large
// enough that the kernels' per-call activation setup is amortised.
constexpr int64_t kTwoPartRows = 8 * kRowChunk;

// Weight rows per task: about kTasksPerThread tasks per thread over the
// group, in whole chunks. Claiming a task costs a compare-and-swap on a line
// both cores write; at one chunk a task the 151936-row output matrix alone
// took ~9500 claims a token. Larger, consecutive row ranges also keep each
// thread's stream (and the kernels' prefetch) on its own rows, while a few
// tasks per thread still let a running thread take over from one the OS
// has not scheduled (decode tg128, Q4_0 0.5B, 2 threads: 4 tasks a thread
// measured 5-10% faster than one chunk a task, best of 3 interleaved).
constexpr int64_t kTasksPerThread = 4;

// But no fewer than kMinTaskBytes of weights a task unless that leaves a
// thread without one: each task starts a stream from memory of its own,
// and a small group's were too short to reach speed (0.5B Q4_0 decode,
// q/k/v 0.58 MB and attention output 0.45 MB, 2 threads: 23-26 GB/s in 4
// tasks a thread, 27-32 in one; op_profile, docs/performance.md).
constexpr size_t kMinTaskBytes = size_t(256) << 10;

int64_t rows_per_task(int64_t total_rows, size_t total_bytes, int n_threads) {
    const int64_t by_bytes = static_cast<int64_t>(total_bytes / kMinTaskBytes);
    const int64_t tasks = std::clamp<int64_t>(by_bytes, n_threads, kTasksPerThread * n_threads);
    const int64_t want = total_rows / tasks;
    return std::max(kRowChunk, (want + kRowChunk - 1) / kRowChunk * kRowChunk);
}

void add_bias(const MatmulJob &job, int64_t r0, int64_t nr, int64_t rows) {
    if (!job.bias) return;
    const float *b = job.bias->f32_row(0) + r0;
    for (int64_t j = 0; j < rows; j++) {
        float *y = job.dst->f32_row(j) + r0;
        for (int64_t r = 0; r < nr; r++) y[r] += b[r];
    }
}

void matmul_dequant(ThreadPool &pool, Scratch &scratch, const MatmulJob &job, const CpuTensor *src, int64_t rows) {
    const CpuTensor *w = job.w;
    const int64_t k = w->ne[0], begin = job.begin(), end = job.end();
    const int64_t n_tasks = (end - begin + kRowChunk - 1) / kRowChunk;
    pool.parallel_for(n_tasks, [&](int64_t t, int worker) {
        float *wrow = scratch.worker(worker);
        const int64_t r0 = begin + t * kRowChunk, r1 = std::min(end, r0 + kRowChunk);
        for (int64_t r = r0; r < r1; r++) {
            dequantize_row(w, r, wrow);
            for (int64_t j = 0; j < rows; j++) job.dst->f32_row(j)[r] = dot_f32(wrow, src->f32_row(j), k);
        }
        add_bias(job, r0, r1 - r0, rows);
    });
}

// Quantized activations in two parts (LOOM_MATMUL_EXACT): x = a + r with
// a = Q(x) and the residual r = x - deq(a) quantized again. W.x = W.a + W.r
// with the residual error about 1/127 of plain 8-bit quantization, so the
// logits stay at f32 accuracy (the f16 KV cache then dominates) instead of
// the ~2e-2 drift one 8-bit pass gives. Both parts go through the kernel as
// 2*rows activation rows, so each chunk of weight rows is read once.
void convert_two_part(ThreadPool &pool, Scratch &scratch, const MatmulKernels &kern, const CpuTensor *src,
                      int64_t rows, int64_t k, size_t act_stride, uint8_t *act) {
    const TypeTraits *act_traits = type_traits(kern.act_type);
    pool.parallel_for(rows, [&](int64_t j, int worker) {
        const float *x = src->f32_row(j);
        float *r = scratch.worker(worker);
        uint8_t *a = act + act_stride * static_cast<size_t>(j);
        kern.convert_act(x, a, k);
        act_traits->to_float(a, r, k);
        for (int64_t i = 0; i < k; i++) r[i] = x[i] - r[i];
        kern.convert_act(r, act + act_stride * static_cast<size_t>(rows + j), k);
    });
}

// One matmul of a group, ready to run: its kernels and converted input.
struct Prepared {
    const MatmulJob *job;
    const MatmulKernels *kern;
    const uint8_t *w;     // the weight bytes the kernel reads: packed or GGUF rows
    decltype(MatmulKernels::matmul) fn;
    const uint8_t *act;
    size_t act_stride;
    int act_index;        // which converted input (one per activation type)
    int64_t rows_per_task;
    int64_t first_task;   // tasks [first_task, first_task + ceil(n_out / rows_per_task))
};

void run_task(const Prepared &p, int64_t t, Scratch &scratch, int worker, int64_t rows, bool two_part) {
    const CpuTensor *w = p.job->w;
    const int64_t k = w->ne[0];
    const int64_t r0 = p.job->begin() + (t - p.first_task) * p.rows_per_task;
    const int64_t nr = std::min(p.job->end(), r0 + p.rows_per_task) - r0;
    CpuTensor *dst = p.job->dst;
    if (!two_part) {
        p.fn(k, p.w + r0 * w->row_bytes, w->row_bytes, nr, p.act, p.act_stride, rows, dst->f32_row(0) + r0,
             static_cast<size_t>(dst->ne[0]));
    } else {
        // [2*rows][kTwoPartRows] partial results per call, then main + residual part.
        float *tmp = scratch.worker(worker);
        for (int64_t c0 = r0; c0 < r0 + nr; c0 += kTwoPartRows) {
            const int64_t nc = std::min(r0 + nr, c0 + kTwoPartRows) - c0;
            p.fn(k, p.w + c0 * w->row_bytes, w->row_bytes, nc, p.act, p.act_stride, 2 * rows, tmp, kTwoPartRows);
            for (int64_t j = 0; j < rows; j++)
                for (int64_t r = 0; r < nc; r++)
                    dst->f32_row(j)[c0 + r] = tmp[j * kTwoPartRows + r] + tmp[(rows + j) * kTwoPartRows + r];
        }
    }
    add_bias(*p.job, r0, nr, rows);
}

} // namespace

size_t matmul_worker_floats(int64_t k, int64_t rows) {
    // a dequantized weight row or an activation residual (k), or the two-part partial results
    return static_cast<size_t>(std::max(k, 2 * rows * kTwoPartRows));
}

void op_matmul_group(ThreadPool &pool, Scratch &scratch, const MatmulJob *jobs, int n_jobs, const CpuTensor *src,
                     int64_t rows, bool one_pass) {
    // Kernels, and the activation bytes per distinct activation type.
    Prepared prep[kMaxMatmulGroup];
    loom_type act_types[kMaxMatmulGroup];
    size_t act_offset[kMaxMatmulGroup], act_bytes = 0;
    int n_prep = 0, n_act_types = 0;
    const int64_t k = src->ne[0];
    const int64_t n_act = one_pass ? rows : 2 * rows;
    for (int i = 0; i < n_jobs; i++) {
        const MatmulKernels *kern = matmul_kernels(jobs[i].w->type, active_isa());
        if (!kern || !kern->matmul || !kern->convert_act) {
            matmul_dequant(pool, scratch, jobs[i], src, rows);
            continue;
        }
        int a = 0;
        while (a < n_act_types && act_types[a] != kern->act_type) a++;
        const size_t stride = act_row_bytes(kern->act_type, k);
        if (a == n_act_types) {
            act_types[n_act_types++] = kern->act_type;
            act_offset[a] = act_bytes;
            act_bytes += stride * static_cast<size_t>(n_act);
        }
        const CpuTensor *w = jobs[i].w;
        prep[n_prep++] = w->packed ? Prepared{&jobs[i], kern, w->packed, kern->matmul_packed, nullptr, stride, a, 0, 0}
                                   : Prepared{&jobs[i], kern, w->data, kern->matmul, nullptr, stride, a, 0, 0};
    }
    if (n_prep == 0) return;
    scratch.grow_shared(act_bytes);
    uint8_t *act = scratch.shared.data();
    for (int a = 0; a < n_act_types; a++) {
        const Prepared *first = std::find_if(prep, prep + n_prep, [&](const Prepared &p) { return p.act_index == a; });
        const MatmulKernels &kern = *first->kern;
        const size_t stride = first->act_stride;
        uint8_t *dst = act + act_offset[a];
        if (kern.act_type != LOOM_TYPE_F32 && !one_pass)
            convert_two_part(pool, scratch, kern, src, rows, k, stride, dst);
        else
            pool.parallel_for(rows, [&](int64_t j, int) { kern.convert_act(src->f32_row(j), dst + stride * j, k); });
    }
    int64_t total_rows = 0;
    size_t total_bytes = 0;
    for (int i = 0; i < n_prep; i++) {
        const int64_t rows_i = prep[i].job->end() - prep[i].job->begin();
        total_rows += rows_i;
        total_bytes += static_cast<size_t>(rows_i) * prep[i].job->w->row_bytes;
    }
    const int64_t per_task = rows_per_task(total_rows, total_bytes, pool.size());
    int64_t n_tasks = 0;
    for (int i = 0; i < n_prep; i++) {
        prep[i].act = act + act_offset[prep[i].act_index];
        prep[i].rows_per_task = per_task;
        prep[i].first_task = n_tasks;
        n_tasks += (prep[i].job->end() - prep[i].job->begin() + per_task - 1) / per_task;
    }
    pool.parallel_for(n_tasks, [&](int64_t t, int worker) {
        int i = 0;
        while (i + 1 < n_prep && prep[i + 1].first_task <= t) i++;
        const bool two_part = !one_pass && prep[i].kern->act_type != LOOM_TYPE_F32;
        run_task(prep[i], t, scratch, worker, rows, two_part);
    });
}

} // namespace loom::cpu
