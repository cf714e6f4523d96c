// A GGUF model file to a quantized GGUF model file, as llama-quantize writes
// it: the same metadata (general.file_type and general.quantization_version
// set, split keys removed), tensors in llama.cpp's order, each converted to
// the type its mix chooses (quant_mix.h), data aligned as declared. Written to
// OUT.tmp and renamed over OUT only when complete.
//
// Owner: lib/quantize.
#pragma once

#include "quantize/quant_mix.h"

#include <functional>
#include <string>

namespace loom {

struct QuantizeJob {
    std::string input, output;
    int32_t ftype = 7;                 // Q8_0
    int32_t token_embedding_type = -1; // loom_type or -1
    int32_t output_tensor_type = -1;
    bool pure = false;
    bool allow_requantize = false;
    int32_t n_threads = 0;             // 0: the machine's cores (at most 64)
    std::string imatrix_path;          // "" for none (imatrix_file.h)
    // Before each tensor (index, count, name, input type, output type); false cancels.
    std::function<bool(int64_t, int64_t, const std::string &, loom_type, loom_type)> progress;
};

Status quantize_model_file(const QuantizeJob &job);

} // namespace loom
