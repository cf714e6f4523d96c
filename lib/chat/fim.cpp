// Fill-in-the-middle prompt builders (format in fim.h).
#include "chat/fim.h"

#include <initializer_list>

namespace loom {

namespace {

constexpr std::string_view kPrefix = "<|fim_prefix|>";
constexpr std::string_view kSuffix = "<|fim_suffix|>";
constexpr std::string_view kMiddle = "<|fim_middle|>";
constexpr std::string_view kRepoName = "<|repo_name|>";
constexpr std::string_view kFileSep = "<|file_sep|>";

Status require_tokens(const TokenLookup &find, std::initializer_list<std::string_view> texts) {
    for (std::string_view t : texts) {
        int32_t id = -1;
        if (!find || !find(t, &id))
            return error(LOOM_ERR_NOT_FOUND, "the model's vocabulary has no '%.*s' token (not a fill-in-the-middle model)",
                         static_cast<int>(t.size()), t.data());
    }
    return Status::ok();
}

void append_infill(std::string *out, std::string_view prefix, std::string_view suffix) {
    out->append(kPrefix).append(prefix).append(kSuffix).append(suffix).append(kMiddle);
}

} // namespace

Status fim_prompt(const TokenLookup &find, std::string_view prefix, std::string_view suffix, std::string *out) {
    LOOM_TRY(require_tokens(find, {kPrefix, kSuffix, kMiddle}));
    out->clear();
    append_infill(out, prefix, suffix);
    return Status::ok();
}

Status fim_repo_prompt(const TokenLookup &find, std::string_view repo_name, const std::vector<FimFile> &files,
                       std::string_view path, std::string_view prefix, std::string_view suffix,
                       std::string *out) {
    LOOM_TRY(require_tokens(find, {kPrefix, kSuffix, kMiddle, kRepoName, kFileSep}));
    out->clear();
    out->append(kRepoName).append(repo_name).append("\n");
    for (const FimFile &f : files) out->append(kFileSep).append(f.path).append("\n").append(f.content);
    out->append(kFileSep).append(path).append("\n");
    append_infill(out, prefix, suffix);
    return Status::ok();
}

} // namespace loom
