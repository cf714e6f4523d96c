// End-of-generation set (see eog.h).
#include "chat/eog.h"

#include <algorithm>

namespace loom {

const std::string_view kEogTexts[5] = {"<|im_end|>", "<|endoftext|>", "<|fim_pad|>", "<|repo_name|>",
                                       "<|file_sep|>"};

std::vector<int32_t> eog_tokens(const TokenLookup &find, int64_t eos, int64_t eot) {
    std::vector<int32_t> ids;
    for (int64_t special : {eos, eot})
        if (special >= 0 && special <= INT32_MAX) ids.push_back(static_cast<int32_t>(special));
    for (std::string_view text : kEogTexts) {
        int32_t id = -1;
        if (find && find(text, &id)) ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

bool is_eog_token(int32_t id, std::string_view text, int64_t eos, int64_t eot) {
    if (id < 0) return false;
    if (id == eos || id == eot) return true;
    return std::find(std::begin(kEogTexts), std::end(kEogTexts), text) != std::end(kEogTexts);
}

} // namespace loom
