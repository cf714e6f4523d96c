// llama.cpp's file types (include/llama.h's llama_ftype numbers) with their
// llama-quantize names and default weight types.
#include "quantize/quant_mix.h"

#include <cctype>

namespace loom {
namespace {

constexpr FileType kFileTypes[] = {
    {0, "F32", LOOM_TYPE_F32},         {1, "F16", LOOM_TYPE_F16},         {2, "Q4_0", LOOM_TYPE_Q4_0},
    {3, "Q4_1", LOOM_TYPE_Q4_1},       {7, "Q8_0", LOOM_TYPE_Q8_0},       {8, "Q5_0", LOOM_TYPE_Q5_0},
    {9, "Q5_1", LOOM_TYPE_Q5_1},       {10, "Q2_K", LOOM_TYPE_Q2_K},      {11, "Q3_K_S", LOOM_TYPE_Q3_K},
    {12, "Q3_K_M", LOOM_TYPE_Q3_K},    {13, "Q3_K_L", LOOM_TYPE_Q3_K},    {14, "Q4_K_S", LOOM_TYPE_Q4_K},
    {15, "Q4_K_M", LOOM_TYPE_Q4_K},    {16, "Q5_K_S", LOOM_TYPE_Q5_K},    {17, "Q5_K_M", LOOM_TYPE_Q5_K},
    {18, "Q6_K", LOOM_TYPE_Q6_K},      {19, "IQ2_XXS", LOOM_TYPE_IQ2_XXS}, {20, "IQ2_XS", LOOM_TYPE_IQ2_XS},
    {21, "Q2_K_S", LOOM_TYPE_Q2_K},    {22, "IQ3_XS", LOOM_TYPE_IQ3_S},   {23, "IQ3_XXS", LOOM_TYPE_IQ3_XXS},
    {24, "IQ1_S", LOOM_TYPE_IQ1_S},    {25, "IQ4_NL", LOOM_TYPE_IQ4_NL},  {26, "IQ3_S", LOOM_TYPE_IQ3_S},
    {27, "IQ3_M", LOOM_TYPE_IQ3_S},    {28, "IQ2_S", LOOM_TYPE_IQ2_XS},   {29, "IQ2_M", LOOM_TYPE_IQ2_S},
    {30, "IQ4_XS", LOOM_TYPE_IQ4_XS},  {31, "IQ1_M", LOOM_TYPE_IQ1_M},   {32, "BF16", LOOM_TYPE_BF16},
    {36, "TQ1_0", LOOM_TYPE_TQ1_0},    {37, "TQ2_0", LOOM_TYPE_TQ2_0},
};

// llama-quantize's short names for the _M mixes.
struct Alias {
    const char *name;
    int32_t id;
};
constexpr Alias kAliases[] = {{"Q3_K", 12}, {"Q4_K", 15}, {"Q5_K", 17}};

bool same_name(const std::string &a, const char *b) {
    size_t i = 0;
    for (; i < a.size() && b[i]; ++i)
        if (std::toupper(static_cast<unsigned char>(a[i])) != b[i]) return false;
    return i == a.size() && !b[i];
}

} // namespace

const FileType *file_type(int32_t id) {
    for (const FileType &f : kFileTypes)
        if (f.id == id) return &f;
    return nullptr;
}

const FileType *file_type_by_name(const std::string &name) {
    for (const FileType &f : kFileTypes)
        if (same_name(name, f.name)) return &f;
    for (const Alias &a : kAliases)
        if (same_name(name, a.name)) return file_type(a.id);
    return nullptr;
}

} // namespace loom
