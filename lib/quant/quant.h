// The tensor type table and the scalar reference codecs: one entry per GGML
// type (block size, block bytes, dequantize, quantize). Written from the
// format definitions; bit-exact with llama.cpp (tests/quant). Every SIMD
// kernel and shader is tested against these.
//
// Files: type_table.cpp (the table), rows.cpp (whole-tensor checks),
// float_types.cpp (F32/F16/BF16, fp16/bf16 conversion), legacy.cpp
// (Q4_0..Q8_1), kquants.cpp + code_planes.h (Q2_K..Q8_K), scale_search.cpp
// (the encoders' scale searches), iquants.cpp + iq_tables.cpp (IQ decoders),
// iq4_quant.cpp (IQ4 encoders), iq_lattice.cpp + iq_grid_quant.cpp +
// iq1_quant.cpp (IQ1-IQ3 encoders), ternary.cpp (TQ1_0/TQ2_0), interleaved.cpp
// (Q4_0_4_4/4_8/8_8). fp_exact.h keeps FMA contraction out of all of them.
//
// Exactness (tests/quant: golden vectors and live parity with quantref.py):
// - Dequantization is bit-exact with llama.cpp's dequantize_row_* for every
//   decodable type, on random and adversarial blocks (NaN/Inf/zero/subnormal
//   fp16 scales, extreme codes), NaN payloads and signs included. Types with
//   no llama.cpp decoder are pinned to one built from a decoder it has:
//   F32 is the identity; Q8_1 decodes as the Q8_0 block [d, qs] (its s field
//   is only for dot products); Q4_0_4_4/4_8/8_8 decode as the Q4_0 blocks
//   they interleave (ggml removed these types; layout in interleaved.cpp).
// - Quantization is byte-exact with ggml_quantize_chunk without an
//   importance matrix (quantize_row_q8_1_ref / quantize_row_q8_K_ref for
//   Q8_1 / Q8_K) for finite input, for all encodable types: F32, F16, BF16,
//   Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K..Q6_K, Q8_K, IQ4_NL (with
//   ggml_quantize_chunk's 7 scale tries, not quantize_row_iq4_nl_ref's
//   single one), IQ4_XS, TQ1_0, TQ2_0. Known differences, all outside
//   finite input:
//     * Inf/NaN input: ggml's float->int casts are undefined behaviour there;
//       loom clamps, so the block is defined but unspecified. Other blocks of
//       the row are unaffected.
//     * Q8_K of an all-zero block: ggml leaves bsums unwritten, loom zeroes
//       them (d and qs agree).
//   With an importance matrix (quantize_rows_weighted) the same holds for
//   Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K, IQ4_NL and IQ4_XS.
//   F32/F16/BF16 are exact for every input, Inf and NaN included (NaN to
//   F16 is 0x7E00 with its sign, as ggml's software conversion; F16C
//   hardware would keep payloads). There is no bound to state for finite
//   input: the bytes are equal.
// - IQ1_M, IQ2_S, IQ3_XXS, IQ3_S (iq_grid_quant.cpp, iq1_quant.cpp, with
//   the grid neighbour tables of iq_lattice.cpp) are byte-exact with
//   ggml_quantize_chunk too, except IQ3_S blocks that hold an all-zero
//   32-value group: llama.cpp's encoder does not advance its code and sign
//   pointers past such a group, so it stores the later groups in the wrong
//   slots; loom stores each group in its own (and so decodes closer).
//   IQ1_S, IQ2_XXS and IQ2_XS have only weighted encoders
//   (quantize_rows_weighted), as in llama.cpp; with weights all seven are
//   byte-exact with ggml_quantize_chunk's quant_weights path.
// - Not encodable (UNSUPPORTED): IQ1_S, IQ2_XXS, IQ2_XS without weights,
//   the Q4_0_x_x types, I8..I64, F64. No decoder: I8..I64, F64.
// - Exactness needs IEEE single precision arithmetic without excess
//   precision (SSE/NEON, not x87) and no a*b+c fusion (fp_exact.h); a build
//   with -march=native stays exact.
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

// quantize_rows with an importance matrix: `weights` holds row_len per-column
// weights (llama-quantize's imatrix mean), as ggml_quantize_chunk with
// quant_weights, byte for byte (tests/quant: live parity with libggml).
// Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K, IQ4_NL, IQ4_XS and IQ1_S..IQ3_S use
// them; F32, F16, BF16, Q8_0, TQ1_0 and TQ2_0 encode as without them (ggml
// ignores them there too); every other type is UNSUPPORTED.
Status quantize_rows_weighted(int32_t type, const float *src, int64_t n_rows, int64_t row_len, const float *weights,
                              void *dst, size_t dst_capacity, size_t *needed);
// Whether quantize_rows_weighted encodes `type`.
bool has_weighted_encoder(int32_t type);

float fp16_to_fp32(uint16_t h);   // exact; NaN made quiet with its payload kept, as ggml
uint16_t fp32_to_fp16(float f);   // round to nearest even, as ggml
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);   // round to nearest even, NaN kept quiet, as ggml

} // namespace loom
