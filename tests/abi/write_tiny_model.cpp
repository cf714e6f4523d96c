// Writes the unit tests' tiny qwen2 model (tests/model/tiny_model.h) to a
// file, for test programs that use only loom.h. usage: write_tiny_model OUT.gguf
#include "../model/tiny_model.h"

#include <cstdio>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    tinymodel::Spec spec;
    spec.weight_type = LOOM_TYPE_Q8_0;
    std::vector<uint8_t> bytes = tinymodel::build(spec);
    FILE *f = std::fopen(argv[1], "wb");
    if (!f || bytes.empty()) return 1;
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    return (std::fclose(f) == 0 && ok) ? 0 : 1;
}
