// GGUF tensor table: per tensor a name, u32 n_dims, n_dims u64 extents
// (ne[0] contiguous), u32 type, u64 offset from the data section start.
// Shapes and sizes are checked with overflow-checked arithmetic; placement
// (alignment, bounds, overlap) once the data section's start is known.
#include "gguf/gguf_impl.h"
#include "quant/quant.h"

#include <algorithm>
#include <cinttypes>

namespace loom {

namespace {

constexpr uint32_t kMaxDims = 4;

Status read_shape(GgufCursor &c, GgufTensor *t) {
    size_t at = c.offset();
    LOOM_TRY(c.read(&t->n_dims, "a tensor's n_dims"));
    if (t->n_dims < 1 || t->n_dims > kMaxDims)
        return error(LOOM_ERR_FORMAT, "tensor '%s': n_dims %u at offset %zu is not in 1..%u", t->name.c_str(),
                     t->n_dims, at, kMaxDims);
    int64_t count = 1;
    for (uint32_t d = 0; d < t->n_dims; ++d) {
        at = c.offset();
        uint64_t ne = 0;
        LOOM_TRY(c.read(&ne, "a tensor extent"));
        if (ne < 1 || ne > uint64_t(INT64_MAX))
            return error(LOOM_ERR_FORMAT, "tensor '%s': ne[%u] = %llu at offset %zu is not in 1..INT64_MAX",
                         t->name.c_str(), d, static_cast<unsigned long long>(ne), at);
        t->ne[d] = static_cast<int64_t>(ne);
        if (__builtin_mul_overflow(count, t->ne[d], &count))
            return error(LOOM_ERR_FORMAT, "tensor '%s': element count overflows int64 at ne[%u] (offset %zu)",
                         t->name.c_str(), d, at);
    }
    return Status::ok();
}

// nbytes = rows * row_bytes(ne[0]), overflow-checked.
Status compute_size(GgufTensor *t, size_t type_at) {
    size_t row = 0;
    Status s = row_bytes(t->type, t->ne[0], &row);
    if (!s.is_ok())
        return error(LOOM_ERR_FORMAT, "tensor '%s' (type %s, record type field at offset %zu): ne[0] = %" PRId64
                     " is not a valid row: %s",
                     t->name.c_str(), type_traits(t->type)->name, type_at, t->ne[0], s.message().c_str());
    uint64_t rows = static_cast<uint64_t>(t->ne[1] * t->ne[2] * t->ne[3]); // no overflow: checked in read_shape
    const TypeTraits *traits = type_traits(t->type);
    if (traits->row_group > 1 && rows % static_cast<uint64_t>(traits->row_group) != 0)
        return error(LOOM_ERR_FORMAT, "tensor '%s': %llu rows is not a multiple of %s's interleaved row group %lld",
                     t->name.c_str(), static_cast<unsigned long long>(rows), traits->name,
                     static_cast<long long>(traits->row_group));
    size_t nbytes = 0;
    if (rows > SIZE_MAX || __builtin_mul_overflow(row, static_cast<size_t>(rows), &nbytes))
        return error(LOOM_ERR_FORMAT, "tensor '%s': byte size (%zu bytes per row x %llu rows) overflows",
                     t->name.c_str(), row, static_cast<unsigned long long>(rows));
    t->nbytes = nbytes;
    return Status::ok();
}

} // namespace

Status gguf_read_tensor_info(GgufCursor &c, GgufTensor *t) {
    size_t at = c.offset();
    LOOM_TRY(c.read_string(&t->name, GgufLimits::kMaxTensorNameBytes, "a tensor name"));
    if (t->name.empty()) return error(LOOM_ERR_FORMAT, "empty tensor name at offset %zu", at);
    if (!gguf_valid_name(t->name))
        return error(LOOM_ERR_FORMAT, "tensor name at offset %zu is not valid UTF-8 (or contains NUL)", at);
    LOOM_TRY(read_shape(c, t));
    size_t type_at = c.offset();
    uint32_t type = 0;
    LOOM_TRY(c.read(&type, "a tensor type"));
    if (type > uint32_t(INT32_MAX) || !type_traits(static_cast<int32_t>(type)))
        return error(LOOM_ERR_FORMAT, "tensor '%s': unknown tensor type %u at offset %zu", t->name.c_str(), type,
                     type_at);
    t->type = static_cast<loom_type>(type);
    LOOM_TRY(c.read(&t->offset, "a tensor offset"));
    return compute_size(t, type_at);
}

Status gguf_place_tensors(std::vector<GgufTensor> &tensors, const std::vector<size_t> &record_at,
                          const uint8_t *file, size_t file_size, size_t data_offset, size_t alignment) {
    if (tensors.empty()) return Status::ok();
    if (data_offset > file_size)
        return error(LOOM_ERR_FORMAT, "file truncated: the tensor data section starts at offset %zu, past the end (%zu bytes)",
                     data_offset, file_size);
    size_t data_size = file_size - data_offset;
    for (size_t i = 0; i < tensors.size(); ++i) {
        GgufTensor &t = tensors[i];
        if (t.offset % alignment != 0)
            return error(LOOM_ERR_FORMAT, "tensor '%s' (record at offset %zu): data offset %llu is not a multiple of the "
                         "alignment %zu", t.name.c_str(), record_at[i], static_cast<unsigned long long>(t.offset), alignment);
        if (t.offset > data_size || t.nbytes > data_size - t.offset)
            return error(LOOM_ERR_FORMAT, "tensor '%s' (record at offset %zu): data [%llu, +%zu) runs past the end of the "
                         "data section (%zu bytes from file offset %zu)", t.name.c_str(), record_at[i],
                         static_cast<unsigned long long>(t.offset), t.nbytes, data_size, data_offset);
        t.data = file + data_offset + static_cast<size_t>(t.offset);
    }
    std::vector<size_t> order(tensors.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors[a].offset < tensors[b].offset; });
    for (size_t k = 1; k < order.size(); ++k) {
        const GgufTensor &prev = tensors[order[k - 1]], &cur = tensors[order[k]];
        if (prev.offset + prev.nbytes > cur.offset) // no overflow: both end inside the data section
            return error(LOOM_ERR_FORMAT, "tensor '%s' [%llu, +%zu) overlaps tensor '%s' at data offset %llu",
                         prev.name.c_str(), static_cast<unsigned long long>(prev.offset), prev.nbytes, cur.name.c_str(),
                         static_cast<unsigned long long>(cur.offset));
    }
    return Status::ok();
}

} // namespace loom
