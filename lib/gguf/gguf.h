// GGUF reader: a validated, read-only view of a GGUF v2/v3 file, mapped
// (mmap) or held in memory. Every file is hostile until checked: open_*
// validates the whole header, metadata and tensor table before returning, so
// a GgufFile that exists is consistent (offsets in bounds, sizes without
// overflow, no duplicate names, known types, 1..4 dims).
//
// Owner: lib/gguf. Implemented in gguf_reader.cpp (header, orchestration),
// gguf_metadata.cpp (key/value pairs), gguf_tensors.cpp (tensor table and
// layout checks), gguf_file.cpp (lookups and getters), gguf_storage.cpp
// (mmap / read / borrowed bytes), gguf_cursor.h (bounds-carrying reads).
//
// What the reader accepts (everything else is LOOM_ERR_FORMAT with the byte
// offset and the key or tensor name in the message):
// - magic "GGUF", version 2 or 3, little-endian (a byte-swapped version field
//   is reported as a big-endian file; version 1 is reported as too old);
// - keys: 1..65535 bytes of valid UTF-8 without NUL, unique; value types
//   0..12; bools 0 or 1; no arrays of arrays; string values are bytes as
//   stored (not UTF-8-checked: tokenizers judge their own vocabularies);
// - general.alignment, when present: u32, a power of two, 1..GgufLimits::kMaxAlignment;
// - tensors: names of 1..kMaxTensorNameBytes bytes of valid UTF-8 without NUL,
//   unique; 1..4 dims, every ne >= 1 (empty tensors are rejected: nothing in
//   a model uses one) and their product within int64; a type known to
//   lib/quant's type table; ne[0] a multiple of the type's block size (and
//   the row count a multiple of an interleaved type's row group); byte
//   size without overflow; offsets multiples of the alignment, inside the
//   file, not overlapping; the data section starts at the first aligned
//   offset after the tensor table. Bytes after the last tensor are allowed.
// - counts and lengths are bounded by what the remaining bytes could hold
//   and by the absolute caps in GgufLimits, before anything is allocated.
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

// Absolute caps, checked before allocation (each is also bounded by the bytes left in the file).
struct GgufLimits {
    static constexpr uint64_t kMaxKVs = uint64_t(1) << 20;
    static constexpr uint64_t kMaxTensors = uint64_t(1) << 20;
    static constexpr uint64_t kMaxKeyBytes = 65535;              // the GGUF spec's key limit
    static constexpr uint64_t kMaxStringBytes = uint64_t(1) << 28; // one string value
    static constexpr uint64_t kMaxArrayCount = uint64_t(1) << 24;  // elements of one array
    static constexpr uint64_t kMaxTensorNameBytes = 1024;
    static constexpr uint64_t kMaxAlignment = uint64_t(1) << 20;
    static constexpr size_t kDefaultAlignment = 32;              // when general.alignment is absent
};

// "u8", "string", "array", ...; nullptr for numbers that are not a value type.
const char *gguf_value_type_name(GgufValueType type);
// Bytes of one scalar of `type` in the file; 0 for String, Array and unknown types.
size_t gguf_value_type_size(GgufValueType type);

struct GgufKV {
    std::string key;
    GgufValueType type = GgufValueType::U8;
    // Scalars: the value widened (integers and bool in i64/u64, floats in f64).
    // Signed types set i64 and u64 = uint64_t(i64); unsigned types and bool set
    // u64 and i64 = int64_t(u64) (the same bits): read the one matching `type`.
    int64_t i64 = 0;
    uint64_t u64 = 0;
    double f64 = 0.0;
    std::string str;                  // type == String
    GgufValueType array_type = GgufValueType::U8; // type == Array
    uint64_t array_count = 0;
    std::vector<uint8_t> array_raw;   // numeric arrays: little-endian elements as in the file
    std::vector<std::string> array_strings; // string arrays
};

// LOOM_ERR_TYPE_MISMATCH: "metadata key 'k' has type array of u32, not <wanted>".
Status gguf_type_mismatch(const GgufKV &kv, const char *wanted);

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
    // Called with (bytes done, bytes total): after each 16 MiB chunk when
    // reading, once when mapped. Return false to cancel (LOOM_ERR_CANCELLED).
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
    size_t data_offset() const;     // file offset of the (aligned) tensor data section
    bool is_mapped() const;         // true when bytes() is an mmap of the file
    // Tells the OS that the whole pages inside [p, p + n) (bytes of this
    // file) are not needed soon: a mapped file's pages leave the process's
    // resident set and are read again from the file if touched. The bytes
    // keep their values; no-op when the file is not mapped.
    void release_pages(const void *p, size_t n) const;
    // Tells the OS whether the pages around [p, p + n) (bytes of this file)
    // will be read sparsely (random = true: a page fault reads only its
    // page) or as usual (false: the OS reads ahead around a fault). No-op
    // when the file is not mapped.
    void advise_random(const void *p, size_t n, bool random) const;

    const std::vector<GgufKV> &kvs() const;
    const GgufKV *find_kv(std::string_view key) const;

    // Typed getters: LOOM_ERR_NOT_FOUND if absent, LOOM_ERR_TYPE_MISMATCH if
    // the stored type differs (get_int and get_u32 accept any integer type
    // whose value fits, so u32/i32/u64 writers all work; get_float accepts F32
    // or F64; get_int_array any integer element type). Messages name the key.
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
