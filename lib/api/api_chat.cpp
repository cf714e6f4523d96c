// The C ABI of lib/chat: chat templates, end-of-generation tokens, stop
// strings, fill-in-the-middle prompts. Vocabulary lookups read the GGUF's
// tokenizer.ggml.tokens array directly (special tokens are stored verbatim),
// so these work on vocab-only models and need nothing of the tokenizer.
#include "api/guard.h"
#include "api/handles.h"
#include "chat/chatml.h"
#include "chat/eog.h"
#include "chat/fim.h"
#include "chat/stop_matcher.h"

#include <string>
#include <vector>

struct loom_stop_matcher {
    loom::StopMatcher matcher;
    std::string released; // what the last push/flush released (the caller borrows it)
};

namespace loom {

namespace {

const GgufFile *model_file(const loom_model *model) { return model ? model->gguf.file.get() : nullptr; }

// The vocabulary's token texts, or NOT_FOUND.
Status vocab_tokens(const GgufFile &f, const std::vector<std::string> **tokens) {
    Status s = f.get_string_array("tokenizer.ggml.tokens", tokens);
    if (!s) return error(s.code(), "the model has no vocabulary (tokenizer.ggml.tokens): %s", s.message().c_str());
    return Status::ok();
}

TokenLookup lookup_in(const std::vector<std::string> &tokens) {
    return [&tokens](std::string_view text, int32_t *id) {
        for (size_t i = 0; i < tokens.size(); ++i)
            if (tokens[i] == text) {
                *id = static_cast<int32_t>(i);
                return true;
            }
        return false;
    };
}

int64_t optional_id(const GgufFile &f, const char *key) {
    int64_t v = -1;
    return f.get_int(key, &v).is_ok() ? v : -1;
}

std::string chat_template_text(const GgufFile &f) {
    std::string tmpl;
    if (!f.get_string("tokenizer.chat_template", &tmpl)) tmpl.clear();
    return tmpl;
}

Status copy_text(const std::string &text, char *buf, size_t capacity, size_t *size) {
    return copy_out(text.data(), text.size(), buf, capacity, size);
}

Status read_messages(const char *const *roles, const char *const *contents, const char *const *tool_calls, size_t n,
                     std::vector<ChatMessage> *out) {
    LOOM_CHECK_ARG(n == 0 || (roles && contents), "roles or contents is NULL");
    for (size_t i = 0; i < n; ++i) {
        if (!roles[i] || !contents[i])
            return error(LOOM_ERR_INVALID_ARGUMENT, "chat message %zu has a NULL role or content", i);
        out->push_back({roles[i], contents[i], tool_calls && tool_calls[i] ? tool_calls[i] : ""});
    }
    return Status::ok();
}

Status chat_apply(const loom_model *model, const char *const *roles, const char *const *contents,
                  const char *const *tool_calls, size_t n, const char *tools, int32_t flags, char *buf,
                  size_t capacity, size_t *size) {
    const GgufFile *f = model_file(model);
    LOOM_CHECK_ARG(f && size, "model or size is NULL");
    LOOM_CHECK_ARG((flags & ~(LOOM_CHAT_ADD_GENERATION_PROMPT | LOOM_CHAT_FORCE_CHATML)) == 0, "unknown chat flags");
    std::string tmpl = chat_template_text(*f);
    ChatTemplateKind kind = chat_template_kind(tmpl);
    if (kind != ChatTemplateKind::ChatML && !(flags & LOOM_CHAT_FORCE_CHATML))
        return error(LOOM_ERR_UNSUPPORTED, kind == ChatTemplateKind::None
                                               ? "the model has no chat template (tokenizer.chat_template); pass LOOM_CHAT_FORCE_CHATML to use ChatML"
                                               : "the model's chat template is not ChatML; loom renders only ChatML (LOOM_CHAT_FORCE_CHATML forces it)");
    std::vector<ChatMessage> messages;
    LOOM_TRY(read_messages(roles, contents, tool_calls, n, &messages));
    std::string text;
    LOOM_TRY(render_chatml(chatml_style(tmpl), messages, (flags & LOOM_CHAT_ADD_GENERATION_PROMPT) != 0, &text,
                           tools ? tools : ""));
    return copy_text(text, buf, capacity, size);
}

Status fim_files(const char *const *paths, const char *const *contents, size_t n, std::vector<FimFile> *out) {
    LOOM_CHECK_ARG(n == 0 || (paths && contents), "paths or contents is NULL");
    for (size_t i = 0; i < n; ++i) {
        if (!paths[i] || !contents[i])
            return error(LOOM_ERR_INVALID_ARGUMENT, "repository file %zu has a NULL path or content", i);
        out->push_back({paths[i], contents[i]});
    }
    return Status::ok();
}

} // namespace

} // namespace loom

using namespace loom;

extern "C" {

LOOM_API loom_status loom_chat_template_kind(const loom_model *model, int32_t *kind) {
    return api_call([&] {
        const GgufFile *f = model_file(model);
        LOOM_CHECK_ARG(f && kind, "model or kind is NULL");
        switch (chat_template_kind(chat_template_text(*f))) {
        case ChatTemplateKind::None: *kind = LOOM_CHAT_KIND_NONE; break;
        case ChatTemplateKind::ChatML: *kind = LOOM_CHAT_KIND_CHATML; break;
        case ChatTemplateKind::Other: *kind = LOOM_CHAT_KIND_OTHER; break;
        }
        return Status::ok();
    });
}

LOOM_API loom_status loom_chat_apply(const loom_model *model, const char *const *roles, const char *const *contents,
                                     size_t n_messages, int32_t flags, char *buf, size_t capacity, size_t *size) {
    return api_call([&] {
        return chat_apply(model, roles, contents, nullptr, n_messages, nullptr, flags, buf, capacity, size);
    });
}

LOOM_API loom_status loom_chat_apply_tools(const loom_model *model, const char *const *roles,
                                           const char *const *contents, const char *const *tool_calls,
                                           size_t n_messages, const char *tools, int32_t flags, char *buf,
                                           size_t capacity, size_t *size) {
    return api_call([&] {
        return chat_apply(model, roles, contents, tool_calls, n_messages, tools, flags, buf, capacity, size);
    });
}

LOOM_API int32_t loom_token_is_eog(const loom_model *model, int32_t token) {
    int32_t result = 0;
    api_call([&] {
        const GgufFile *f = model_file(model);
        const std::vector<std::string> *tokens = nullptr;
        if (!f || token < 0 || !f->get_string_array("tokenizer.ggml.tokens", &tokens).is_ok() ||
            static_cast<size_t>(token) >= tokens->size())
            return Status::ok();
        result = is_eog_token(token, (*tokens)[static_cast<size_t>(token)],
                              optional_id(*f, "tokenizer.ggml.eos_token_id"),
                              optional_id(*f, "tokenizer.ggml.eot_token_id"));
        return Status::ok();
    });
    return result;
}

LOOM_API loom_status loom_model_eog_tokens(const loom_model *model, int32_t *ids, size_t capacity, size_t *n) {
    return api_call([&] {
        const GgufFile *f = model_file(model);
        LOOM_CHECK_ARG(f && n, "model or n is NULL");
        const std::vector<std::string> *tokens = nullptr;
        LOOM_TRY(vocab_tokens(*f, &tokens));
        std::vector<int32_t> set = eog_tokens(lookup_in(*tokens), optional_id(*f, "tokenizer.ggml.eos_token_id"),
                                              optional_id(*f, "tokenizer.ggml.eot_token_id"));
        *n = set.size();
        if (capacity < set.size())
            return error(LOOM_ERR_BUFFER_TOO_SMALL, "%zu end-of-generation ids do not fit in %zu", set.size(), capacity);
        LOOM_CHECK_ARG(ids || set.empty(), "ids is NULL");
        std::copy(set.begin(), set.end(), ids);
        return Status::ok();
    });
}

LOOM_API loom_status loom_fim_prompt(const loom_model *model, const char *prefix, const char *suffix, char *buf,
                                     size_t capacity, size_t *size) {
    return api_call([&] {
        const GgufFile *f = model_file(model);
        LOOM_CHECK_ARG(f && prefix && suffix && size, "model, prefix, suffix or size is NULL");
        const std::vector<std::string> *tokens = nullptr;
        LOOM_TRY(vocab_tokens(*f, &tokens));
        std::string text;
        LOOM_TRY(fim_prompt(lookup_in(*tokens), prefix, suffix, &text));
        return copy_text(text, buf, capacity, size);
    });
}

LOOM_API loom_status loom_fim_repo_prompt(const loom_model *model, const char *repo_name, const char *const *paths,
                                          const char *const *contents, size_t n_files, const char *path,
                                          const char *prefix, const char *suffix, char *buf, size_t capacity,
                                          size_t *size) {
    return api_call([&] {
        const GgufFile *f = model_file(model);
        LOOM_CHECK_ARG(f && repo_name && path && prefix && suffix && size,
                       "model, repo_name, path, prefix, suffix or size is NULL");
        std::vector<FimFile> files;
        LOOM_TRY(fim_files(paths, contents, n_files, &files));
        const std::vector<std::string> *tokens = nullptr;
        LOOM_TRY(vocab_tokens(*f, &tokens));
        std::string text;
        LOOM_TRY(fim_repo_prompt(lookup_in(*tokens), repo_name, files, path, prefix, suffix, &text));
        return copy_text(text, buf, capacity, size);
    });
}

LOOM_API loom_status loom_stop_matcher_new(const char *const *stops, size_t n_stops, loom_stop_matcher **out) {
    return api_call([&] {
        LOOM_CHECK_ARG(out && (stops || n_stops == 0), "stops or out is NULL");
        std::vector<std::string> list;
        for (size_t i = 0; i < n_stops; ++i) {
            if (!stops[i] || !stops[i][0])
                return error(LOOM_ERR_INVALID_ARGUMENT, "stop string %zu is NULL or empty", i);
            list.emplace_back(stops[i]);
        }
        *out = new loom_stop_matcher{StopMatcher(std::move(list)), {}};
        return Status::ok();
    });
}

LOOM_API void loom_stop_matcher_free(loom_stop_matcher *matcher) { delete matcher; }

LOOM_API loom_status loom_stop_matcher_push(loom_stop_matcher *matcher, const char *text, size_t len,
                                            const char **release, size_t *release_len, int32_t *stopped) {
    return api_call([&] {
        LOOM_CHECK_ARG(matcher && (text || len == 0) && release && release_len && stopped,
                       "matcher, text, release, release_len or stopped is NULL");
        bool done = matcher->matcher.push(std::string_view(text ? text : "", len), &matcher->released);
        *release = matcher->released.data();
        *release_len = matcher->released.size();
        *stopped = done ? 1 : 0;
        return Status::ok();
    });
}

LOOM_API loom_status loom_stop_matcher_flush(loom_stop_matcher *matcher, const char **release, size_t *release_len) {
    return api_call([&] {
        LOOM_CHECK_ARG(matcher && release && release_len, "matcher, release or release_len is NULL");
        matcher->matcher.flush(&matcher->released);
        *release = matcher->released.data();
        *release_len = matcher->released.size();
        return Status::ok();
    });
}

LOOM_API void loom_stop_matcher_reset(loom_stop_matcher *matcher) {
    if (matcher) matcher->matcher.reset();
}

} // extern "C"
