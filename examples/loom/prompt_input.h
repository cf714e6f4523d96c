// Where a prompt comes from: -p TEXT, -f FILE ("-f -": stdin), or stdin when
// it is not a terminal and neither was given (llama-cli's habits).
#pragma once

#include <string>

namespace cli {

struct PromptSource {
    std::string text, file;
    bool given_text = false;
};

// Fills *out; false with *why ("cannot read FILE: ...", "no prompt: give -p, -f or stdin").
bool read_prompt(const PromptSource &src, std::string *out, std::string *why);

} // namespace cli
