// Little helpers every codec uses to read and write the fields of a block:
// block bytes are unaligned, so multi-byte fields go through memcpy (UBSan
// checks that nothing reads a misaligned uint16_t/float). GGUF is
// little-endian and so are the hosts loom runs on.
#pragma once

#include "quant/quant.h"

#include <cstdint>
#include <cstring>

namespace loom {

inline uint16_t load_u16(const uint8_t *p) {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline void store_u16(uint8_t *p, uint16_t v) { std::memcpy(p, &v, sizeof v); }

inline uint32_t load_u32(const uint8_t *p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline void store_u32(uint8_t *p, uint32_t v) { std::memcpy(p, &v, sizeof v); }

inline float load_f32(const uint8_t *p) {
    float v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline void store_f32(uint8_t *p, float v) { std::memcpy(p, &v, sizeof v); }

// An fp16 field (a block scale) as a float.
inline float load_fp16(const uint8_t *p) { return fp16_to_fp32(load_u16(p)); }

inline void store_fp16(uint8_t *p, float v) { store_u16(p, fp32_to_fp16(v)); }

inline uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

inline float bits_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

// Runs `block(src_block, dst_values)` over the n / block_size blocks of a row.
template <int64_t BlockSize, size_t BlockBytes, typename F>
inline void for_each_block(const void *src, float *dst, int64_t n, F &&block) {
    const uint8_t *p = static_cast<const uint8_t *>(src);
    for (int64_t i = 0; i < n / BlockSize; ++i) block(p + i * BlockBytes, dst + i * BlockSize);
}

// The quantizing direction: `block(src_values, dst_block)`.
template <int64_t BlockSize, size_t BlockBytes, typename F>
inline void for_each_block(const float *src, void *dst, int64_t n, F &&block) {
    uint8_t *p = static_cast<uint8_t *>(dst);
    for (int64_t i = 0; i < n / BlockSize; ++i) block(src + i * BlockSize, p + i * BlockBytes);
}

} // namespace loom
