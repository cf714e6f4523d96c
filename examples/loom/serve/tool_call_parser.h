// The model's reply -> content and tool calls, as it streams. Qwen2.5 writes
// a call as <tool_call>\n{"name": N, "arguments": {...}}\n</tool_call> (one
// or several); each block whose JSON has a string "name" becomes a ToolCall
// (arguments re-serialized as compact JSON text, OpenAI's "arguments"
// string); a block that does not parse stays in the content as written.
// Text that could still become "<tool_call>" is held back, and whitespace
// next to a call is dropped, so that the streamed pieces and the whole reply
// give the same content. One parser per choice; not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace serve {

struct ToolCall {
    std::string id;          // "call_" and 24 random letters and digits
    std::string name;
    std::string arguments;   // JSON text
};

class ToolCallParser {
public:
    ToolCallParser();

    // Feeds generated text; appends to *content what can be shown now and to
    // *calls the calls completed by it.
    void push(std::string_view text, std::string *content, std::vector<ToolCall> *calls);
    // End of the reply: releases what was held (an unclosed call is taken if
    // its JSON is complete, else it is content).
    void finish(std::string *content, std::vector<ToolCall> *calls);

private:
    void text_out(std::string_view text, std::string *content);
    void call_out(std::string_view body, bool closed, std::string *content, std::vector<ToolCall> *calls);
    std::string new_id();

    std::string held_;          // a possible start of "<tool_call>", or an open call's text
    std::string pending_ws_;    // whitespace not shown yet (dropped if a call follows)
    bool in_call_ = false, after_call_ = false, any_call_ = false;
    std::mt19937_64 rng_;
};

} // namespace serve
