// ChatML rendering (see chatml.h for the two shapes).
#include "chat/chatml.h"

#include "chat/tojson.h"

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

// Qwen2.5's system turn when tools are given: the system text, then the
// "# Tools" block with one tojson line per tool.
void tools_system_turn(std::string_view system, const JsonValue &tools, std::string *out) {
    out->append(kImStart).append("system\n").append(system);
    out->append("\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                "You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
    for (const JsonValue &tool : tools.items) {
        out->push_back('\n');
        append_python_json(tool, out);
    }
    out->append("\n</tools>\n\nFor each function call, return a json object with function name and arguments "
                "within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, "
                "\"arguments\": <args-json-object>}\n</tool_call>");
    out->append(kImEnd).append("\n");
}

// One tool call as the template writes it: {"function": {...}} or {...} with
// a string name and arguments (a string holding JSON is rendered as that JSON).
Status append_tool_call(const JsonValue &call, size_t msg, size_t k, std::string *out) {
    const JsonValue *fn = call.find("function") ? call.find("function") : &call;
    const JsonValue *name = fn->find("name"), *args = fn->find("arguments");
    if (!name || name->kind != JsonValue::String || !args)
        return error(LOOM_ERR_INVALID_ARGUMENT,
                     "chat message %zu: tool call %zu needs a string \"name\" and \"arguments\"", msg, k);
    JsonValue parsed;
    if (args->kind == JsonValue::String && parse_json(args->text, &parsed).is_ok()) args = &parsed;
    out->append("\n<tool_call>\n{\"name\": \"").append(name->text).append("\", \"arguments\": ");
    append_python_json(*args, out);
    out->append("}\n</tool_call>");
    return Status::ok();
}

// An assistant turn with tool calls (`calls`: a non-empty array).
Status assistant_calls_turn(const ChatMessage &m, const JsonValue &calls, size_t msg, std::string *out) {
    out->append(kImStart).append("assistant");
    if (!m.content.empty()) out->append("\n").append(m.content);
    for (size_t k = 0; k < calls.items.size(); ++k) LOOM_TRY(append_tool_call(calls.items[k], msg, k, out));
    out->append(kImEnd).append("\n");
    return Status::ok();
}

// A JSON array from `text`; empty text is an empty array. `what` names it in errors.
Status parse_array(std::string_view text, const std::string &what, JsonValue *out) {
    out->kind = JsonValue::Array;
    if (text.empty()) return Status::ok();
    Status s = parse_json(text, out);
    if (!s) return error(LOOM_ERR_INVALID_ARGUMENT, "%s: %s", what.c_str(), s.message().c_str());
    if (out->kind != JsonValue::Array) return error(LOOM_ERR_INVALID_ARGUMENT, "%s must be a JSON array", what.c_str());
    return Status::ok();
}

Status render_qwen25(const ChatMLStyle &style, const std::vector<ChatMessage> &msgs, const JsonValue &tools,
                     std::string *out) {
    bool first_is_system = !msgs.empty() && msgs[0].role == "system";
    std::string_view system = first_is_system ? msgs[0].content : std::string_view(style.default_system);
    if (!tools.items.empty()) tools_system_turn(system, tools, out);
    else if (first_is_system || style.has_default_system) turn(out, "system", system);
    for (size_t i = first_is_system ? 1 : 0; i < msgs.size(); ++i) {
        const ChatMessage &m = msgs[i];
        if (m.role != "tool") {
            JsonValue calls;
            LOOM_TRY(parse_array(m.tool_calls, "chat message " + std::to_string(i) + ": tool_calls", &calls));
            if (m.role == "assistant" && !calls.items.empty()) LOOM_TRY(assistant_calls_turn(m, calls, i, out));
            else turn(out, m.role, m.content);
            continue;
        }
        if (i == 0 || msgs[i - 1].role != "tool") out->append(kImStart).append("user");
        out->append("\n<tool_response>\n").append(m.content).append("\n</tool_response>");
        if (i + 1 == msgs.size() || msgs[i + 1].role != "tool") out->append(kImEnd).append("\n");
    }
    return Status::ok();
}

// Qwen2's template has no place for tools: refuse them rather than drop them.
Status check_no_tools(const std::vector<ChatMessage> &msgs, const JsonValue &tools) {
    if (!tools.items.empty())
        return error(LOOM_ERR_UNSUPPORTED, "the model's chat template has no tool support (a Qwen2-style ChatML "
                                           "template; Qwen2.5's mentions <tool_response>)");
    for (size_t i = 0; i < msgs.size(); ++i) {
        JsonValue calls;
        LOOM_TRY(parse_array(msgs[i].tool_calls, "chat message " + std::to_string(i) + ": tool_calls", &calls));
        if (!calls.items.empty())
            return error(LOOM_ERR_UNSUPPORTED, "chat message %zu has tool calls; the model's chat template has no "
                                               "tool support", i);
    }
    return Status::ok();
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
                     bool add_generation_prompt, std::string *out, std::string_view tools) {
    for (size_t i = 0; i < messages.size(); ++i)
        if (!known_role(messages[i].role))
            return error(LOOM_ERR_INVALID_ARGUMENT,
                         "chat message %zu: role '%.*s' is not system, user, assistant or tool", i,
                         static_cast<int>(messages[i].role.size()), messages[i].role.data());
    JsonValue tool_list;
    LOOM_TRY(parse_array(tools, "tools", &tool_list));
    out->clear();
    if (style.qwen25) {
        LOOM_TRY(render_qwen25(style, messages, tool_list, out));
    } else {
        LOOM_TRY(check_no_tools(messages, tool_list));
        render_qwen2(style, messages, out);
    }
    if (add_generation_prompt) out->append(kImStart).append("assistant\n");
    return Status::ok();
}

} // namespace loom
