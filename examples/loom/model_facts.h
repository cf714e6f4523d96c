// What a user asks of a model file: its file type by name (Q4_K_M, from
// general.file_type, llama.cpp's numbering), parameter count and size.
#pragma once

#include "loom.h"

#include <cstdint>
#include <string>

namespace cli {

struct ModelFacts {
    std::string file_type;   // "Q4_K_M"; "" when the file does not say
    uint64_t n_params = 0;   // elements over all tensors
    uint64_t n_bytes = 0;    // tensor data bytes
};

ModelFacts model_facts(const loom_gguf *g);

// llama.cpp's name of a general.file_type number ("Q4_K_M"); nullptr if unknown.
const char *file_type_name(int64_t ftype);

// 494032768 -> "494.03 M"; 1234567890 -> "1.23 B".
std::string count_text(uint64_t n);
// Bytes as "352.97 MiB".
std::string size_text(uint64_t bytes);

} // namespace cli
