// The scalar attention chunk kernel, the merge, and the per-ISA choice.
#include "cpu/kernels/attend.h"
#include "cpu/kernels/blocks.h"
#include "cpu/kernels/dot_f32.h"
#include "cpu/kernels/simd_tables.h"

#include "quant/quant.h"

#include <cmath>
#include <cstring>

namespace loom::cpu {

#if LOOM_KERNELS_X86
void attend_chunk_avx2(const AttendChunk &a);     // attend_x86.cpp
void attend_chunk_avx512(const AttendChunk &a);   // attend_avx512.cpp
void attend_pack_keys_avx512(const float *k, int n, int w, size_t ld, float *kt, size_t ldt);
#endif

namespace {

#include "cpu/kernels/attend_impl.h"

struct ScalarOps : PerHead<ScalarOps> {
    static void widen(loom_type type, const uint8_t *src, float *dst, int d) {
        if (type == LOOM_TYPE_F32) std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(d));
        else type_traits(type)->to_float(src, dst, d);
    }
    static float head_scores(const float *q, const float *k, int n, int d, size_t ld, float scale, const float *mask,
                             float *s) {
        float best = -INFINITY;
        for (int c = 0; c < n; c++) {
            s[c] = mask[c] == -INFINITY ? -INFINITY : scale * dot_f32(q, k + static_cast<size_t>(c) * ld, d) + mask[c];
            best = s[c] > best ? s[c] : best;
        }
        return best;
    }
    static void axpy(float p, const float *x, float *y, int d) {
        for (int i = 0; i < d; i++) y[i] += p * x[i];
    }
    static void scale(float *y, float f, int d) {
        for (int i = 0; i < d; i++) y[i] *= f;
    }
    static float exp_sum(float *s, int n, float m) {
        float sum = 0.0f;
        for (int i = 0; i < n; i++) sum += s[i] = std::exp(s[i] - m);
        return sum;
    }
    static void head_weighted_sum(const float *p, const float *v, int n, int d, size_t ld, float *y) {
        for (int c = 0; c < n; c++)
            if (p[c] != 0.0f) axpy(p[c], v + static_cast<size_t>(c) * ld, y, d);
    }
};

} // namespace

void attend_reset(int group, int d, float *m, float *l, float *acc) {
    for (int h = 0; h < group; h++) {
        m[h] = -INFINITY;
        l[h] = 0.0f;
    }
    std::memset(acc, 0, sizeof(float) * static_cast<size_t>(group) * static_cast<size_t>(d));
}

AttendFn attend_kernel(Isa isa) {
#if LOOM_KERNELS_X86
    if (isa == Isa::Avx512) return attend_chunk_avx512;
    if (isa == Isa::Avx2) return attend_chunk_avx2;
#endif
    (void)isa;
    return attend_chunk<ScalarOps>;
}

AttendPackFn attend_key_packer(Isa isa) {
#if LOOM_KERNELS_X86
    if (isa == Isa::Avx512) return attend_pack_keys_avx512;
#endif
    (void)isa;
    return nullptr;
}

void attend_merge(int n, const float *m, const float *l, size_t stride, const float *acc, size_t acc_stride, int d,
                  float *out) {
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) mx = std::fmax(mx, m[i * stride]);
    std::memset(out, 0, sizeof(float) * static_cast<size_t>(d));
    if (mx == -INFINITY) return;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        if (m[i * stride] == -INFINITY) continue;
        const float f = std::exp(m[i * stride] - mx);
        sum += double(l[i * stride]) * f;
        for (int j = 0; j < d; j++) out[j] += f * acc[static_cast<size_t>(i) * acc_stride + static_cast<size_t>(j)];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int j = 0; j < d; j++) out[j] *= inv;
}

} // namespace loom::cpu
