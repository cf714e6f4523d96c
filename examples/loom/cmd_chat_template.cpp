// loom chat-template -m MODEL [--no-generation-prompt] [--force-chatml]
// A JSON list of messages ([{"role": "user", "content": "..."}, ...]) on
// stdin -> the prompt text the model's chat template makes, on stdout.
#include "cli.h"

#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

namespace {

const char *kUsage = "loom chat-template -m MODEL [--no-generation-prompt] [--force-chatml] < messages.json";

// Messages from the JSON text into roles/contents; false with *error.
bool read_messages(const std::string &text, std::vector<std::string> *roles, std::vector<std::string> *contents,
                   std::string *error) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);   // strict RFC 8259; ill-formed UTF-8 and lone surrogates rejected
    } catch (const nlohmann::json::parse_error &e) {
        return *error = e.what(), false;
    }
    if (!doc.is_array()) return *error = "expected a JSON array of messages", false;
    for (size_t i = 0; i < doc.size(); ++i) {
        const nlohmann::json &m = doc[i];
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
            !m["content"].is_string())
            return *error = "message " + std::to_string(i) + " needs string \"role\" and \"content\"", false;
        const std::string role = m["role"], content = m["content"];
        if (role.find('\0') != std::string::npos || content.find('\0') != std::string::npos)
            return *error = "message " + std::to_string(i) + " contains a NUL character", false;
        roles->push_back(role);
        contents->push_back(content);
    }
    return true;
}

int chat_template_main(int argc, char **argv) {
    const char *model_path = nullptr;
    int32_t flags = LOOM_CHAT_ADD_GENERATION_PROMPT;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "-m") && i + 1 < argc) model_path = argv[++i];
        else if (!std::strcmp(argv[i], "--no-generation-prompt")) flags &= ~LOOM_CHAT_ADD_GENERATION_PROMPT;
        else if (!std::strcmp(argv[i], "--force-chatml")) flags |= LOOM_CHAT_FORCE_CHATML;
        else return cli::usage(kUsage);
    }
    if (!model_path) return cli::usage(kUsage);

    std::string input, error;
    std::vector<std::string> roles, contents;
    std::string why;
    if (!cli::read_stdin(&input, &why)) return cli::fail("cannot read stdin: %s", why.c_str());
    if (!read_messages(input, &roles, &contents, &error)) return cli::fail("messages on stdin: %s", error.c_str());

    loom_model_params params;
    loom_model_default_params(&params);
    params.vocab_only = 1;
    loom_model *model = nullptr;
    loom_status st = loom_model_load(model_path, &params, &model);
    if (st != LOOM_OK) return cli::fail_status(st, model_path);

    std::vector<const char *> role_ptrs, content_ptrs;
    for (size_t i = 0; i < roles.size(); ++i) {
        role_ptrs.push_back(roles[i].c_str());
        content_ptrs.push_back(contents[i].c_str());
    }
    size_t size = 0;
    std::string out;
    st = loom_chat_apply(model, role_ptrs.data(), content_ptrs.data(), roles.size(), flags, nullptr, 0, &size);
    if (st == LOOM_ERR_BUFFER_TOO_SMALL) {
        out.resize(size);
        st = loom_chat_apply(model, role_ptrs.data(), content_ptrs.data(), roles.size(), flags, &out[0], out.size(),
                             &size);
    }
    loom_model_free(model);
    if (st != LOOM_OK) return cli::fail_status(st, "chat template");
    std::fwrite(out.data(), 1, size, stdout);
    return std::fflush(stdout) == 0 ? 0 : cli::fail("cannot write stdout");
}

} // namespace

LOOM_COMMAND("chat-template", "JSON messages on stdin -> the model's chat prompt text", chat_template_main);
