// GGUF encoding (gguf_writer.h): little-endian fields, u64-length strings.
#include "gguf/gguf_writer.h"

#include <cstring>

namespace loom {
namespace {

class Encoder {
public:
    explicit Encoder(std::vector<uint8_t> *out) : out_(out) {}
    template <typename T>
    void put(T x) {
        uint8_t b[sizeof(T)];
        std::memcpy(b, &x, sizeof(T)); // little-endian host (as the reader)
        out_->insert(out_->end(), b, b + sizeof(T));
    }
    void put_string(const std::string &s) {
        put<uint64_t>(s.size());
        out_->insert(out_->end(), s.begin(), s.end());
    }
    void put_bytes(const std::vector<uint8_t> &b) { out_->insert(out_->end(), b.begin(), b.end()); }
    void pad(size_t alignment) { out_->resize(gguf_pad(out_->size(), alignment), 0); }

private:
    std::vector<uint8_t> *out_;
};

void put_scalar(Encoder &e, const GgufKV &kv) {
    switch (kv.type) {
    case GgufValueType::F32: e.put<float>(static_cast<float>(kv.f64)); break;
    case GgufValueType::F64: e.put<double>(kv.f64); break;
    default: {
        uint64_t raw = kv.u64; // the low bytes hold the value at its width
        uint8_t b[8];
        std::memcpy(b, &raw, 8);
        for (size_t i = 0; i < gguf_value_type_size(kv.type); ++i) e.put<uint8_t>(b[i]);
    }
    }
}

Status put_value(Encoder &e, const GgufKV &kv) {
    e.put<uint32_t>(static_cast<uint32_t>(kv.type));
    if (kv.type == GgufValueType::String) {
        e.put_string(kv.str);
    } else if (kv.type == GgufValueType::Array) {
        e.put<uint32_t>(static_cast<uint32_t>(kv.array_type));
        e.put<uint64_t>(kv.array_count);
        if (kv.array_type == GgufValueType::String) {
            if (kv.array_strings.size() != kv.array_count)
                return error(LOOM_ERR_INTERNAL, "key '%s': %zu strings for a count of %llu", kv.key.c_str(),
                             kv.array_strings.size(), static_cast<unsigned long long>(kv.array_count));
            for (const std::string &s : kv.array_strings) e.put_string(s);
        } else {
            if (kv.array_raw.size() != kv.array_count * gguf_value_type_size(kv.array_type))
                return error(LOOM_ERR_INTERNAL, "key '%s': %zu array bytes for %llu elements", kv.key.c_str(),
                             kv.array_raw.size(), static_cast<unsigned long long>(kv.array_count));
            e.put_bytes(kv.array_raw);
        }
    } else if (gguf_value_type_size(kv.type) != 0) {
        put_scalar(e, kv);
    } else {
        return error(LOOM_ERR_INTERNAL, "key '%s': value type %u cannot be written", kv.key.c_str(),
                     static_cast<unsigned>(kv.type));
    }
    return Status::ok();
}

} // namespace

Status gguf_encode_meta(const std::vector<GgufKV> &kvs, const std::vector<GgufTensor> &tensors, size_t alignment,
                        std::vector<uint8_t> *out) {
    out->clear();
    Encoder e(out);
    e.put<uint32_t>(0x46554747u); // "GGUF"
    e.put<uint32_t>(3);
    e.put<uint64_t>(tensors.size());
    e.put<uint64_t>(kvs.size());
    for (const GgufKV &kv : kvs) {
        e.put_string(kv.key);
        LOOM_TRY(put_value(e, kv));
    }
    for (const GgufTensor &t : tensors) {
        e.put_string(t.name);
        e.put<uint32_t>(t.n_dims);
        for (uint32_t d = 0; d < t.n_dims; ++d) e.put<int64_t>(t.ne[d]);
        e.put<uint32_t>(static_cast<uint32_t>(t.type));
        e.put<uint64_t>(t.offset);
    }
    e.pad(alignment);
    return Status::ok();
}

} // namespace loom
