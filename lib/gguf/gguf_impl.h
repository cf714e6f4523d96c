// Private to lib/gguf: the parsed state behind a GgufFile and the parse steps
// the reader strings together.
#pragma once

#include "gguf/gguf.h"
#include "gguf/gguf_cursor.h"
#include "gguf/gguf_storage.h"

#include <string_view>
#include <unordered_map>

namespace loom {

struct GgufFile::Impl {
    std::unique_ptr<GgufStorage> storage;
    uint32_t version = 0;
    size_t alignment = GgufLimits::kDefaultAlignment;
    size_t data_offset = 0;
    std::vector<GgufKV> kvs;
    std::vector<GgufTensor> tensors;
    // Views into kvs[i].key / tensors[i].name: built once both vectors are final.
    std::unordered_map<std::string_view, size_t> kv_index;
    std::unordered_map<std::string_view, size_t> tensor_index;
};

// Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF) and no NUL byte.
bool gguf_valid_name(std::string_view s);

// One key/value pair at the cursor (gguf_metadata.cpp).
Status gguf_read_kv(GgufCursor &c, GgufKV *out);

// general.alignment, checked (kDefaultAlignment when absent) (gguf_metadata.cpp).
Status gguf_read_alignment(const std::vector<GgufKV> &kvs, size_t *alignment);

// One tensor-info record at the cursor: name, shape, type, offset, byte
// size; data is left null (gguf_tensors.cpp).
Status gguf_read_tensor_info(GgufCursor &c, GgufTensor *out);

// Checks every tensor's offset (aligned, inside the data section, no overlap)
// and sets its data pointer. record_at[i]: file offset of tensor i's record.
Status gguf_place_tensors(std::vector<GgufTensor> &tensors, const std::vector<size_t> &record_at,
                          const uint8_t *file, size_t file_size, size_t data_offset, size_t alignment);

} // namespace loom
