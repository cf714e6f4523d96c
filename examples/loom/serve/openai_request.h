// OpenAI request bodies -> validated GenRequest / embedding inputs. Every
// wrong type or out-of-range value throws ApiError 400 naming the field;
// unknown fields are ignored, as the OpenAI API does. Chat messages are
// rendered with loom_chat_apply_tools (ChatML, with the request's tools) and
// tokenized with special tokens. Bodies are read keeping their key order
// (ordered_json): the tools are printed into the prompt as written.
#pragma once

#include "api_error.h"
#include "task.h"
#include "tools_request.h"

#include "loom.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace serve {

struct RequestLimits {
    int32_t slot_ctx = 1024;         // a prompt must leave room for one generated token
    int32_t max_prompt_tokens = 0;   // 0: slot_ctx - 1
    int32_t max_tokens = 0;          // cap on max_tokens; 0: none beyond the slot
    int32_t default_max_tokens = -1; // when the request names none (< 0: until the slot is full)
    int32_t max_n = 8;               // choices per request
    int32_t chat_flags = 0;          // extra loom_chat_apply flags (LOOM_CHAT_FORCE_CHATML)
    bool speculative = false;        // speculative decoding: no logprobs (a 400 naming them)
};

struct ParsedRequest {
    GenRequest gen;
    bool stream = false, include_usage = false;
    bool parse_tool_calls = false;   // chat with tools: <tool_call> blocks of the reply become tool_calls
    std::string model;
};

ParsedRequest parse_chat_request(const loom_model *model, const RequestJson &body, const RequestLimits &limits);
ParsedRequest parse_completion_request(const loom_model *model, const RequestJson &body,
                                       const RequestLimits &limits);

struct EmbeddingsRequest {
    std::vector<std::vector<int32_t>> inputs;   // tokenized
    std::string model;
    bool base64 = false;                        // encoding_format "base64": little-endian float32 bytes
};
EmbeddingsRequest parse_embeddings_request(const loom_model *model, const RequestJson &body,
                                           const RequestLimits &limits);

// Parses a request body; malformed JSON or a non-object is ApiError 400.
RequestJson parse_body(const std::string &body);

// A JSON schema as GBNF (the library's converter); its error is a 400 naming `field`.
std::string schema_grammar(const std::string &schema, const std::string &field);

} // namespace serve
