// The public tensor type table and reference codecs (include/loom.h SECTION quant).
#include "api/guard.h"
#include "quant/quant.h"

extern "C" {

LOOM_API const char *loom_type_name(int32_t type) {
    const loom::TypeTraits *t = loom::type_traits(type);
    return t ? t->name : nullptr;
}

LOOM_API int64_t loom_type_block_size(int32_t type) {
    const loom::TypeTraits *t = loom::type_traits(type);
    return t ? t->block_size : 0;
}

LOOM_API size_t loom_type_block_bytes(int32_t type) {
    const loom::TypeTraits *t = loom::type_traits(type);
    return t ? t->block_bytes : 0;
}

LOOM_API loom_status loom_row_size(int32_t type, int64_t n, size_t *out) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(out != nullptr, "loom_row_size: out is NULL");
        return loom::row_bytes(type, n, out);
    });
}

LOOM_API loom_status loom_dequantize(int32_t type, const void *src, size_t src_size, int64_t n_rows,
                                     int64_t row_len, float *dst) {
    return loom::api_call([&] { return loom::dequantize_rows(type, src, src_size, n_rows, row_len, dst); });
}

LOOM_API loom_status loom_quantize(int32_t type, const float *src, int64_t n_rows, int64_t row_len, void *dst,
                                   size_t dst_capacity, size_t *written) {
    return loom::api_call(
        [&] { return loom::quantize_rows(type, src, n_rows, row_len, dst, dst_capacity, written); });
}

} // extern "C"
