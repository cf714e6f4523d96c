// Memory plans (loom_memory_plan): what a model load or a context will take,
// per kind, from the file's tensor table, the hyper-parameters and the
// backend's cost model (BackendCost), without allocating; and the checks
// against a memory_budget and against what the machine can give.
//
// Owner: lib/context.
#pragma once

#include "common/status.h"
#include "loom.h"

#include <cstdint>

namespace loom {

class GgufFile;
class Model;
class BackendCost;
class Backend;

// Where a model's file bytes live: a mapping, a heap copy of the whole file
// (use_mmap = 0), or the caller's buffer (loom_model_load_from_memory).
enum class WeightSource { Mapped, Heap, Borrowed };

// Whether a CPU backend that repacks also copies its other matrix weights
// (create_cpu_backend's copy_weights): only out of a file mapping, whose
// 4 KiB pages stream slower than the copies' huge pages; a heap copy of the
// file or the caller's buffer is read in place.
bool copies_plain_weights(WeightSource src);

// The backend kind a model's backend is (VULKAN for a split one).
int32_t backend_kind_of(const Backend &b);

// The weights_* fields and sums of loading `g` on `backend_kind`
// (LOOM_BACKEND_CPU or LOOM_BACKEND_VULKAN); split_layer >= 0 (Vulkan only):
// layers from it on on the device, the rest on the CPU (Backend::split_layer);
// repack: the CPU backend's repack_weights (copy_weights as
// copies_plain_weights(src)). Errors: FORMAT, UNSUPPORTED.
Status plan_model_memory(const GgufFile &g, int32_t backend_kind, int split_layer, WeightSource src, bool repack,
                         loom_memory_plan *out);

// The plan of the load loom makes, and whether the CPU backend repacks
// (and, out of a mapping, copies its other matrices: copies_plain_weights):
// it does unless those copies would push the host bytes past
// `host_limit` (host_memory_limit(); 0: none) while reading the weights in
// place would not. A model larger than RAM then loads from its mapping
// (pages the kernel may evict) instead of failing. Only a whole-CPU load
// chooses; a Vulkan or split one always repacks its CPU part. Errors: as
// plan_model_memory.
Status plan_model_load(const GgufFile &g, int32_t backend_kind, int split_layer, WeightSource src, uint64_t host_limit,
                       bool *repack, loom_memory_plan *out);

// The context fields and sums of a context over `m` with resolved params,
// its mask at [mask_rows][mask_cols] and logit_rows logits rows (the worst
// case: n_batch, n_ctx, n_batch).
Status plan_context_memory(const Model &m, const loom_context_params &p, int64_t mask_rows, int64_t mask_cols,
                           int64_t logit_rows, loom_memory_plan *out);

// OUT_OF_MEMORY naming the numbers when plan.total exceeds `budget` (0: no
// budget) or its host bytes exceed what the machine can give. `what`: "the
// model", "the context".
Status check_memory_plan(const loom_memory_plan &plan, uint64_t budget, const char *what);

// Copies a plan into a caller's struct of plan->struct_size bytes (whole
// fields; the rest zeroed). Errors: INVALID_ARGUMENT (bad struct_size).
Status write_memory_plan(const loom_memory_plan &plan, loom_memory_plan *caller);

} // namespace loom
