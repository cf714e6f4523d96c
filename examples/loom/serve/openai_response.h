// Response bodies in the OpenAI shapes: chat.completion, text_completion,
// their streaming chunks, usage, logprobs, embeddings, models and errors.
// Serialise with dump_json (invalid UTF-8 in generated text is replaced,
// never thrown).
#pragma once

#include "api_error.h"
#include "task.h"
#include "tool_call_parser.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace serve {

struct ResponseMeta {
    bool chat = true;
    std::string id, model;
    int64_t created = 0;
};

// One finished choice, accumulated from its events.
struct ChoiceResult {
    std::string text;
    std::vector<TokenLogprob> logprobs;
    std::string finish_reason;
    std::vector<ToolCall> tool_calls;   // chat with tools: message.tool_calls (content null when text is empty)
};

struct Usage {
    int32_t prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
};

ResponseMeta new_meta(bool chat, const std::string &model);
nlohmann::json usage_json(const Usage &u);
nlohmann::json completion_json(const ResponseMeta &meta, const std::vector<ChoiceResult> &choices, bool logprobs,
                               const Usage &usage);
// A streaming chunk for one choice: `first` adds the assistant role (chat);
// finish_reason empty means null.
nlohmann::json chunk_json(const ResponseMeta &meta, int32_t index, const std::string &text,
                          const std::vector<TokenLogprob> *logprobs, const std::string &finish_reason, bool first);
// The chunks announcing tool call `call` as number `k` of choice `index`:
// id, type and name with empty arguments, then the arguments (what the
// openai clients' stream helpers accumulate).
std::vector<nlohmann::json> tool_call_chunks(const ResponseMeta &meta, int32_t index, size_t k, const ToolCall &call);
// The last chunk of stream_options.include_usage: no choices, the usage.
nlohmann::json usage_chunk_json(const ResponseMeta &meta, const Usage &usage);
nlohmann::json error_json(const ApiError &e);
// base64: each vector as the base64 of its little-endian float32 bytes (what the openai clients ask for).
nlohmann::json embeddings_json(const std::vector<std::vector<float>> &vectors, const std::string &model,
                               int32_t prompt_tokens, bool base64);
nlohmann::json models_json(const std::string &model, int64_t created);

std::string dump_json(const nlohmann::json &j);

} // namespace serve
