// Partial offload: one model over two backends. The layers from
// `split_layer` on run on the device backend (Vulkan), the layers before it
// and the ends (token embeddings, output norm and matrix) on the host backend
// (the CPU). Weights and KV caches live only where their part runs; the
// activations and graph inputs (kPartShared) have a copy on each side.
//
// A split session records a graph as a list of ops, each given to the side
// its weight or KV cache lives on (ops without one stay on the side of the op
// before). Where an op reads an activation whose current copy is on the other
// side, a crossing is recorded before it: the rows its last writer wrote are
// downloaded from one side and uploaded to the other. compute() then runs the
// list as segments, one sub-graph per run of ops on one side, with the
// crossings between them. For a qwen2 forward pass with layers split at L:
//   host: get_rows(token_embd), layers 0..L-1
//   cross x (n_tokens rows of n_embd floats)
//   device: layers L..n_layer-1, get_rows(out_ids)
//   cross xn (n_out rows)
//   host: output norm, output matrix -> logits
// The sides' own kernels run unchanged; nothing here names a concrete backend.
//
// Owner: backends/split.
#pragma once

#include "backends/backend.h"

#include <memory>

namespace loom {

// A backend running layers [0, split_layer) and the ends on `host` and layers
// [split_layer, n_layer) on `device`. `name` must be static storage ("vulkan+cpu").
// Errors: INVALID_ARGUMENT (missing backend, split_layer < 0).
Status create_split_backend(std::unique_ptr<Backend> host, std::unique_ptr<Backend> device, int split_layer,
                            const char *name, std::unique_ptr<Backend> *out);

namespace split {

constexpr int kHost = 0, kDevice = 1;

// A tensor of a split backend or session: its storage on one side (a weight,
// a KV cache) or on both (an activation; `valid` says which copies are current).
struct SplitTensor final : Tensor {
    Tensor *sub[2] = {nullptr, nullptr};   // [kHost], [kDevice]
    int home = -1;                         // the side a placed tensor lives on; -1: on both
    // Recording state of a tensor on both sides: the sides whose copy will
    // be current when the graph recorded so far has run (bit 1 << side), and
    // the leading rows its last writer wrote (what a crossing copies).
    mutable unsigned valid = 3;
    mutable int64_t valid_rows = 0;
};

// The side part `part` runs on with layers split at `split_layer`.
inline int side_of(int part, int split_layer) { return part >= split_layer ? kDevice : kHost; }

std::unique_ptr<Session> make_session(std::unique_ptr<Session> host, std::unique_ptr<Session> device, int split_layer);

} // namespace split

} // namespace loom
