// ChatML: messages -> prompt text exactly as Qwen's chat templates render it.
//
// loom does not run Jinja. It recognises ChatML templates by their markers
// and renders the two Qwen ChatML shapes built in:
//   Qwen2   a default system turn only when the first message is not a system
//           message; every message as <|im_start|>ROLE\nCONTENT<|im_end|>\n.
//   Qwen2.5 (the template mentions <tool_response>): the system turn always
//           comes first (the default one when messages[0] is not a system
//           message); consecutive `tool` messages are grouped into one user
//           turn of <tool_response> blocks. With tools, the system turn
//           carries the "# Tools" block (one tojson line per tool inside
//           <tools></tools>), and an assistant message with tool calls
//           renders each as <tool_call>\n{"name": N, "arguments": A}\n</tool_call>.
// The default system prompt is read from the template text itself.
//
// Owner: lib/chat.
#pragma once

#include "common/status.h"

#include <string>
#include <string_view>
#include <vector>

namespace loom {

enum class ChatTemplateKind { None, ChatML, Other };

struct ChatMessage {
    std::string_view role;     // "system", "user", "assistant" or "tool"
    std::string_view content;
    // The message's tool calls as JSON text (empty: none): an array of
    // {"function": {"name", "arguments"}} (OpenAI's shape; id and type are
    // ignored) or of {"name", "arguments"}. arguments is any JSON value, or a
    // string holding JSON text (OpenAI's shape), rendered as that JSON.
    std::string_view tool_calls;
};

struct ChatMLStyle {
    bool has_default_system = false;
    std::string default_system;     // used when the first message is not a system message
    bool qwen25 = false;            // Qwen2.5 shape (system first, tool responses grouped)
};

// None for an empty template, ChatML when it has both <|im_start|> and <|im_end|>.
ChatTemplateKind chat_template_kind(std::string_view tmpl);

// The ChatML shape and default system prompt a template text implies.
ChatMLStyle chatml_style(std::string_view tmpl);

// Renders `messages`; add_generation_prompt appends "<|im_start|>assistant\n".
// `tools` is the JSON text of the tool list (an array, each item rendered as
// it is; empty text or [] means no tools). Errors: INVALID_ARGUMENT for a role
// other than the four above, malformed tools or tool calls (naming the
// message); UNSUPPORTED for tools or tool calls with a Qwen2-shape template
// (it has no place for them).
Status render_chatml(const ChatMLStyle &style, const std::vector<ChatMessage> &messages,
                     bool add_generation_prompt, std::string *out, std::string_view tools = {});

} // namespace loom
