// Scalar reference: the 32-value legacy types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// IQ4_NL) x Q8_0/Q8_1 activations, and the Q8_0/Q8_1 activation quantizers.
// Each weight block is decoded to 32 small integers q and a scale d (and a
// min m for the _1 types): w = d*q (+ m). The block dot is then the exact
// integer sum(q * qa) scaled by d * da (+ m * s).
#include "cpu/kernels/blocks.h"
#include "cpu/kernels/packed.h"
#include "cpu/kernels/skeleton.h"

#include "quant/quant.h"

#include <cmath>

namespace loom::cpu {
namespace {

struct Decoded {
    int8_t q[kQK];
    float d;
    float m; // 0 for the symmetric types
};

void decode(const BlockQ4_0 &b, Decoded &o) {
    for (int i = 0; i < kQK / 2; ++i) {
        o.q[i] = static_cast<int8_t>((b.qs[i] & 0xF) - 8);
        o.q[i + 16] = static_cast<int8_t>((b.qs[i] >> 4) - 8);
    }
    o.d = fp16_to_fp32(b.d);
    o.m = 0.0f;
}
void decode(const BlockQ4_1 &b, Decoded &o) {
    for (int i = 0; i < kQK / 2; ++i) {
        o.q[i] = static_cast<int8_t>(b.qs[i] & 0xF);
        o.q[i + 16] = static_cast<int8_t>(b.qs[i] >> 4);
    }
    o.d = fp16_to_fp32(b.d);
    o.m = fp16_to_fp32(b.m);
}
int q5_high(const uint8_t qh[4], int i) { return ((qh[i / 8] >> (i % 8)) & 1) << 4; }
void decode(const BlockQ5_0 &b, Decoded &o) {
    for (int i = 0; i < kQK / 2; ++i) {
        o.q[i] = static_cast<int8_t>(((b.qs[i] & 0xF) | q5_high(b.qh, i)) - 16);
        o.q[i + 16] = static_cast<int8_t>(((b.qs[i] >> 4) | q5_high(b.qh, i + 16)) - 16);
    }
    o.d = fp16_to_fp32(b.d);
    o.m = 0.0f;
}
void decode(const BlockQ5_1 &b, Decoded &o) {
    for (int i = 0; i < kQK / 2; ++i) {
        o.q[i] = static_cast<int8_t>((b.qs[i] & 0xF) | q5_high(b.qh, i));
        o.q[i + 16] = static_cast<int8_t>((b.qs[i] >> 4) | q5_high(b.qh, i + 16));
    }
    o.d = fp16_to_fp32(b.d);
    o.m = fp16_to_fp32(b.m);
}
void decode(const BlockQ8_0 &b, Decoded &o) {
    for (int i = 0; i < kQK; ++i) o.q[i] = b.qs[i];
    o.d = fp16_to_fp32(b.d);
    o.m = 0.0f;
}
void decode(const BlockIQ4_NL &b, Decoded &o) {
    for (int i = 0; i < kQK / 2; ++i) {
        o.q[i] = kIq4nlValues[b.qs[i] & 0xF];
        o.q[i + 16] = kIq4nlValues[b.qs[i] >> 4];
    }
    o.d = fp16_to_fp32(b.d);
    o.m = 0.0f;
}

int32_t int_dot(const int8_t *a, const int8_t *b) {
    int32_t s = 0;
    for (int i = 0; i < kQK; ++i) s += int32_t(a[i]) * int32_t(b[i]);
    return s;
}

// Symmetric weights x Q8_0.
template <class W>
float dot_q8_0(int64_t k, const void *w, const void *act) {
    const auto *wb = static_cast<const W *>(w);
    const auto *ab = static_cast<const BlockQ8_0 *>(act);
    float sum = 0.0f;
    Decoded o;
    for (int64_t i = 0; i < k / kQK; ++i) {
        decode(wb[i], o);
        sum += o.d * fp16_to_fp32(ab[i].d) * static_cast<float>(int_dot(o.q, ab[i].qs));
    }
    return sum;
}

// Weights with a min x Q8_1.
template <class W>
float dot_q8_1(int64_t k, const void *w, const void *act) {
    const auto *wb = static_cast<const W *>(w);
    const auto *ab = static_cast<const BlockQ8_1 *>(act);
    float sum = 0.0f;
    Decoded o;
    for (int64_t i = 0; i < k / kQK; ++i) {
        decode(wb[i], o);
        sum += o.d * fp16_to_fp32(ab[i].d) * static_cast<float>(int_dot(o.q, ab[i].qs)) +
               o.m * fp16_to_fp32(ab[i].s);
    }
    return sum;
}

// One block of 32: d = amax/127, q = nearest-even(x * 127/amax). Returns sum(q).
int quantize_block(const float *x, int8_t *q, float *d) {
    float amax = 0.0f;
    for (int i = 0; i < kQK; ++i) amax = std::fmax(amax, std::fabs(x[i]));
    const float id = amax > 0.0f ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int i = 0; i < kQK; ++i) {
        q[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
        sum += q[i];
    }
    *d = amax / 127.0f;
    return sum;
}

#define LEGACY(name, W, act, quant, dot)                                                         \
    const MatmulKernels name = {act, quant, matmul_rows<dot<W>>};
LEGACY(kQ8_0, BlockQ8_0, LOOM_TYPE_Q8_0, quantize_q8_0, dot_q8_0)
LEGACY(kQ4_1, BlockQ4_1, LOOM_TYPE_Q8_1, quantize_q8_1, dot_q8_1)
#undef LEGACY
// The types with the load-time layout (packed.h, scalar_packed.cpp).
const MatmulKernels kQ4_0 = {LOOM_TYPE_Q8_0, quantize_q8_0, matmul_rows<dot_q8_0<BlockQ4_0>>, repack_nib16,
                             matmul_packed_q4_0_ref};
const MatmulKernels kIQ4_NL = {LOOM_TYPE_Q8_0, quantize_q8_0, matmul_rows<dot_q8_0<BlockIQ4_NL>>, repack_nib16,
                               matmul_packed_iq4_nl_ref};
const MatmulKernels kQ5_0 = {LOOM_TYPE_Q8_0, quantize_q8_0, matmul_rows<dot_q8_0<BlockQ5_0>>, repack_q5_0,
                             matmul_packed_q5_0_ref};
const MatmulKernels kQ5_1 = {LOOM_TYPE_Q8_1, quantize_q8_1, matmul_rows<dot_q8_1<BlockQ5_1>>, repack_q5_1,
                             matmul_packed_q5_1_ref};

} // namespace

void quantize_q8_0(const float *x, void *dst, int64_t k) {
    auto *y = static_cast<BlockQ8_0 *>(dst);
    for (int64_t i = 0; i < k / kQK; ++i) {
        float d;
        quantize_block(x + i * kQK, y[i].qs, &d);
        y[i].d = fp32_to_fp16(d);
    }
}

void quantize_q8_1(const float *x, void *dst, int64_t k) {
    auto *y = static_cast<BlockQ8_1 *>(dst);
    for (int64_t i = 0; i < k / kQK; ++i) {
        float d;
        const int sum = quantize_block(x + i * kQK, y[i].qs, &d);
        y[i].d = fp32_to_fp16(d);
        y[i].s = fp32_to_fp16(d * static_cast<float>(sum));
    }
}

const MatmulKernels *scalar_legacy_kernels(loom_type t) {
    switch (t) {
    case LOOM_TYPE_Q4_0: return &kQ4_0;
    case LOOM_TYPE_Q4_1: return &kQ4_1;
    case LOOM_TYPE_Q5_0: return &kQ5_0;
    case LOOM_TYPE_Q5_1: return &kQ5_1;
    case LOOM_TYPE_Q8_0: return &kQ8_0;
    case LOOM_TYPE_IQ4_NL: return &kIQ4_NL;
    default: return nullptr;
    }
}

} // namespace loom::cpu
