// The per-type codec functions the type table (type_table.cpp) points at,
// grouped by the family file that defines them. Signatures are those of
// TypeTraits::to_float / from_float: n values, a multiple of the block size.
#pragma once

#include <cstdint>

namespace loom {

#define LOOM_DECLARE_CODEC(t)                                                                      \
    void t##_to_float(const void *src, float *dst, int64_t n);                                     \
    void t##_from_float(const float *src, void *dst, int64_t n)
#define LOOM_DECLARE_DECODER(t) void t##_to_float(const void *src, float *dst, int64_t n)

// float_types.cpp
LOOM_DECLARE_CODEC(f32);
LOOM_DECLARE_CODEC(f16);
LOOM_DECLARE_CODEC(bf16);

// legacy.cpp
LOOM_DECLARE_CODEC(q4_0);
LOOM_DECLARE_CODEC(q4_1);
LOOM_DECLARE_CODEC(q5_0);
LOOM_DECLARE_CODEC(q5_1);
LOOM_DECLARE_CODEC(q8_0);
LOOM_DECLARE_CODEC(q8_1);
// One row of row_len values with per-column importance weights qw (row_len).
void q4_0_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void q5_0_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void q4_1_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void q5_1_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);

// kquants.cpp
LOOM_DECLARE_CODEC(q2_k);
LOOM_DECLARE_CODEC(q3_k);
LOOM_DECLARE_CODEC(q4_k);
LOOM_DECLARE_CODEC(q5_k);
LOOM_DECLARE_CODEC(q6_k);
LOOM_DECLARE_CODEC(q8_k);
void q2_k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void q3_k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void q4_k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void q5_k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void q6_k_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);

// iquants.cpp (decoders), iq4_quant.cpp (IQ4 encoders)
LOOM_DECLARE_DECODER(iq2_xxs);
LOOM_DECLARE_DECODER(iq2_xs);
LOOM_DECLARE_CODEC(iq2_s);
LOOM_DECLARE_CODEC(iq3_xxs);
LOOM_DECLARE_CODEC(iq3_s);
LOOM_DECLARE_DECODER(iq1_s);
LOOM_DECLARE_CODEC(iq1_m);
LOOM_DECLARE_CODEC(iq4_nl);
LOOM_DECLARE_CODEC(iq4_xs);
void iq4_nl_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void iq4_xs_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);

// iq_grid_quant.cpp: the lattice encoders with importance weights qw (row_len);
// IQ2_XXS and IQ2_XS have no encoder without them (neither has llama.cpp).
void iq2_xxs_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void iq2_xs_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void iq2_s_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void iq3_xxs_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void iq3_s_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
// iq1_quant.cpp: IQ1_S needs the weights (as in llama.cpp); IQ1_M takes them.
void iq1_s_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);
void iq1_m_from_float_weighted(const float *row, void *dst, int64_t row_len, const float *qw);

// ternary.cpp
LOOM_DECLARE_CODEC(tq1_0);
LOOM_DECLARE_CODEC(tq2_0);

// interleaved.cpp: whole row groups (TypeTraits::rows_to_float)
#define LOOM_DECLARE_ROWS_DECODER(t) void t##_rows_to_float(const void *src, float *dst, int64_t n_rows, int64_t row_len)
LOOM_DECLARE_ROWS_DECODER(q4_0_4_4);
LOOM_DECLARE_ROWS_DECODER(q4_0_4_8);
LOOM_DECLARE_ROWS_DECODER(q4_0_8_8);
#undef LOOM_DECLARE_ROWS_DECODER

#undef LOOM_DECLARE_CODEC
#undef LOOM_DECLARE_DECODER

} // namespace loom
