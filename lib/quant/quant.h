// The tensor type table and the scalar reference codecs: one entry per GGML
// type (block size, block bytes, dequantize, quantize). Written from the
// format definitions; bit-exact with llama.cpp (tests/quant). Every SIMD
// kernel and shader is tested against these.
//
// Owner: lib/quant.
#pragma once

#include "common/status.h"
#include "loom.h"

#include <cstddef>
#include <cstdint>

namespace loom {

struct TypeTraits {
    loom_type type;
    const char *name;        // "Q4_K", as llama.cpp spells it
    int64_t block_size;      // values per block (1 for F32/F16/BF16)
    size_t block_bytes;      // bytes per block
    bool quantized;
    // n must be a multiple of block_size. Never fail.
    void (*to_float)(const void *src, float *dst, int64_t n);
    // nullptr when loom cannot quantize to this type. n multiple of block_size.
    void (*from_float)(const float *src, void *dst, int64_t n);
};

// nullptr for numbers that are not a known tensor type.
const TypeTraits *type_traits(int32_t type);

// Bytes of a row of n values: checks n % block_size == 0 and overflow.
Status row_bytes(int32_t type, int64_t n, size_t *out);

float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);   // round to nearest even, as ggml
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);   // round to nearest even, NaN kept quiet, as ggml

} // namespace loom
