// The published Qwen2 dense shapes (config.json of Qwen/Qwen2-7B and
// Qwen/Qwen2-72B) as GGUF files: the real tensor table in mkgguf.py's order,
// llama-quantize's per-tensor types for a file type (lib/quantize's mix),
// and a data section that is either a hole (ftruncate: no disk blocks, reads
// give zeros) or valid blocks of seeded random rows, quantized once per type
// and repeated (the bytes a decode reads, at the speed a real file gives).
// Used by tests/model/test_published_shapes.cpp and tests/bench/large_model_bench.cpp.
#pragma once

#include "common/status.h"

#include <cstdint>
#include <string>

namespace shapes {

struct Published {
    const char *name;
    int64_t embd, layers, heads, heads_kv, ff, vocab;
    double params_billion;   // the model card's count, to its 0.01 B
};

constexpr Published kQwen2_7B{"qwen2-7b", 3584, 28, 28, 4, 18944, 152064, 7.62};
constexpr Published kQwen2_72B{"qwen2-72b", 8192, 80, 64, 8, 29568, 152064, 72.71};

// nullptr for a name not above.
const Published *find_published(const std::string &name);

enum class Fill { Hole, RandomBlocks };

// Writes `p` in llama file type `ftype` (15: Q4_K_M, 2: Q4_0, ...) to `path`;
// *data_bytes: the data section's size. Errors: IO, UNSUPPORTED (a file type
// or tensor type loom cannot write).
loom::Status write_published_model(const std::string &path, const Published &p, int32_t ftype, Fill fill,
                                   uint64_t *data_bytes);

} // namespace shapes
