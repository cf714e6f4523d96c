// OpenAI request bodies -> validated GenRequest / embedding inputs. Every
// wrong type or out-of-range value throws ApiError 400 naming the field;
// unknown fields are ignored, as the OpenAI API does. Chat messages are
// rendered with loom_chat_apply (ChatML) and tokenized with special tokens.
#pragma once

#include "api_error.h"
#include "task.h"

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
};

struct ParsedRequest {
    GenRequest gen;
    bool stream = false, include_usage = false;
    std::string model;
};

ParsedRequest parse_chat_request(const loom_model *model, const nlohmann::json &body, const RequestLimits &limits);
ParsedRequest parse_completion_request(const loom_model *model, const nlohmann::json &body,
                                       const RequestLimits &limits);

struct EmbeddingsRequest {
    std::vector<std::vector<int32_t>> inputs;   // tokenized
    std::string model;
    bool base64 = false;                        // encoding_format "base64": little-endian float32 bytes
};
EmbeddingsRequest parse_embeddings_request(const loom_model *model, const nlohmann::json &body,
                                           const RequestLimits &limits);

// Parses a request body; malformed JSON or a non-object is ApiError 400.
nlohmann::json parse_body(const std::string &body);

} // namespace serve
