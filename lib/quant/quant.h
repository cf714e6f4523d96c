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
    // Rows stored interleaved in groups (4 or 8 for the legacy Q4_0_4_4,
    // Q4_0_4_8, Q4_0_8_8; 1 otherwise). For those, to_float is nullptr: a
    // block cannot be decoded without its row group, so use rows_to_float
    // (n_rows a multiple of row_group, row_len of block_size) or dequantize_rows().
    int64_t row_group;
    void (*rows_to_float)(const void *src, float *dst, int64_t n_rows, int64_t row_len);
};

// nullptr for numbers that are not a known tensor type.
const TypeTraits *type_traits(int32_t type);

// Bytes of a row of n values: checks n % block_size == 0 and overflow.
Status row_bytes(int32_t type, int64_t n, size_t *out);

// Decodes n_rows rows of row_len values (row-interleaved types included)
// from src (src_size bytes) into dst. Checks type, sizes and overflow;
// UNSUPPORTED for types with no decoder (I8..F64).
Status dequantize_rows(int32_t type, const void *src, size_t src_size, int64_t n_rows, int64_t row_len,
                       float *dst);

// Encodes n_rows rows of row_len floats into dst (dst_capacity bytes);
// *needed gets the size even when dst is too small (BUFFER_TOO_SMALL).
// UNSUPPORTED for types with no from_float.
Status quantize_rows(int32_t type, const float *src, int64_t n_rows, int64_t row_len, void *dst,
                     size_t dst_capacity, size_t *needed);

float fp16_to_fp32(uint16_t h);   // exact; NaN made quiet with its payload kept, as ggml
uint16_t fp32_to_fp16(float f);   // round to nearest even, as ggml
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);   // round to nearest even, NaN kept quiet, as ggml

} // namespace loom
