// A seeded random corpus of tokenizer inputs: mixed scripts, emoji, digits,
// whitespace runs, CRLF, code, special-token strings, decomposed accents.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace toktest {

struct CorpusOptions {
    uint32_t seed = 1234;
    size_t count = 3000;
    bool qwen25_specials = true;  // also FIM/tool tokens (not in llama.cpp's Qwen2 vocab file)
};

std::vector<std::string> random_corpus(const CorpusOptions &opts);

} // namespace toktest
