// A test-side GGUF writer: builds valid files in memory, and, through its
// overrides and the byte positions it reports, deliberately broken ones.
// Written from the GGUF format definition (header, key/values, tensor infos,
// aligned data section), independently of lib/gguf.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace gguf_test {

enum : uint32_t {
    kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
    kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

class Bytes {
public:
    std::vector<uint8_t> v;
    template <typename T>
    void put(T x) {
        uint8_t b[sizeof(T)];
        std::memcpy(b, &x, sizeof(T)); // little-endian host
        v.insert(v.end(), b, b + sizeof(T));
    }
    void put_string(const std::string &s) {
        put<uint64_t>(s.size());
        v.insert(v.end(), s.begin(), s.end());
    }
    void append(const std::vector<uint8_t> &b) { v.insert(v.end(), b.begin(), b.end()); }
};

// Where things landed in a built file (byte offsets from the start).
struct Layout {
    size_t version_at = 4, n_tensors_at = 8, n_kv_at = 16;
    std::vector<size_t> kv_at;           // each key's length field
    std::vector<size_t> kv_type_at;      // each value-type field
    std::vector<size_t> tensor_at;       // each tensor name's length field
    std::vector<size_t> tensor_ndims_at;
    std::vector<size_t> tensor_ne_at;    // ne[0] of each tensor
    std::vector<size_t> tensor_type_at;
    std::vector<size_t> tensor_offset_at;
    size_t data_offset = 0;
};

struct GgufBuilder {
    struct KV {
        std::string key;
        uint32_t type;
        std::vector<uint8_t> value; // encoded value bytes (after the type field)
    };
    struct Tensor {
        std::string name;
        std::vector<uint64_t> ne;
        uint32_t type;
        std::vector<uint8_t> data;
        std::optional<uint32_t> n_dims;   // default ne.size()
        std::optional<uint64_t> offset;   // default: next aligned offset
    };

    uint32_t version = 3;
    std::string magic = "GGUF";
    size_t alignment = 32; // padding used when writing (general.alignment is a separate KV)
    std::optional<uint64_t> n_tensors_override, n_kv_override;
    bool pad_when_no_tensors = true;
    std::vector<KV> kvs;
    std::vector<Tensor> tensors;

    template <typename T>
    GgufBuilder &scalar(const std::string &key, uint32_t type, T x) {
        Bytes b;
        b.put<T>(x);
        kvs.push_back({key, type, b.v});
        return *this;
    }
    GgufBuilder &string(const std::string &key, const std::string &s) {
        Bytes b;
        b.put_string(s);
        kvs.push_back({key, kString, b.v});
        return *this;
    }
    template <typename T>
    GgufBuilder &array(const std::string &key, uint32_t elem_type, const std::vector<T> &xs) {
        Bytes b;
        b.put<uint32_t>(elem_type);
        b.put<uint64_t>(xs.size());
        for (T x : xs) b.put<T>(x);
        kvs.push_back({key, kArray, b.v});
        return *this;
    }
    GgufBuilder &string_array(const std::string &key, const std::vector<std::string> &xs) {
        Bytes b;
        b.put<uint32_t>(kString);
        b.put<uint64_t>(xs.size());
        for (const auto &x : xs) b.put_string(x);
        kvs.push_back({key, kArray, b.v});
        return *this;
    }
    GgufBuilder &raw(const std::string &key, uint32_t type, const std::vector<uint8_t> &value) {
        kvs.push_back({key, type, value});
        return *this;
    }
    GgufBuilder &tensor(const std::string &name, std::vector<uint64_t> ne, uint32_t type, std::vector<uint8_t> data) {
        tensors.push_back({name, std::move(ne), type, std::move(data), {}, {}});
        return *this;
    }
    // An F32 tensor holding `values` (ne = {values.size()} unless given).
    GgufBuilder &f32(const std::string &name, const std::vector<float> &values, std::vector<uint64_t> ne = {}) {
        std::vector<uint8_t> d(values.size() * 4);
        if (!values.empty()) std::memcpy(d.data(), values.data(), d.size());
        if (ne.empty()) ne = {values.size()};
        return tensor(name, std::move(ne), 0, std::move(d));
    }

    std::vector<uint8_t> build(Layout *layout = nullptr) const {
        Layout lay;
        Bytes b;
        b.v.insert(b.v.end(), magic.begin(), magic.end());
        b.put<uint32_t>(version);
        b.put<uint64_t>(n_tensors_override.value_or(tensors.size()));
        b.put<uint64_t>(n_kv_override.value_or(kvs.size()));
        for (const KV &kv : kvs) {
            lay.kv_at.push_back(b.v.size());
            b.put_string(kv.key);
            lay.kv_type_at.push_back(b.v.size());
            b.put<uint32_t>(kv.type);
            b.append(kv.value);
        }
        std::vector<uint64_t> offsets;
        uint64_t next = 0;
        for (const Tensor &t : tensors) {
            offsets.push_back(t.offset.value_or(next));
            next = align(offsets.back() + t.data.size());
        }
        for (size_t i = 0; i < tensors.size(); ++i) {
            const Tensor &t = tensors[i];
            lay.tensor_at.push_back(b.v.size());
            b.put_string(t.name);
            lay.tensor_ndims_at.push_back(b.v.size());
            b.put<uint32_t>(t.n_dims.value_or(static_cast<uint32_t>(t.ne.size())));
            lay.tensor_ne_at.push_back(b.v.size());
            for (uint64_t n : t.ne) b.put<uint64_t>(n);
            lay.tensor_type_at.push_back(b.v.size());
            b.put<uint32_t>(t.type);
            lay.tensor_offset_at.push_back(b.v.size());
            b.put<uint64_t>(offsets[i]);
        }
        if (!tensors.empty() || pad_when_no_tensors) b.v.resize(align(b.v.size()), 0);
        lay.data_offset = b.v.size();
        for (size_t i = 0; i < tensors.size(); ++i) {
            if (offsets[i] > (uint64_t(1) << 20)) continue; // absurd explicit offsets: nothing to write
            if (tensors[i].data.empty()) continue;          // a tensor declared without bytes (no memcpy from NULL)
            size_t at = lay.data_offset + offsets[i];
            if (b.v.size() < at + tensors[i].data.size()) b.v.resize(at + tensors[i].data.size(), 0);
            std::memcpy(b.v.data() + at, tensors[i].data.data(), tensors[i].data.size());
        }
        if (layout) *layout = lay;
        return b.v;
    }

    uint64_t align(uint64_t x) const { return (x + alignment - 1) / alignment * alignment; }
};

template <typename T>
void poke(std::vector<uint8_t> &file, size_t at, T x) {
    std::memcpy(file.data() + at, &x, sizeof(T));
}

} // namespace gguf_test
