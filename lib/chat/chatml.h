// ChatML: messages -> prompt text exactly as Qwen's chat templates render it.
//
// loom does not run Jinja. It recognises ChatML templates by their markers
// and renders the two Qwen ChatML shapes built in:
//   Qwen2   a default system turn only when the first message is not a system
//           message; every message as <|im_start|>ROLE\nCONTENT<|im_end|>\n.
//   Qwen2.5 (the template mentions <tool_response>): the system turn always
//           comes first (the default one when messages[0] is not a system
//           message); consecutive `tool` messages are grouped into one user
//           turn of <tool_response> blocks.
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
// Errors: INVALID_ARGUMENT for a role other than the four above.
Status render_chatml(const ChatMLStyle &style, const std::vector<ChatMessage> &messages,
                     bool add_generation_prompt, std::string *out);

} // namespace loom
