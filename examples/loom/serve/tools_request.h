// `tools` and `tool_choice` of a chat request (OpenAI's shapes), validated:
// every malformed field is a 400 naming it. The tools go to
// loom_chat_apply_tools as the client wrote them (key order kept: Qwen2.5's
// template prints them); tool_choice "required" or a named function becomes
// a grammar that allows only <tool_call> blocks of the declared tools, each
// call's arguments constrained by its tool's parameters schema.
#pragma once

#include "api_error.h"

#include <nlohmann/json.hpp>

#include <string>

namespace serve {

using RequestJson = nlohmann::ordered_json;

struct ToolsRequest {
    std::string tools_json;     // the tools array as JSON text ("": none given)
    bool parse_calls = false;   // read <tool_call> blocks of the reply (tools given, tool_choice not "none")
    std::string grammar;        // GBNF forcing tool calls, start rule "root" ("": unconstrained)
};

// tools, tool_choice and parallel_tool_calls of `body`. `has_response_format`:
// a response_format grammar is set (it cannot be combined with forced calls).
ToolsRequest parse_tools(const RequestJson &body, bool has_response_format);

// messages[i].tool_calls as JSON text for loom_chat_apply_tools ("" when
// absent); each call needs function.name (a string) and function.arguments
// (a string holding JSON, or a JSON value).
std::string message_tool_calls(const RequestJson &message, size_t i);

// Every rule name of `gbnf` prefixed with `prefix` (strings, character
// classes, {m,n} repetitions and comments left alone), so that several grammars share a file.
std::string prefix_rules(const std::string &gbnf, const std::string &prefix);

} // namespace serve
