// GGUF reader: a validated, read-only view of a GGUF v2/v3 file, mapped
// (mmap) or held in memory. Every file is hostile until checked: open_*
// validates the whole header, metadata and tensor table before returning, so
// a GgufFile that exists is consistent (offsets in bounds, sizes without
// overflow, no duplicate names, known types, 1..4 dims).
//
// Owner: lib/gguf. Implemented in gguf_reader.cpp (+ cursor, mapping files).
#pragma once

#include "common/status.h"
#include "loom.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

enum class GgufValueType : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
    String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};

struct GgufKV {
    std::string key;
    GgufValueType type = GgufValueType::U8;
    // Scalars: the value widened (integers and bool in i64/u64, floats in f64).
    int64_t i64 = 0;
    uint64_t u64 = 0;
    double f64 = 0.0;
    std::string str;                  // type == String
    GgufValueType array_type = GgufValueType::U8; // type == Array
    uint64_t array_count = 0;
    std::vector<uint8_t> array_raw;   // numeric arrays: little-endian elements as in the file
    std::vector<std::string> array_strings; // string arrays
};

struct GgufTensor {
    std::string name;
    loom_type type = LOOM_TYPE_F32;
    uint32_t n_dims = 0;
    int64_t ne[4] = {1, 1, 1, 1};     // ne[0] is the contiguous (row) dimension
    uint64_t offset = 0;              // from the start of the data section
    size_t nbytes = 0;
    const uint8_t *data = nullptr;    // zero-copy: points into the mapping or buffer
    int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

struct GgufOpenOptions {
    bool use_mmap = true;             // false: read the file into memory
    // Called with (bytes done, bytes total); return false to cancel (LOOM_ERR_CANCELLED).
    std::function<bool(uint64_t, uint64_t)> progress;
};

class GgufFile {
public:
    static Status open_file(const std::string &path, const GgufOpenOptions &opts, std::unique_ptr<GgufFile> *out);
    // copy == false: `data` is borrowed and must outlive the GgufFile.
    static Status open_memory(const void *data, size_t size, bool copy, std::unique_ptr<GgufFile> *out);
    ~GgufFile();

    uint32_t version() const;
    size_t alignment() const;
    const uint8_t *bytes() const;   // the whole file
    size_t size() const;

    const std::vector<GgufKV> &kvs() const;
    const GgufKV *find_kv(std::string_view key) const;

    // Typed getters: LOOM_ERR_NOT_FOUND if absent, LOOM_ERR_TYPE_MISMATCH if
    // the stored type differs (get_int accepts any integer type whose value
    // fits; get_float accepts F32 or F64).
    Status get_string(std::string_view key, std::string *out) const;
    Status get_int(std::string_view key, int64_t *out) const;
    Status get_u32(std::string_view key, uint32_t *out) const;
    Status get_float(std::string_view key, float *out) const;
    Status get_bool(std::string_view key, bool *out) const;
    Status get_string_array(std::string_view key, const std::vector<std::string> **out) const;
    Status get_int_array(std::string_view key, std::vector<int64_t> *out) const;

    const std::vector<GgufTensor> &tensors() const;
    const GgufTensor *find_tensor(std::string_view name) const;

    struct Impl;
private:
    explicit GgufFile(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace loom
