// Fill-in-the-middle prompts for Qwen2.5-Coder:
//   file level: <|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>
//   repo level: <|repo_name|>{repo}\n
//               <|file_sep|>{path}\n{content}        (each context file, content verbatim)
//               <|file_sep|>{path}\n<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>
// The special tokens must exist in the vocabulary (looked up by text), else
// NOT_FOUND naming the missing token.
//
// Owner: lib/chat.
#pragma once

#include "chat/token_lookup.h"
#include "common/status.h"

#include <string>
#include <string_view>
#include <vector>

namespace loom {

struct FimFile {
    std::string_view path;
    std::string_view content;
};

Status fim_prompt(const TokenLookup &find, std::string_view prefix, std::string_view suffix, std::string *out);

Status fim_repo_prompt(const TokenLookup &find, std::string_view repo_name, const std::vector<FimFile> &files,
                       std::string_view path, std::string_view prefix, std::string_view suffix,
                       std::string *out);

} // namespace loom
