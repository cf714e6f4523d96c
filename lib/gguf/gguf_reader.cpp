// GGUF v2/v3 reader: header (magic, version, counts), key/value pairs, tensor
// table, data section. Validates everything before a GgufFile exists.
#include "gguf/gguf_impl.h"

#include <algorithm>

namespace loom {

namespace {

constexpr uint32_t kMinVersion = 2, kMaxVersion = 3;
// Least bytes a record can take, to bound counts by what the file could hold:
// a key of 1 byte (8 + 1), a value type (4), a 1-byte value.
constexpr size_t kMinKVBytes = 8 + 1 + 4 + 1;
// A name of 1 byte (8 + 1), n_dims (4), one extent (8), type (4), offset (8).
constexpr size_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

uint32_t byteswap32(uint32_t v) { return __builtin_bswap32(v); }

Status check_version(uint32_t version) {
    if (version >= kMinVersion && version <= kMaxVersion) return Status::ok();
    if (version == 1)
        return error(LOOM_ERR_FORMAT, "GGUF version 1 (offset 4) is not supported: only versions 2 and 3 are; "
                                      "convert the file again with a current llama.cpp");
    uint32_t swapped = byteswap32(version);
    if (swapped >= 1 && swapped <= kMaxVersion)
        return error(LOOM_ERR_FORMAT, "big-endian GGUF file (version field at offset 4 reads %u byte-swapped): "
                                      "only little-endian files are supported", swapped);
    return error(LOOM_ERR_FORMAT, "unsupported GGUF version %u at offset 4 (supported: 2 and 3)", version);
}

// Reads a u64 count and bounds it by the absolute cap.
Status read_count(GgufCursor &c, const char *what, uint64_t cap, uint64_t *out) {
    size_t at = c.offset();
    LOOM_TRY(c.read(out, what));
    if (*out > cap)
        return error(LOOM_ERR_FORMAT, "%s %llu at offset %zu exceeds the limit of %llu", what,
                     static_cast<unsigned long long>(*out), at, static_cast<unsigned long long>(cap));
    return Status::ok();
}

Status check_fits(uint64_t n, size_t remaining, size_t min_record, const char *what, size_t at) {
    if (n > remaining / min_record)
        return error(LOOM_ERR_FORMAT, "%s %llu at offset %zu is impossible: %zu bytes left hold at most %zu records",
                     what, static_cast<unsigned long long>(n), at, remaining, remaining / min_record);
    return Status::ok();
}

struct Header {
    uint32_t version = 0;
    uint64_t n_tensors = 0;
    uint64_t n_kv = 0;
};

Status read_header(GgufCursor &c, Header *h) {
    const uint8_t *magic = nullptr;
    LOOM_TRY(c.take(4, &magic, "the magic"));
    if (std::memcmp(magic, "GGUF", 4) != 0)
        return error(LOOM_ERR_FORMAT, "not a GGUF file: magic at offset 0 is %02x %02x %02x %02x, expected \"GGUF\"",
                     magic[0], magic[1], magic[2], magic[3]);
    LOOM_TRY(c.read(&h->version, "the version"));
    LOOM_TRY(check_version(h->version));
    size_t counts_at = c.offset();
    LOOM_TRY(read_count(c, "tensor count", GgufLimits::kMaxTensors, &h->n_tensors));
    LOOM_TRY(read_count(c, "metadata key count", GgufLimits::kMaxKVs, &h->n_kv));
    // Both record kinds share the bytes that are left.
    LOOM_TRY(check_fits(h->n_kv, c.remaining(), kMinKVBytes, "metadata key count", counts_at + 8));
    LOOM_TRY(check_fits(h->n_tensors, c.remaining(), kMinTensorInfoBytes, "tensor count", counts_at));
    if (h->n_kv * kMinKVBytes + h->n_tensors * kMinTensorInfoBytes > c.remaining()) // no overflow: each term <= remaining
        return error(LOOM_ERR_FORMAT, "%llu keys and %llu tensors (counts at offset %zu) cannot fit in the %zu bytes left",
                     static_cast<unsigned long long>(h->n_kv), static_cast<unsigned long long>(h->n_tensors), counts_at,
                     c.remaining());
    return Status::ok();
}

// Records are appended as they parse (a reserve capped at kReserveCap), so
// memory follows the bytes actually present, not the count the header claims.
constexpr size_t kReserveCap = 4096;

Status read_kvs(GgufCursor &c, uint64_t n, GgufFile::Impl *impl) {
    std::vector<size_t> record_at;
    impl->kvs.reserve(static_cast<size_t>(std::min<uint64_t>(n, kReserveCap)));
    for (uint64_t i = 0; i < n; ++i) {
        record_at.push_back(c.offset());
        impl->kvs.emplace_back();
        LOOM_TRY(gguf_read_kv(c, &impl->kvs.back()));
    }
    for (size_t i = 0; i < impl->kvs.size(); ++i)
        if (!impl->kv_index.emplace(impl->kvs[i].key, i).second)
            return error(LOOM_ERR_FORMAT, "duplicate metadata key '%s' at offset %zu", impl->kvs[i].key.c_str(),
                         record_at[i]);
    return Status::ok();
}

Status read_tensors(GgufCursor &c, uint64_t n, GgufFile::Impl *impl, std::vector<size_t> *record_at) {
    impl->tensors.reserve(static_cast<size_t>(std::min<uint64_t>(n, kReserveCap)));
    for (uint64_t i = 0; i < n; ++i) {
        record_at->push_back(c.offset());
        impl->tensors.emplace_back();
        LOOM_TRY(gguf_read_tensor_info(c, &impl->tensors.back()));
    }
    for (size_t i = 0; i < impl->tensors.size(); ++i)
        if (!impl->tensor_index.emplace(impl->tensors[i].name, i).second)
            return error(LOOM_ERR_FORMAT, "duplicate tensor name '%s' (record at offset %zu)",
                         impl->tensors[i].name.c_str(), (*record_at)[i]);
    return Status::ok();
}

// The data section starts at the first multiple of the alignment after the tensor table.
Status data_section_offset(size_t table_end, size_t alignment, size_t *out) {
    size_t up = 0;
    if (__builtin_add_overflow(table_end, alignment - 1, &up))
        return error(LOOM_ERR_FORMAT, "data section offset overflows");
    *out = up / alignment * alignment;
    return Status::ok();
}

Status parse(GgufFile::Impl *impl) {
    const uint8_t *bytes = impl->storage->data();
    size_t size = impl->storage->size();
    GgufCursor c(bytes, size);
    Header h;
    LOOM_TRY(read_header(c, &h));
    impl->version = h.version;
    LOOM_TRY(read_kvs(c, h.n_kv, impl));
    LOOM_TRY(gguf_read_alignment(impl->kvs, &impl->alignment));
    std::vector<size_t> record_at;
    LOOM_TRY(read_tensors(c, h.n_tensors, impl, &record_at));
    LOOM_TRY(data_section_offset(c.offset(), impl->alignment, &impl->data_offset));
    return gguf_place_tensors(impl->tensors, record_at, bytes, size, impl->data_offset, impl->alignment);
}

} // namespace

GgufFile::GgufFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GgufFile::~GgufFile() = default;

// Parses `storage`; errors are prefixed with `source` (the path, or "GGUF buffer").
static Status parse_storage(std::unique_ptr<GgufStorage> storage, const std::string &source,
                            std::unique_ptr<GgufFile::Impl> *out) {
    std::unique_ptr<GgufFile::Impl> impl(new GgufFile::Impl());
    impl->storage = std::move(storage);
    Status s = parse(impl.get());
    if (!s.is_ok()) return Status(s.code(), source + ": " + s.message());
    *out = std::move(impl);
    return Status::ok();
}

Status GgufFile::open_file(const std::string &path, const GgufOpenOptions &opts, std::unique_ptr<GgufFile> *out) {
    std::unique_ptr<GgufStorage> storage;
    LOOM_TRY(GgufStorage::from_file(path, opts.use_mmap, opts.progress, &storage));
    std::unique_ptr<Impl> impl;
    LOOM_TRY(parse_storage(std::move(storage), "'" + path + "'", &impl));
    out->reset(new GgufFile(std::move(impl)));
    return Status::ok();
}

Status GgufFile::open_memory(const void *data, size_t size, bool copy, std::unique_ptr<GgufFile> *out) {
    if (!data && size) return error(LOOM_ERR_INVALID_ARGUMENT, "GGUF buffer is NULL but its size is %zu", size);
    std::unique_ptr<GgufStorage> storage;
    LOOM_TRY(GgufStorage::from_memory(data, size, copy, &storage));
    std::unique_ptr<Impl> impl;
    LOOM_TRY(parse_storage(std::move(storage), "GGUF buffer", &impl));
    out->reset(new GgufFile(std::move(impl)));
    return Status::ok();
}

} // namespace loom
