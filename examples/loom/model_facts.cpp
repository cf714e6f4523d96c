#include "model_facts.h"

#include <cstdio>

namespace cli {

namespace {

struct FileType {
    int64_t id;
    const char *name;
};

// llama_ftype (llama.h): the numbers converters write into general.file_type.
constexpr FileType kFileTypes[] = {
    {0, "F32"},      {1, "F16"},      {2, "Q4_0"},     {3, "Q4_1"},     {7, "Q8_0"},    {8, "Q5_0"},
    {9, "Q5_1"},     {10, "Q2_K"},    {11, "Q3_K_S"},  {12, "Q3_K_M"},  {13, "Q3_K_L"}, {14, "Q4_K_S"},
    {15, "Q4_K_M"},  {16, "Q5_K_S"},  {17, "Q5_K_M"},  {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"},
    {21, "Q2_K_S"},  {22, "IQ3_XS"},  {23, "IQ3_XXS"}, {24, "IQ1_S"},   {25, "IQ4_NL"}, {26, "IQ3_S"},
    {27, "IQ3_M"},   {28, "IQ2_S"},   {29, "IQ2_M"},   {30, "IQ4_XS"},  {31, "IQ1_M"},  {32, "BF16"},
    {36, "TQ1_0"},   {37, "TQ2_0"},
};

} // namespace

const char *file_type_name(int64_t ftype) {
    for (const FileType &f : kFileTypes)
        if (f.id == ftype) return f.name;
    return nullptr;
}

ModelFacts model_facts(const loom_gguf *g) {
    ModelFacts f;
    int64_t ftype = -1;
    if (loom_gguf_get_int(g, "general.file_type", &ftype) == LOOM_OK) {
        const char *name = file_type_name(ftype);
        f.file_type = name ? name : "unknown (" + std::to_string(ftype) + ")";
    }
    const int64_t n = loom_gguf_tensor_count(g);
    for (int64_t i = 0; i < n; i++) {
        loom_gguf_tensor_info t{};
        t.struct_size = sizeof t;
        if (loom_gguf_get_tensor_info(g, i, &t) != LOOM_OK) continue;
        f.n_params += uint64_t(t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3]);
        f.n_bytes += t.nbytes;
    }
    return f;
}

std::string count_text(uint64_t n) {
    char buf[32];
    if (n >= 1000000000ull) std::snprintf(buf, sizeof buf, "%.2f B", double(n) / 1e9);
    else if (n >= 1000000ull) std::snprintf(buf, sizeof buf, "%.2f M", double(n) / 1e6);
    else if (n >= 1000ull) std::snprintf(buf, sizeof buf, "%.2f K", double(n) / 1e3);
    else std::snprintf(buf, sizeof buf, "%llu", (unsigned long long)n);
    return buf;
}

std::string size_text(uint64_t bytes) {
    char buf[32];
    if (bytes >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", double(bytes) / double(1ull << 30));
    else std::snprintf(buf, sizeof buf, "%.2f MiB", double(bytes) / double(1ull << 20));
    return buf;
}

} // namespace cli
