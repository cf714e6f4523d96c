// Six sequences decoded together in shared batches, the way `loom serve`'s
// scheduler batches them (prompt chunks of some next to single decode tokens
// of others), with a prefix shared through loom_kv_seq_copy, a hole made by
// loom_kv_seq_remove and a sequence that outgrows its region of the cache;
// then each sequence decoded alone in a fresh context, the same prompt
// chunk then single steps. Over the C API only, on any backend.
#pragma once

#include "loom.h"

#include <string>
#include <vector>

namespace interleaved {

// One output row: the sequence, the position, and its logits batched and alone.
struct RowPair {
    int32_t seq, pos;
    std::vector<float> batched, alone;
};

// Empty and *error set on a failed call.
std::vector<RowPair> run(const loom_model *m, int32_t kv_type, std::string *error);

} // namespace interleaved
