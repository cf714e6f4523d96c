// ChatML rendering (see chatml.h for the two shapes).
#include "chat/chatml.h"

namespace loom {

namespace {

constexpr std::string_view kImStart = "<|im_start|>";
constexpr std::string_view kImEnd = "<|im_end|>";

// A Jinja string literal's escapes (\n, \t, \\, \', \") resolved.
std::string unescape_jinja(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out += s[i];
            continue;
        }
        char c = s[++i];
        out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    }
    return out;
}

// The text of a literal "<|im_start|>system\n...<|im_end|>" in the template:
// the first such span that holds plain text (no quotes, braces or '+', which
// would mean the content is an expression such as messages[0]['content']).
bool find_default_system(std::string_view tmpl, std::string *out) {
    const std::string_view head = "<|im_start|>system";
    for (size_t at = tmpl.find(head); at != std::string_view::npos; at = tmpl.find(head, at + 1)) {
        std::string_view rest = tmpl.substr(at + head.size());
        if (rest.substr(0, 2) == "\\n") rest.remove_prefix(2);
        else if (rest.substr(0, 1) == "\n") rest.remove_prefix(1);
        else continue;
        size_t end = rest.find(kImEnd);
        if (end == std::string_view::npos || end == 0) continue;
        std::string_view text = rest.substr(0, end);
        if (text.find_first_of("'\"{}+") != std::string_view::npos) continue;
        *out = unescape_jinja(text);
        return true;
    }
    return false;
}

bool known_role(std::string_view role) {
    return role == "system" || role == "user" || role == "assistant" || role == "tool";
}

void turn(std::string *out, std::string_view role, std::string_view content) {
    out->append(kImStart).append(role).append("\n").append(content).append(kImEnd).append("\n");
}

void render_qwen2(const ChatMLStyle &style, const std::vector<ChatMessage> &msgs, std::string *out) {
    for (size_t i = 0; i < msgs.size(); ++i) {
        if (i == 0 && msgs[0].role != "system" && style.has_default_system)
            turn(out, "system", style.default_system);
        turn(out, msgs[i].role, msgs[i].content);
    }
}

void render_qwen25(const ChatMLStyle &style, const std::vector<ChatMessage> &msgs, std::string *out) {
    bool first_is_system = !msgs.empty() && msgs[0].role == "system";
    if (first_is_system) turn(out, "system", msgs[0].content);
    else if (style.has_default_system) turn(out, "system", style.default_system);
    for (size_t i = first_is_system ? 1 : 0; i < msgs.size(); ++i) {
        const ChatMessage &m = msgs[i];
        if (m.role != "tool") {
            turn(out, m.role, m.content);
            continue;
        }
        if (i == 0 || msgs[i - 1].role != "tool") out->append(kImStart).append("user");
        out->append("\n<tool_response>\n").append(m.content).append("\n</tool_response>");
        if (i + 1 == msgs.size() || msgs[i + 1].role != "tool") out->append(kImEnd).append("\n");
    }
}

} // namespace

ChatTemplateKind chat_template_kind(std::string_view tmpl) {
    if (tmpl.empty()) return ChatTemplateKind::None;
    if (tmpl.find(kImStart) != std::string_view::npos && tmpl.find(kImEnd) != std::string_view::npos)
        return ChatTemplateKind::ChatML;
    return ChatTemplateKind::Other;
}

ChatMLStyle chatml_style(std::string_view tmpl) {
    ChatMLStyle style;
    style.has_default_system = find_default_system(tmpl, &style.default_system);
    style.qwen25 = tmpl.find("<tool_response>") != std::string_view::npos;
    return style;
}

Status render_chatml(const ChatMLStyle &style, const std::vector<ChatMessage> &messages,
                     bool add_generation_prompt, std::string *out) {
    for (size_t i = 0; i < messages.size(); ++i)
        if (!known_role(messages[i].role))
            return error(LOOM_ERR_INVALID_ARGUMENT,
                         "chat message %zu: role '%.*s' is not system, user, assistant or tool", i,
                         static_cast<int>(messages[i].role.size()), messages[i].role.data());
    out->clear();
    if (style.qwen25) render_qwen25(style, messages, out);
    else render_qwen2(style, messages, out);
    if (add_generation_prompt) out->append(kImStart).append("assistant\n");
    return Status::ok();
}

} // namespace loom
