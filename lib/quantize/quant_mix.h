// Model quantization mixes: llama.cpp's file types (LLAMA_FTYPE numbers,
// "Q4_K_M") and the per-tensor type each one chooses, written from the rules
// of llama-quantize (src/llama-quant.cpp: which tensors are quantized, the
// type per tensor category, layer and model shape, and the fallbacks for rows
// not divisible by a type's block). tests/quantize pins these choices to
// llama-quantize's output.
//
// Owner: lib/quantize. file_types.cpp (the file type table), quant_mix.cpp
// (the per-tensor choices), model_quantizer.cpp (the file-to-file driver).
#pragma once

#include "common/status.h"
#include "loom.h"

#include <cstdint>
#include <string>
#include <vector>

namespace loom {

struct FileType {
    int32_t id;              // llama_ftype number, written to general.file_type
    const char *name;        // "Q4_K_M", as llama-quantize spells it
    loom_type default_type;  // the type of most weights
};

// nullptr for numbers that are not a file type loom knows.
const FileType *file_type(int32_t id);
// Case-insensitive name ("q4_k_m") or alias ("Q4_K" = Q4_K_M); nullptr if unknown.
const FileType *file_type_by_name(const std::string &name);

// What the choices depend on, from the model's metadata.
struct ModelShape {
    std::string arch;        // general.architecture
    int64_t n_layer = 0;     // {arch}.block_count
    int64_t n_gqa = 0;       // head_count / head_count_kv of layer 0 (0 when head_count_kv is 0)
    int64_t n_expert = 0;    // {arch}.expert_count (0 when absent)
    bool is_70b = false;     // llama.cpp's LLM_TYPE_70B for this arch and layer count
};

struct MixOptions {
    const FileType *ftype = nullptr;
    int32_t token_embedding_type = -1; // a loom_type, or -1: the mix's choice
    int32_t output_tensor_type = -1;
    bool pure = false;                 // every quantizable weight gets the default type (fallbacks still apply)
    bool has_imatrix = false;
};

struct TensorShape {
    std::string name;
    loom_type type;          // the type in the input file
    int64_t ne[4];
};

// Dims as ggml counts them: trailing extents of 1 dropped, at least 1.
uint32_t ggml_dims(const int64_t ne[4]);

// The output type of each tensor, in order (tensors must already be in the
// order llama-quantize visits them: see sort_tensors_like_llama). Fails on a
// shape no fallback fits or a bad layer name in a mixture-of-experts model.
Status choose_tensor_types(const std::vector<TensorShape> &tensors, const ModelShape &model, const MixOptions &opts,
                           std::vector<loom_type> *out);

// Whether llama-quantize refuses to quantize `tensor_name` to `type` in file
// type `ftype` without an importance matrix.
bool type_needs_imatrix(const std::string &tensor_name, loom_type type, int32_t ftype);

// Indices of `names` in llama.cpp's tensor order: non-layer tensors first,
// then by layer number ("blk.N."), by name within each.
std::vector<size_t> llama_tensor_order(const std::vector<std::string> &names);

} // namespace loom
