// Scalar reference: F32, F16 and BF16 weights x F32 activations.
#include "cpu/kernels/skeleton.h"

#include "quant/quant.h"

#include <cstring>

namespace loom::cpu {
namespace {

float f32_value(const uint8_t *p, int64_t i) {
    float v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
}
float f16_value(const uint8_t *p, int64_t i) {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    return fp16_to_fp32(h);
}
float bf16_value(const uint8_t *p, int64_t i) {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    return bf16_to_fp32(h);
}

template <float (*Value)(const uint8_t *, int64_t)>
float dot_float(int64_t k, const void *w, const void *act) {
    const auto *wp = static_cast<const uint8_t *>(w);
    const auto *a = static_cast<const float *>(act);
    float sum = 0.0f;
    for (int64_t i = 0; i < k; ++i) sum += Value(wp, i) * a[i];
    return sum;
}

const MatmulKernels kF32 = {LOOM_TYPE_F32, convert_f32, matmul_rows<dot_float<f32_value>>};
const MatmulKernels kF16 = {LOOM_TYPE_F32, convert_f32, matmul_rows<dot_float<f16_value>>};
const MatmulKernels kBF16 = {LOOM_TYPE_F32, convert_f32, matmul_rows<dot_float<bf16_value>>};

} // namespace

void convert_f32(const float *x, void *dst, int64_t k) { std::memcpy(dst, x, sizeof(float) * k); }

const MatmulKernels *scalar_float_kernels(loom_type t) {
    switch (t) {
    case LOOM_TYPE_F32: return &kF32;
    case LOOM_TYPE_F16: return &kF16;
    case LOOM_TYPE_BF16: return &kBF16;
    default: return nullptr;
    }
}

} // namespace loom::cpu
