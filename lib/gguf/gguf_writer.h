// GGUF writer: encodes a header (magic, version 3, counts), key/value pairs
// and a tensor table, padded to the data section's alignment. The tensor data
// itself is streamed by the caller (each tensor at its offset, padded).
//
// Owner: lib/gguf. Written from the GGUF format definition; the reader
// (gguf.h) reads back what this writes (tests/gguf).
#pragma once

#include "gguf/gguf.h"

#include <cstdint>
#include <vector>

namespace loom {

// The bytes before the data section: header, `kvs` in order, then one record
// per tensor (name, dims, ne, type, offset as given), zero-padded to a
// multiple of `alignment` (a power of two). A tensor's n_dims is written as
// given. Scalars are written at their declared width from the widened fields.
Status gguf_encode_meta(const std::vector<GgufKV> &kvs, const std::vector<GgufTensor> &tensors, size_t alignment,
                        std::vector<uint8_t> *out);

// Bytes of `n` rounded up to `alignment` (a power of two).
inline uint64_t gguf_pad(uint64_t n, size_t alignment) { return (n + alignment - 1) & ~uint64_t(alignment - 1); }

} // namespace loom
