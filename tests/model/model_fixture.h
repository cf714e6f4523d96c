// Shared helpers of the model/context unit tests: a tiny model loaded from
// in-memory GGUF bytes, and decoding helpers over the C API.
#pragma once

#include "tiny_model.h"

#include "loom.h"

#include <memory>
#include <string>
#include <vector>

namespace fixture {

struct Model {
    std::vector<uint8_t> bytes;   // borrowed by the model: must outlive it
    loom_model *m = nullptr;
    Model() = default;
    Model(const Model &) = delete;
    ~Model() { loom_model_free(m); }
    int32_t n_vocab() const { return loom_model_n_vocab(m); }
};

// Builds and loads; m stays NULL (and *status says why) on failure.
std::unique_ptr<Model> load(const tinymodel::Spec &spec, loom_status *status = nullptr);

struct Context {
    loom_context *c = nullptr;
    loom_batch *b = nullptr;
    ~Context() {
        loom_batch_free(b);
        loom_context_free(c);
    }
};

// A context with `precision` (the tests here compare with exact math, so
// LOOM_MATMUL_EXACT unless a test asks for the default fast path).
std::unique_ptr<Context> context(const Model &m, uint32_t n_ctx = 64, uint32_t n_seq = 1, int32_t kv_type = LOOM_TYPE_F32,
                                 int32_t n_threads = 2, int32_t precision = LOOM_MATMUL_EXACT);

// Decodes tokens at positions start.. of `seq` in one batch, logits for every
// entry; returns them [n][n_vocab] (empty on failure).
std::vector<float> decode(Context &c, const Model &m, const std::vector<int32_t> &tokens, int32_t start = 0,
                          int32_t seq = 0, loom_status *status = nullptr);

// The exact reference logits for tokens at positions 0.. (tests/model/reference_forward).
std::vector<float> reference(const Model &m, const std::vector<int32_t> &tokens);

// Deterministic pseudo-random token ids in [0, n_vocab).
std::vector<int32_t> tokens(size_t n, int32_t n_vocab, uint32_t seed = 7);

} // namespace fixture
