// Small synthetic Qwen2 model files for the quantization tests, written with
// the test-side GGUF builder: seeded random weights in the published tensor
// names and metadata, no vocabulary (llama-quantize reads only the
// hyperparameters), so they cost a few MB instead of mkgguf.py's 150k-token
// embedding table.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace gguf_test {
struct GgufBuilder;
}

namespace quant_test {

struct ModelSpec {
    const char *name;
    int64_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab;
    bool tied;        // no output.weight
    bool f16;         // 2-D weights stored F16 (else F32)
    int64_t n_expert = 0;  // > 0: qwen2moe, n_expert routed experts of n_ff_exp plus a shared one of n_ff
    int64_t n_ff_exp = 0;
};

// Writes the model to `path`; false on a write error. `extra` may add keys.
bool write_model(const ModelSpec &spec, const std::string &path, uint32_t seed,
                 const std::function<void(gguf_test::GgufBuilder &)> &extra = {});

} // namespace quant_test
