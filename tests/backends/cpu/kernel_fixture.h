// Shared helpers of the kernel tests: random weight rows of any type (valid
// blocks: random bytes with sane fp16 scales), their f32 decode through
// lib/quant, activation decode, and the checkasm-style guarded buffers.
#pragma once

#include "cpu/kernels.h"
#include "cpu/kernels/blocks.h"
#include "quant/quant.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace kt {

using loom::cpu::Isa;

// Every type the table must serve (all GGUF tensor types with a decoder).
inline std::vector<loom_type> all_weight_types() {
    std::vector<loom_type> out;
    for (int t = 0; t <= LOOM_TYPE_TQ2_0; ++t) {
        const loom::TypeTraits *tt = loom::type_traits(t);
        if (tt && (tt->to_float || t == LOOM_TYPE_Q2_K || t == LOOM_TYPE_Q3_K || t == LOOM_TYPE_Q4_K ||
                   t == LOOM_TYPE_Q5_K || t == LOOM_TYPE_Q6_K || t == LOOM_TYPE_IQ4_XS ||
                   t == LOOM_TYPE_IQ4_NL))
            out.push_back(static_cast<loom_type>(t));
    }
    return out;
}

inline std::vector<Isa> isa_levels() {
    std::vector<Isa> out{Isa::Scalar};
    const Isa top = loom::cpu::detected_isa();
    if (top == Isa::Avx2 || top == Isa::Avx512) out.push_back(Isa::Avx2);
    if (top == Isa::Avx512) out.push_back(Isa::Avx512);
    if (top == Isa::Neon) out.push_back(Isa::Neon);
    return out;
}

// Byte offsets of the fp16 scale fields in one block, per type (so random
// bytes make a block with finite, moderate scales). Layouts: kernels/blocks.h
// and ggml-common.h for the types only lib/quant decodes.
inline std::vector<size_t> fp16_fields(loom_type t) {
    switch (t) {
    case LOOM_TYPE_Q4_0: case LOOM_TYPE_Q5_0: case LOOM_TYPE_Q8_0: case LOOM_TYPE_IQ4_NL:
    case LOOM_TYPE_IQ4_XS: case LOOM_TYPE_IQ2_XXS: case LOOM_TYPE_IQ2_XS: case LOOM_TYPE_IQ3_XXS:
    case LOOM_TYPE_IQ1_S: case LOOM_TYPE_IQ3_S: case LOOM_TYPE_IQ2_S:
        return {0};
    case LOOM_TYPE_Q4_1: case LOOM_TYPE_Q5_1: case LOOM_TYPE_Q4_K: case LOOM_TYPE_Q5_K: case LOOM_TYPE_Q8_1:
        return {0, 2};
    case LOOM_TYPE_Q2_K: return {80, 82};
    case LOOM_TYPE_Q3_K: return {108};
    case LOOM_TYPE_Q6_K: return {208};
    case LOOM_TYPE_TQ1_0: return {52};
    case LOOM_TYPE_TQ2_0: return {64};
    default: return {};
    }
}

inline void put_fp16(uint8_t *p, float v) {
    const uint16_t h = loom::fp32_to_fp16(v);
    std::memcpy(p, &h, 2);
}

// n_rows rows of k values of type t, random but valid.
inline std::vector<uint8_t> random_weights(loom_type t, int64_t n_rows, int64_t k, std::mt19937 &rng) {
    const loom::TypeTraits *tt = loom::type_traits(t);
    const size_t row = static_cast<size_t>(k / tt->block_size) * tt->block_bytes;
    std::vector<uint8_t> w(row * n_rows);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    if (!tt->quantized) { // F32/F16/BF16: encode random floats
        std::vector<float> f(static_cast<size_t>(k * n_rows));
        for (float &v : f) v = u(rng);
        tt->from_float(f.data(), w.data(), k * n_rows);
        return w;
    }
    for (uint8_t &b : w) b = static_cast<uint8_t>(rng());
    if (t == LOOM_TYPE_Q8_K) { // f32 scale first
        for (size_t off = 0; off < w.size(); off += tt->block_bytes) {
            const float d = 0.01f * (1.0f + u(rng));
            std::memcpy(&w[off], &d, 4);
        }
        return w;
    }
    const std::vector<size_t> fields = fp16_fields(t);
    for (size_t off = 0; off < w.size(); off += tt->block_bytes)
        for (size_t f : fields) put_fp16(&w[off + f], 0.02f * u(rng));
    return w;
}

// f32 decode of weight rows (lib/quant is the reference).
inline std::vector<float> decode_weights(loom_type t, const std::vector<uint8_t> &w, int64_t n_rows, int64_t k) {
    std::vector<float> f(static_cast<size_t>(n_rows * k));
    const loom::TypeTraits *tt = loom::type_traits(t);
    if (!tt->to_float) return {};
    tt->to_float(w.data(), f.data(), n_rows * k);
    return f;
}

// f32 decode of a converted activation row (the layouts of kernels/blocks.h).
inline std::vector<float> decode_act(loom_type act_type, const uint8_t *a, int64_t k) {
    using namespace loom::cpu;
    std::vector<float> f(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i) {
        switch (act_type) {
        case LOOM_TYPE_F32: std::memcpy(&f[i], a + 4 * i, 4); break;
        case LOOM_TYPE_Q8_0: {
            BlockQ8_0 b;
            std::memcpy(&b, a + (i / 32) * sizeof b, sizeof b);
            f[i] = loom::fp16_to_fp32(b.d) * b.qs[i % 32];
            break;
        }
        case LOOM_TYPE_Q8_1: {
            BlockQ8_1 b;
            std::memcpy(&b, a + (i / 32) * sizeof b, sizeof b);
            f[i] = loom::fp16_to_fp32(b.d) * b.qs[i % 32];
            break;
        }
        case LOOM_TYPE_Q8_K: {
            BlockQ8_K b;
            std::memcpy(&b, a + (i / 256) * sizeof b, sizeof b);
            f[i] = b.d * b.qs[i % 256];
            break;
        }
        default: f[i] = NAN;
        }
    }
    return f;
}

// sum over the k values of |w * a| per (activation row j, weight row r), at
// [j * n_rows + r]: the scale of a dot's rounding error.
inline std::vector<double> magnitudes(loom_type t, const std::vector<uint8_t> &w, int64_t n_rows, int64_t k,
                                      loom_type act_type, const std::vector<uint8_t> &a, size_t act_stride,
                                      int64_t n_act) {
    const auto wf = decode_weights(t, w, n_rows, k);
    std::vector<double> mag(static_cast<size_t>(n_rows * n_act), 0.0);
    for (int64_t j = 0; j < n_act; ++j) {
        const auto af = decode_act(act_type, &a[j * act_stride], k);
        for (int64_t r = 0; r < n_rows; ++r)
            for (int64_t i = 0; i < k; ++i) mag[j * n_rows + r] += std::fabs(double(wf[r * k + i]) * af[i]);
    }
    return mag;
}

// Activation block size (1 for f32 activations).
inline int64_t act_block(loom_type act_type) {
    return act_type == LOOM_TYPE_Q8_K ? 256 : act_type == LOOM_TYPE_F32 ? 1 : 32;
}

constexpr uint32_t kGuardBits = 0x7fbadbadu; // a NaN no kernel writes
constexpr uint8_t kGuardByte = 0xA5;

inline bool is_guard(float v) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    return u == kGuardBits;
}
inline float guard_float() {
    float f;
    std::memcpy(&f, &kGuardBits, 4);
    return f;
}

} // namespace kt
