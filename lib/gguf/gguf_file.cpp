// GgufFile accessors: lookups by name and the typed metadata getters.
#include "gguf/gguf_impl.h"

namespace loom {

namespace {

bool is_integer(GgufValueType t) {
    switch (t) {
    case GgufValueType::U8: case GgufValueType::I8: case GgufValueType::U16: case GgufValueType::I16:
    case GgufValueType::U32: case GgufValueType::I32: case GgufValueType::U64: case GgufValueType::I64:
        return true;
    default:
        return false;
    }
}

bool is_unsigned(GgufValueType t) {
    return t == GgufValueType::U8 || t == GgufValueType::U16 || t == GgufValueType::U32 || t == GgufValueType::U64;
}

// Element i of a numeric array as int64 (false if it does not fit).
bool array_int(const GgufKV &kv, size_t i, int64_t *out) {
    size_t size = gguf_value_type_size(kv.array_type);
    uint64_t raw = 0;
    std::memcpy(&raw, kv.array_raw.data() + i * size, size);
    if (is_unsigned(kv.array_type)) {
        if (raw > uint64_t(INT64_MAX)) return false;
        *out = static_cast<int64_t>(raw);
        return true;
    }
    unsigned shift = static_cast<unsigned>(64 - 8 * size);
    *out = static_cast<int64_t>(raw << shift) >> shift;
    return true;
}

} // namespace

Status gguf_type_mismatch(const GgufKV &kv, const char *wanted) {
    bool array = kv.type == GgufValueType::Array;
    return error(LOOM_ERR_TYPE_MISMATCH, "metadata key '%s' has type %s%s, not %s", kv.key.c_str(),
                 array ? "array of " : "", gguf_value_type_name(array ? kv.array_type : kv.type), wanted);
}

uint32_t GgufFile::version() const { return impl_->version; }
size_t GgufFile::alignment() const { return impl_->alignment; }
const uint8_t *GgufFile::bytes() const { return impl_->storage->data(); }
size_t GgufFile::size() const { return impl_->storage->size(); }
size_t GgufFile::data_offset() const { return impl_->data_offset; }
bool GgufFile::is_mapped() const { return impl_->storage->is_mapped(); }
void GgufFile::release_pages(const void *p, size_t n) const { impl_->storage->release_pages(p, n); }
void GgufFile::advise_random(const void *p, size_t n, bool random) const { impl_->storage->advise_random(p, n, random); }
const std::vector<GgufKV> &GgufFile::kvs() const { return impl_->kvs; }
const std::vector<GgufTensor> &GgufFile::tensors() const { return impl_->tensors; }

const GgufKV *GgufFile::find_kv(std::string_view key) const {
    auto it = impl_->kv_index.find(key);
    return it == impl_->kv_index.end() ? nullptr : &impl_->kvs[it->second];
}

const GgufTensor *GgufFile::find_tensor(std::string_view name) const {
    auto it = impl_->tensor_index.find(name);
    return it == impl_->tensor_index.end() ? nullptr : &impl_->tensors[it->second];
}

static Status find_or_fail(const GgufFile &f, std::string_view key, const GgufKV **kv) {
    *kv = f.find_kv(key);
    if (!*kv)
        return error(LOOM_ERR_NOT_FOUND, "metadata key '%.*s' not found", static_cast<int>(key.size()), key.data());
    return Status::ok();
}

Status GgufFile::get_string(std::string_view key, std::string *out) const {
    const GgufKV *kv = nullptr;
    LOOM_TRY(find_or_fail(*this, key, &kv));
    if (kv->type != GgufValueType::String) return gguf_type_mismatch(*kv, "string");
    *out = kv->str;
    return Status::ok();
}

Status GgufFile::get_int(std::string_view key, int64_t *out) const {
    const GgufKV *kv = nullptr;
    LOOM_TRY(find_or_fail(*this, key, &kv));
    if (!is_integer(kv->type)) return gguf_type_mismatch(*kv, "an integer");
    if (is_unsigned(kv->type) && kv->u64 > uint64_t(INT64_MAX))
        return error(LOOM_ERR_TYPE_MISMATCH, "metadata key '%s': value %llu does not fit in int64", kv->key.c_str(),
                     static_cast<unsigned long long>(kv->u64));
    *out = kv->i64;
    return Status::ok();
}

Status GgufFile::get_u32(std::string_view key, uint32_t *out) const {
    const GgufKV *kv = nullptr;
    LOOM_TRY(find_or_fail(*this, key, &kv));
    if (!is_integer(kv->type)) return gguf_type_mismatch(*kv, "an integer");
    bool negative = !is_unsigned(kv->type) && kv->i64 < 0;
    if (negative || kv->u64 > UINT32_MAX)
        return error(LOOM_ERR_TYPE_MISMATCH, "metadata key '%s': value %s does not fit in u32", kv->key.c_str(),
                     negative ? std::to_string(kv->i64).c_str() : std::to_string(kv->u64).c_str());
    *out = static_cast<uint32_t>(kv->u64);
    return Status::ok();
}

Status GgufFile::get_float(std::string_view key, float *out) const {
    const GgufKV *kv = nullptr;
    LOOM_TRY(find_or_fail(*this, key, &kv));
    if (kv->type != GgufValueType::F32 && kv->type != GgufValueType::F64)
        return gguf_type_mismatch(*kv, "f32 or f64");
    *out = static_cast<float>(kv->f64);
    return Status::ok();
}

Status GgufFile::get_bool(std::string_view key, bool *out) const {
    const GgufKV *kv = nullptr;
    LOOM_TRY(find_or_fail(*this, key, &kv));
    if (kv->type != GgufValueType::Bool) return gguf_type_mismatch(*kv, "bool");
    *out = kv->u64 != 0;
    return Status::ok();
}

Status GgufFile::get_string_array(std::string_view key, const std::vector<std::string> **out) const {
    const GgufKV *kv = nullptr;
    LOOM_TRY(find_or_fail(*this, key, &kv));
    if (kv->type != GgufValueType::Array || kv->array_type != GgufValueType::String)
        return gguf_type_mismatch(*kv, "an array of strings");
    *out = &kv->array_strings;
    return Status::ok();
}

Status GgufFile::get_int_array(std::string_view key, std::vector<int64_t> *out) const {
    const GgufKV *kv = nullptr;
    LOOM_TRY(find_or_fail(*this, key, &kv));
    if (kv->type != GgufValueType::Array || !is_integer(kv->array_type))
        return gguf_type_mismatch(*kv, "an array of integers");
    std::vector<int64_t> values(static_cast<size_t>(kv->array_count));
    for (size_t i = 0; i < values.size(); ++i)
        if (!array_int(*kv, i, &values[i]))
            return error(LOOM_ERR_TYPE_MISMATCH, "metadata key '%s': element %zu does not fit in int64",
                         kv->key.c_str(), i);
    *out = std::move(values);
    return Status::ok();
}

} // namespace loom
