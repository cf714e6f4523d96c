// GGUF key/value pairs: key string, u32 value type, then the value (a scalar,
// a u64-length string, or an array: u32 element type, u64 count, elements).
#include "gguf/gguf_impl.h"

namespace loom {

namespace {

struct ValueTypeInfo {
    const char *name;
    size_t size; // bytes of one scalar in the file; 0: variable
};

constexpr ValueTypeInfo kValueTypes[] = {
    {"u8", 1}, {"i8", 1}, {"u16", 2}, {"i16", 2}, {"u32", 4}, {"i32", 4}, {"f32", 4},
    {"bool", 1}, {"string", 0}, {"array", 0}, {"u64", 8}, {"i64", 8}, {"f64", 8},
};
constexpr uint32_t kNumValueTypes = sizeof(kValueTypes) / sizeof(kValueTypes[0]);

bool is_signed(GgufValueType t) {
    return t == GgufValueType::I8 || t == GgufValueType::I16 || t == GgufValueType::I32 || t == GgufValueType::I64;
}

// Sign-extends a little-endian integer of `size` bytes.
int64_t sign_extend(uint64_t raw, size_t size) {
    unsigned shift = static_cast<unsigned>(64 - 8 * size);
    return static_cast<int64_t>(raw << shift) >> shift;
}

// Reads one scalar of `type` (not String/Array) into kv's widened fields.
Status read_scalar(GgufCursor &c, GgufValueType type, GgufKV *kv) {
    size_t size = gguf_value_type_size(type);
    size_t at = c.offset();
    const uint8_t *p = nullptr;
    LOOM_TRY(c.take(size, &p, "a metadata value"));
    uint64_t raw = 0;
    std::memcpy(&raw, p, size); // little-endian host: the low bytes
    if (type == GgufValueType::F32) {
        float f;
        std::memcpy(&f, p, 4);
        kv->f64 = f;
    } else if (type == GgufValueType::F64) {
        std::memcpy(&kv->f64, p, 8);
    } else if (is_signed(type)) {
        kv->i64 = sign_extend(raw, size);
        kv->u64 = static_cast<uint64_t>(kv->i64);
    } else {
        if (type == GgufValueType::Bool && raw > 1)
            return error(LOOM_ERR_FORMAT, "key '%s': bool value %llu at offset %zu is neither 0 nor 1",
                         kv->key.c_str(), static_cast<unsigned long long>(raw), at);
        kv->u64 = raw;
        kv->i64 = static_cast<int64_t>(raw);
    }
    return Status::ok();
}

Status read_value_type(GgufCursor &c, const std::string &key, const char *what, GgufValueType *out) {
    size_t at = c.offset();
    uint32_t t = 0;
    LOOM_TRY(c.read(&t, what));
    if (t >= kNumValueTypes)
        return error(LOOM_ERR_FORMAT, "key '%s': unknown %s %u at offset %zu", key.c_str(), what, t, at);
    *out = static_cast<GgufValueType>(t);
    return Status::ok();
}

Status check_bools(const GgufKV &kv, size_t at) {
    for (size_t i = 0; i < kv.array_raw.size(); ++i)
        if (kv.array_raw[i] > 1)
            return error(LOOM_ERR_FORMAT, "key '%s': bool array element %zu at offset %zu is %u, neither 0 nor 1",
                         kv.key.c_str(), i, at + i, kv.array_raw[i]);
    return Status::ok();
}

// Array: element type, count, elements. The count is bounded by the bytes
// left (each element needs at least its scalar size, a string at least its
// 8-byte length) and by kMaxArrayCount before anything is allocated.
Status read_array(GgufCursor &c, GgufKV *kv) {
    size_t at = c.offset();
    LOOM_TRY(read_value_type(c, kv->key, "array element type", &kv->array_type));
    if (kv->array_type == GgufValueType::Array)
        return error(LOOM_ERR_FORMAT, "key '%s': array of arrays at offset %zu (nested arrays are not supported)",
                     kv->key.c_str(), at);
    uint64_t count = 0;
    LOOM_TRY(c.read(&count, "an array count"));
    bool is_string = kv->array_type == GgufValueType::String;
    size_t min_elem = is_string ? sizeof(uint64_t) : gguf_value_type_size(kv->array_type);
    if (count > GgufLimits::kMaxArrayCount || count > c.remaining() / min_elem)
        return error(LOOM_ERR_FORMAT,
                     "key '%s': array count %llu at offset %zu is impossible (%zu bytes left, at least %zu per %s "
                     "element, limit %llu elements)",
                     kv->key.c_str(), static_cast<unsigned long long>(count), at + 4, c.remaining(), min_elem,
                     gguf_value_type_name(kv->array_type), static_cast<unsigned long long>(GgufLimits::kMaxArrayCount));
    kv->array_count = count;
    if (is_string) {
        kv->array_strings.resize(static_cast<size_t>(count));
        for (std::string &s : kv->array_strings)
            LOOM_TRY(c.read_string(&s, GgufLimits::kMaxStringBytes, "a string array element"));
        return Status::ok();
    }
    const uint8_t *p = nullptr;
    size_t data_at = c.offset();
    LOOM_TRY(c.take(static_cast<size_t>(count) * min_elem, &p, "array elements"));
    kv->array_raw.assign(p, p + static_cast<size_t>(count) * min_elem);
    if (kv->array_type == GgufValueType::Bool) LOOM_TRY(check_bools(*kv, data_at));
    return Status::ok();
}

} // namespace

const char *gguf_value_type_name(GgufValueType type) {
    uint32_t t = static_cast<uint32_t>(type);
    return t < kNumValueTypes ? kValueTypes[t].name : nullptr;
}

size_t gguf_value_type_size(GgufValueType type) {
    uint32_t t = static_cast<uint32_t>(type);
    return t < kNumValueTypes ? kValueTypes[t].size : 0;
}

bool gguf_valid_name(std::string_view s) {
    size_t i = 0, n = s.size();
    while (i < n) {
        uint8_t b = static_cast<uint8_t>(s[i]);
        if (b == 0) return false;
        if (b < 0x80) {
            ++i;
            continue;
        }
        size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
        if (len == 0 || b > 0xF4 || n - i < len) return false;
        uint32_t cp = b & (0x7F >> len);
        for (size_t k = 1; k < len; ++k) {
            uint8_t cb = static_cast<uint8_t>(s[i + k]);
            if ((cb & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cb & 0x3F);
        }
        static constexpr uint32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMinForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

Status gguf_read_kv(GgufCursor &c, GgufKV *kv) {
    size_t at = c.offset();
    LOOM_TRY(c.read_string(&kv->key, GgufLimits::kMaxKeyBytes, "a metadata key"));
    if (kv->key.empty()) return error(LOOM_ERR_FORMAT, "empty metadata key at offset %zu", at);
    if (!gguf_valid_name(kv->key))
        return error(LOOM_ERR_FORMAT, "metadata key at offset %zu is not valid UTF-8 (or contains NUL)", at);
    LOOM_TRY(read_value_type(c, kv->key, "value type", &kv->type));
    if (kv->type == GgufValueType::String)
        return c.read_string(&kv->str, GgufLimits::kMaxStringBytes, "a string value");
    if (kv->type == GgufValueType::Array) return read_array(c, kv);
    return read_scalar(c, kv->type, kv);
}

Status gguf_read_alignment(const std::vector<GgufKV> &kvs, size_t *alignment) {
    *alignment = GgufLimits::kDefaultAlignment;
    for (const GgufKV &kv : kvs) {
        if (kv.key != "general.alignment") continue;
        if (kv.type != GgufValueType::U32)
            return error(LOOM_ERR_FORMAT, "general.alignment has type %s; it must be u32",
                         gguf_value_type_name(kv.type));
        uint64_t a = kv.u64;
        if (a == 0 || (a & (a - 1)) != 0 || a > GgufLimits::kMaxAlignment)
            return error(LOOM_ERR_FORMAT, "general.alignment is %llu; it must be a power of two from 1 to %llu",
                         static_cast<unsigned long long>(a), static_cast<unsigned long long>(GgufLimits::kMaxAlignment));
        *alignment = static_cast<size_t>(a);
    }
    return Status::ok();
}

} // namespace loom
