// Whole-tensor codecs over the type table: argument and size checks, then
// the per-block (or per-row-group) functions of the table entry.
#include "quant/quant.h"
#include "quant/codecs.h"

#include <cstdint>

#include <limits>

namespace loom {
namespace {

// Bytes and values of n_rows rows, overflow-checked.
Status tensor_extent(const TypeTraits &t, int64_t n_rows, int64_t row_len, size_t *bytes) {
    if (n_rows < 0) return error(LOOM_ERR_INVALID_ARGUMENT, "negative row count %lld", (long long)n_rows);
    size_t row = 0;
    LOOM_TRY(row_bytes(t.type, row_len, &row));
    if (row_len != 0 && n_rows > std::numeric_limits<int64_t>::max() / row_len)
        return error(LOOM_ERR_INVALID_ARGUMENT, "%lld rows of %lld values overflow", (long long)n_rows,
                     (long long)row_len);
    if (row != 0 && uint64_t(n_rows) > std::numeric_limits<size_t>::max() / row)
        return error(LOOM_ERR_INVALID_ARGUMENT, "%lld rows of %zu bytes overflow size_t", (long long)n_rows, row);
    *bytes = size_t(n_rows) * row;
    return Status::ok();
}

Status lookup(int32_t type, const TypeTraits **out) {
    *out = type_traits(type);
    if (!*out) return error(LOOM_ERR_INVALID_ARGUMENT, "unknown tensor type %d", int(type));
    return Status::ok();
}

} // namespace

Status dequantize_rows(int32_t type, const void *src, size_t src_size, int64_t n_rows, int64_t row_len,
                       float *dst) {
    const TypeTraits *t = nullptr;
    LOOM_TRY(lookup(type, &t));
    size_t bytes = 0;
    LOOM_TRY(tensor_extent(*t, n_rows, row_len, &bytes));
    if (bytes == 0) return Status::ok();
    if (!src || !dst) return error(LOOM_ERR_INVALID_ARGUMENT, "dequantize %s: NULL %s", t->name, src ? "dst" : "src");
    if (src_size < bytes)
        return error(LOOM_ERR_INVALID_ARGUMENT, "dequantize %s: %lld x %lld values need %zu bytes, src has %zu",
                     t->name, (long long)n_rows, (long long)row_len, bytes, src_size);
    if (t->rows_to_float) {
        if (n_rows % t->row_group != 0)
            return error(LOOM_ERR_INVALID_ARGUMENT, "dequantize %s: %lld rows is not a multiple of its %lld-row groups",
                         t->name, (long long)n_rows, (long long)t->row_group);
        t->rows_to_float(src, dst, n_rows, row_len);
        return Status::ok();
    }
    if (!t->to_float) return error(LOOM_ERR_UNSUPPORTED, "loom has no decoder for tensor type %s", t->name);
    t->to_float(src, dst, n_rows * row_len);
    return Status::ok();
}

Status quantize_rows(int32_t type, const float *src, int64_t n_rows, int64_t row_len, void *dst,
                     size_t dst_capacity, size_t *needed) {
    const TypeTraits *t = nullptr;
    LOOM_TRY(lookup(type, &t));
    if (!needed) return error(LOOM_ERR_INVALID_ARGUMENT, "quantize %s: NULL size out-parameter", t->name);
    if (!t->from_float) return error(LOOM_ERR_UNSUPPORTED, "loom cannot quantize to tensor type %s", t->name);
    size_t bytes = 0;
    LOOM_TRY(tensor_extent(*t, n_rows, row_len, &bytes));
    *needed = bytes;
    if (dst_capacity < bytes)
        return error(LOOM_ERR_BUFFER_TOO_SMALL, "quantize %s: %zu bytes needed, dst has %zu", t->name, bytes,
                     dst_capacity);
    if (bytes == 0) return Status::ok();
    if (!src || !dst) return error(LOOM_ERR_INVALID_ARGUMENT, "quantize %s: NULL %s", t->name, src ? "dst" : "src");
    t->from_float(src, dst, n_rows * row_len);
    return Status::ok();
}

} // namespace loom

namespace loom {

namespace {
using WeightedRowFn = void (*)(const float *row, void *dst, int64_t row_len, const float *qw);

WeightedRowFn weighted_encoder(int32_t type) {
    switch (type) {
    case LOOM_TYPE_Q4_0: return q4_0_from_float_weighted;
    case LOOM_TYPE_Q5_0: return q5_0_from_float_weighted;
    case LOOM_TYPE_Q4_1: return q4_1_from_float_weighted;
    case LOOM_TYPE_Q5_1: return q5_1_from_float_weighted;
    case LOOM_TYPE_Q2_K: return q2_k_from_float_weighted;
    case LOOM_TYPE_Q3_K: return q3_k_from_float_weighted;
    case LOOM_TYPE_Q4_K: return q4_k_from_float_weighted;
    case LOOM_TYPE_Q5_K: return q5_k_from_float_weighted;
    case LOOM_TYPE_Q6_K: return q6_k_from_float_weighted;
    case LOOM_TYPE_IQ4_NL: return iq4_nl_from_float_weighted;
    case LOOM_TYPE_IQ4_XS: return iq4_xs_from_float_weighted;
    case LOOM_TYPE_IQ2_XXS: return iq2_xxs_from_float_weighted;
    case LOOM_TYPE_IQ2_XS: return iq2_xs_from_float_weighted;
    case LOOM_TYPE_IQ2_S: return iq2_s_from_float_weighted;
    case LOOM_TYPE_IQ3_XXS: return iq3_xxs_from_float_weighted;
    case LOOM_TYPE_IQ3_S: return iq3_s_from_float_weighted;
    case LOOM_TYPE_IQ1_S: return iq1_s_from_float_weighted;
    case LOOM_TYPE_IQ1_M: return iq1_m_from_float_weighted;
    default: return nullptr;
    }
}

bool ignores_weights(int32_t type) {
    return type == LOOM_TYPE_F32 || type == LOOM_TYPE_F16 || type == LOOM_TYPE_BF16 || type == LOOM_TYPE_Q8_0 ||
           type == LOOM_TYPE_TQ1_0 || type == LOOM_TYPE_TQ2_0;
}
} // namespace

bool has_weighted_encoder(int32_t type) { return weighted_encoder(type) || ignores_weights(type); }

Status quantize_rows_weighted(int32_t type, const float *src, int64_t n_rows, int64_t row_len, const float *weights,
                              void *dst, size_t dst_capacity, size_t *needed) {
    if (ignores_weights(type)) return quantize_rows(type, src, n_rows, row_len, dst, dst_capacity, needed);
    const WeightedRowFn fn = weighted_encoder(type);
    const TypeTraits *t = type_traits(type);
    if (!fn)
        return error(LOOM_ERR_UNSUPPORTED, "loom cannot quantize to %s with an importance matrix yet",
                     t ? t->name : "an unknown type");
    size_t row = 0;
    LOOM_TRY(row_bytes(type, row_len, &row));
    if (!needed) return error(LOOM_ERR_INVALID_ARGUMENT, "quantize %s: NULL size out-parameter", t->name);
    if (n_rows < 0 || (n_rows > 0 && row > SIZE_MAX / size_t(n_rows)))
        return error(LOOM_ERR_INVALID_ARGUMENT, "quantize %s: bad row count %lld", t->name, (long long)n_rows);
    *needed = row * size_t(n_rows);
    if (dst_capacity < *needed)
        return error(LOOM_ERR_BUFFER_TOO_SMALL, "quantize %s: %zu bytes needed, dst has %zu", t->name, *needed,
                     dst_capacity);
    if (*needed == 0) return Status::ok();
    if (!src || !dst || !weights) return error(LOOM_ERR_INVALID_ARGUMENT, "quantize %s: NULL pointer", t->name);
    for (int64_t r = 0; r < n_rows; ++r) fn(src + r * row_len, static_cast<uint8_t *>(dst) + size_t(r) * row, row_len, weights);
    return Status::ok();
}

} // namespace loom
