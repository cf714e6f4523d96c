// Writes the never-abort sweep's model: the tiny qwen2 of tests/model with
// Q4_0 weights (so loading repacks them, and the CPU matmuls take the
// quantized-activation paths). Usage: make_tiny_gguf OUT.gguf
#include "tiny_model.h"

#include <cstdio>

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT.gguf\n", argv[0]);
        return 2;
    }
    tinymodel::Spec spec;
    spec.weight_type = LOOM_TYPE_Q4_0;
    const std::vector<uint8_t> bytes = tinymodel::build(spec);
    FILE *f = bytes.empty() ? nullptr : std::fopen(argv[1], "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
        std::fprintf(stderr, "make_tiny_gguf: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
