// Tiny qwen2 / llama GGUF files built in memory for the unit tests: seeded
// random weights of a chosen type (quantized with lib/quant), no tokenizer
// (n_vocab comes from token_embd.weight), shapes small enough that a full
// reference forward runs in milliseconds.
#pragma once

#include "loom.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tinymodel {

struct Spec {
    std::string arch = "qwen2";
    int n_embd = 64, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 96, n_vocab = 80, n_ctx_train = 256;
    float rope_base = 10000.0f;
    loom_type weight_type = LOOM_TYPE_F32;  // of the 2-D matrices
    bool tied = true;                       // no output.weight
    uint32_t seed = 1;
    std::string omit_tensor;                // leave this tensor out
    std::string misshape_tensor;            // give this tensor one extra row
    // Metadata added to (or replacing the same key of) the standard set, and
    // extra F32 tensors of n_embd values: hostile-but-parseable files.
    std::vector<std::pair<std::string, uint32_t>> extra_u32;
    std::vector<std::pair<std::string, float>> extra_f32;
    std::vector<std::pair<std::string, std::string>> extra_str;
    std::vector<std::string> extra_tensors;
    // A gpt2/qwen2 tokenizer: token pieces (as stored: byte-level encoded) and
    // their types; none when empty. byte_vocab() gives the 256 byte tokens.
    std::vector<std::string> tokens;
    std::vector<int32_t> token_types;
    // Rows >= this of output.weight (untied only) scaled by 50, so their
    // logits dominate; -1: none.
    int boost_output_rows_from = -1;
};

// The 256 single-byte tokens in byte-level encoding (GPT-2's byte -> code point map), NORMAL type.
void add_byte_vocab(Spec *spec);

// The whole GGUF file. Empty if a weight type cannot be quantized.
std::vector<uint8_t> build(const Spec &spec);

} // namespace tinymodel
