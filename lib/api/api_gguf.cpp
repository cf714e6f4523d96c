// SECTION gguf of loom.h: the C face of lib/gguf's GgufFile.
#include "api/guard.h"
#include "api/handles.h"
#include "api/params.h"

#include <cstring>

namespace loom {

namespace {

// Writes the first in->struct_size bytes of `full` to the caller's struct.
template <typename T>
Status write_sized(const T &full, T *out, const char *what) {
    LOOM_CHECK_ARG(out != nullptr, what);
    if (out->struct_size < sizeof(size_t) + sizeof(void *))
        return error(LOOM_ERR_INVALID_ARGUMENT, "%s: struct_size %zu is too small; set it to sizeof the struct", what,
                     out->struct_size);
    size_t n = out->struct_size < sizeof(T) ? out->struct_size : sizeof(T);
    size_t keep = out->struct_size;
    std::memcpy(static_cast<void *>(out), static_cast<const void *>(&full), n);
    out->struct_size = keep;
    return Status::ok();
}

Status find(const loom_gguf *g, const char *key, const GgufKV **kv) {
    LOOM_CHECK_ARG(g != nullptr, "gguf handle is NULL");
    LOOM_CHECK_ARG(key != nullptr, "key is NULL");
    *kv = g->file->find_kv(key);
    if (!*kv) return error(LOOM_ERR_NOT_FOUND, "metadata key '%s' not found", key);
    return Status::ok();
}

Status type_mismatch(const GgufKV &kv, GgufValueType want) { return gguf_type_mismatch(kv, gguf_value_type_name(want)); }

// The exact-type scalar getters share this: look up, check type, convert.
template <typename T>
loom_status get_scalar(const loom_gguf *g, const char *key, T *out, GgufValueType want) {
    return api_call([&] {
        LOOM_CHECK_ARG(out != nullptr, "output pointer is NULL");
        const GgufKV *kv = nullptr;
        LOOM_TRY(find(g, key, &kv));
        if (kv->type != want) return type_mismatch(*kv, want);
        if (want == GgufValueType::F32 || want == GgufValueType::F64)
            *out = static_cast<T>(kv->f64);
        else if (want == GgufValueType::I8 || want == GgufValueType::I16 || want == GgufValueType::I32 ||
                 want == GgufValueType::I64)
            *out = static_cast<T>(kv->i64);
        else
            *out = static_cast<T>(kv->u64);
        return Status::ok();
    });
}

Status find_array(const loom_gguf *g, const char *key, const GgufKV **kv) {
    LOOM_TRY(find(g, key, kv));
    if ((*kv)->type != GgufValueType::Array)
        return error(LOOM_ERR_TYPE_MISMATCH, "metadata key '%s' has type %s, not array", key,
                     gguf_value_type_name((*kv)->type));
    return Status::ok();
}

Status check_index(const loom_gguf *g, int64_t index, size_t count, const char *what) {
    LOOM_CHECK_ARG(g != nullptr, "gguf handle is NULL");
    if (index < 0 || static_cast<uint64_t>(index) >= count)
        return error(LOOM_ERR_INVALID_ARGUMENT, "%s index %lld is outside 0..%zu", what, static_cast<long long>(index),
                     count ? count - 1 : 0);
    return Status::ok();
}

void put_string(const std::string &s, const char **str, size_t *len) {
    *str = s.c_str();
    if (len) *len = s.size();
}

} // namespace

} // namespace loom

using namespace loom;

extern "C" {

LOOM_API const char *loom_gguf_type_name(int32_t type) {
    return type < 0 ? nullptr : gguf_value_type_name(static_cast<GgufValueType>(type));
}

LOOM_API size_t loom_gguf_type_size(int32_t type) {
    return type < 0 ? 0 : gguf_value_type_size(static_cast<GgufValueType>(type));
}

LOOM_API loom_status loom_gguf_default_params_sized(loom_gguf_params *params, size_t size) {
    return api_call([&] {
        loom_gguf_params d{};
        d.use_mmap = 1;
        return write_default_params(params, size, d, "gguf params");
    });
}

LOOM_API loom_status loom_gguf_open(const char *path, const loom_gguf_params *params, loom_gguf **out) {
    return api_call([&] {
        LOOM_CHECK_ARG(path != nullptr, "path is NULL");
        LOOM_CHECK_ARG(out != nullptr, "output handle pointer is NULL");
        loom_gguf_params p;
        loom_gguf_default_params(&p);
        LOOM_TRY(read_params(params, &p, "gguf params"));
        GgufOpenOptions opts;
        opts.use_mmap = p.use_mmap != 0;
        if (p.progress) {
            loom_gguf_progress_fn fn = p.progress;
            void *ud = p.progress_user_data;
            opts.progress = [fn, ud](uint64_t done, uint64_t total) { return fn(ud, done, total) == 0; };
        }
        std::unique_ptr<GgufFile> file;
        LOOM_TRY(GgufFile::open_file(path, opts, &file));
        *out = new loom_gguf{std::shared_ptr<GgufFile>(std::move(file))};
        return Status::ok();
    });
}

LOOM_API loom_status loom_gguf_open_memory(const void *data, size_t size, int32_t copy, loom_gguf **out) {
    return api_call([&] {
        LOOM_CHECK_ARG(out != nullptr, "output handle pointer is NULL");
        std::unique_ptr<GgufFile> file;
        LOOM_TRY(GgufFile::open_memory(data, size, copy != 0, &file));
        *out = new loom_gguf{std::shared_ptr<GgufFile>(std::move(file))};
        return Status::ok();
    });
}

LOOM_API void loom_gguf_close(loom_gguf *gguf) { delete gguf; }

LOOM_API uint32_t loom_gguf_version(const loom_gguf *gguf) { return gguf ? gguf->file->version() : 0; }

LOOM_API size_t loom_gguf_alignment(const loom_gguf *gguf) { return gguf ? gguf->file->alignment() : 0; }

LOOM_API uint64_t loom_gguf_data_offset(const loom_gguf *gguf) { return gguf ? gguf->file->data_offset() : 0; }

LOOM_API int64_t loom_gguf_kv_count(const loom_gguf *gguf) {
    return gguf ? static_cast<int64_t>(gguf->file->kvs().size()) : 0;
}

LOOM_API loom_status loom_gguf_get_kv_info(const loom_gguf *gguf, int64_t index, loom_gguf_kv_info *info) {
    return api_call([&] {
        LOOM_TRY(check_index(gguf, index, gguf ? gguf->file->kvs().size() : 0, "metadata key"));
        const GgufKV &kv = gguf->file->kvs()[static_cast<size_t>(index)];
        loom_gguf_kv_info full{};
        full.struct_size = sizeof full;
        full.key = kv.key.c_str();
        full.type = static_cast<int32_t>(kv.type);
        bool array = kv.type == GgufValueType::Array;
        full.array_type = array ? static_cast<int32_t>(kv.array_type) : -1;
        full.array_count = array ? kv.array_count : 0;
        return write_sized(full, info, "kv info");
    });
}

LOOM_API loom_status loom_gguf_find_key(const loom_gguf *gguf, const char *key, int64_t *index) {
    return api_call([&] {
        LOOM_CHECK_ARG(index != nullptr, "index pointer is NULL");
        const GgufKV *kv = nullptr;
        LOOM_TRY(find(gguf, key, &kv));
        *index = static_cast<int64_t>(kv - gguf->file->kvs().data());
        return Status::ok();
    });
}

LOOM_API loom_status loom_gguf_get_u8(const loom_gguf *g, const char *key, uint8_t *out) {
    return get_scalar(g, key, out, GgufValueType::U8);
}
LOOM_API loom_status loom_gguf_get_i8(const loom_gguf *g, const char *key, int8_t *out) {
    return get_scalar(g, key, out, GgufValueType::I8);
}
LOOM_API loom_status loom_gguf_get_u16(const loom_gguf *g, const char *key, uint16_t *out) {
    return get_scalar(g, key, out, GgufValueType::U16);
}
LOOM_API loom_status loom_gguf_get_i16(const loom_gguf *g, const char *key, int16_t *out) {
    return get_scalar(g, key, out, GgufValueType::I16);
}
LOOM_API loom_status loom_gguf_get_u32(const loom_gguf *g, const char *key, uint32_t *out) {
    return get_scalar(g, key, out, GgufValueType::U32);
}
LOOM_API loom_status loom_gguf_get_i32(const loom_gguf *g, const char *key, int32_t *out) {
    return get_scalar(g, key, out, GgufValueType::I32);
}
LOOM_API loom_status loom_gguf_get_u64(const loom_gguf *g, const char *key, uint64_t *out) {
    return get_scalar(g, key, out, GgufValueType::U64);
}
LOOM_API loom_status loom_gguf_get_i64(const loom_gguf *g, const char *key, int64_t *out) {
    return get_scalar(g, key, out, GgufValueType::I64);
}
LOOM_API loom_status loom_gguf_get_f32(const loom_gguf *g, const char *key, float *out) {
    return get_scalar(g, key, out, GgufValueType::F32);
}
LOOM_API loom_status loom_gguf_get_f64(const loom_gguf *g, const char *key, double *out) {
    return get_scalar(g, key, out, GgufValueType::F64);
}
LOOM_API loom_status loom_gguf_get_bool(const loom_gguf *g, const char *key, int32_t *out) {
    return get_scalar(g, key, out, GgufValueType::Bool);
}

LOOM_API loom_status loom_gguf_get_int(const loom_gguf *g, const char *key, int64_t *out) {
    return api_call([&] {
        LOOM_CHECK_ARG(g != nullptr, "gguf handle is NULL");
        LOOM_CHECK_ARG(key != nullptr, "key is NULL");
        LOOM_CHECK_ARG(out != nullptr, "output pointer is NULL");
        return g->file->get_int(key, out);
    });
}

LOOM_API loom_status loom_gguf_get_string(const loom_gguf *g, const char *key, const char **str, size_t *len) {
    return api_call([&] {
        LOOM_CHECK_ARG(str != nullptr, "string out-pointer is NULL");
        const GgufKV *kv = nullptr;
        LOOM_TRY(find(g, key, &kv));
        if (kv->type != GgufValueType::String) return type_mismatch(*kv, GgufValueType::String);
        put_string(kv->str, str, len);
        return Status::ok();
    });
}

LOOM_API loom_status loom_gguf_get_array_info(const loom_gguf *g, const char *key, int32_t *elem_type,
                                              uint64_t *count) {
    return api_call([&] {
        const GgufKV *kv = nullptr;
        LOOM_TRY(find_array(g, key, &kv));
        if (elem_type) *elem_type = static_cast<int32_t>(kv->array_type);
        if (count) *count = kv->array_count;
        return Status::ok();
    });
}

LOOM_API loom_status loom_gguf_get_array_string(const loom_gguf *g, const char *key, uint64_t i, const char **str,
                                                size_t *len) {
    return api_call([&] {
        LOOM_CHECK_ARG(str != nullptr, "string out-pointer is NULL");
        const GgufKV *kv = nullptr;
        LOOM_TRY(find_array(g, key, &kv));
        if (kv->array_type != GgufValueType::String) return type_mismatch(*kv, GgufValueType::String);
        if (i >= kv->array_count)
            return error(LOOM_ERR_INVALID_ARGUMENT, "index %llu is past the end of array '%s' (%llu elements)",
                         static_cast<unsigned long long>(i), key, static_cast<unsigned long long>(kv->array_count));
        put_string(kv->array_strings[static_cast<size_t>(i)], str, len);
        return Status::ok();
    });
}

LOOM_API loom_status loom_gguf_get_array_data(const loom_gguf *g, const char *key, int32_t elem_type, uint64_t start,
                                              uint64_t count, void *buf, size_t capacity, size_t *size) {
    return api_call([&] {
        LOOM_CHECK_ARG(size != nullptr, "size out-parameter is NULL");
        const GgufKV *kv = nullptr;
        LOOM_TRY(find_array(g, key, &kv));
        if (kv->array_type == GgufValueType::String || elem_type != static_cast<int32_t>(kv->array_type))
            return error(LOOM_ERR_TYPE_MISMATCH, "metadata key '%s' is an array of %s; asked for %s", key,
                         gguf_value_type_name(kv->array_type),
                         loom_gguf_type_name(elem_type) ? loom_gguf_type_name(elem_type) : "an unknown type");
        if (start > kv->array_count || count > kv->array_count - start)
            return error(LOOM_ERR_INVALID_ARGUMENT, "range [%llu, +%llu) is outside array '%s' (%llu elements)",
                         static_cast<unsigned long long>(start), static_cast<unsigned long long>(count), key,
                         static_cast<unsigned long long>(kv->array_count));
        size_t elem = gguf_value_type_size(kv->array_type); // no overflow: the range lies inside array_raw
        return copy_out(kv->array_raw.data() + static_cast<size_t>(start) * elem, static_cast<size_t>(count) * elem,
                        buf, capacity, size);
    });
}

LOOM_API int64_t loom_gguf_tensor_count(const loom_gguf *gguf) {
    return gguf ? static_cast<int64_t>(gguf->file->tensors().size()) : 0;
}

LOOM_API loom_status loom_gguf_get_tensor_info(const loom_gguf *gguf, int64_t index, loom_gguf_tensor_info *info) {
    return api_call([&] {
        LOOM_TRY(check_index(gguf, index, gguf ? gguf->file->tensors().size() : 0, "tensor"));
        const GgufTensor &t = gguf->file->tensors()[static_cast<size_t>(index)];
        loom_gguf_tensor_info full{};
        full.struct_size = sizeof full;
        full.name = t.name.c_str();
        full.type = static_cast<int32_t>(t.type);
        full.n_dims = static_cast<int32_t>(t.n_dims);
        for (int d = 0; d < 4; ++d) full.ne[d] = t.ne[d];
        full.offset = t.offset;
        full.nbytes = t.nbytes;
        full.data = t.data;
        return write_sized(full, info, "tensor info");
    });
}

LOOM_API loom_status loom_gguf_find_tensor(const loom_gguf *gguf, const char *name, int64_t *index) {
    return api_call([&] {
        LOOM_CHECK_ARG(gguf != nullptr, "gguf handle is NULL");
        LOOM_CHECK_ARG(name != nullptr, "tensor name is NULL");
        LOOM_CHECK_ARG(index != nullptr, "index pointer is NULL");
        const GgufTensor *t = gguf->file->find_tensor(name);
        if (!t) return error(LOOM_ERR_NOT_FOUND, "tensor '%s' not found", name);
        *index = static_cast<int64_t>(t - gguf->file->tensors().data());
        return Status::ok();
    });
}

} // extern "C"
