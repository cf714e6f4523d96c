#include "openai_response.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

namespace serve {

using nlohmann::json;

namespace {

json bytes_of(const std::string &s) {
    json b = json::array();
    for (unsigned char c : s) b.push_back(int(c));
    return b;
}

json chat_logprobs(const std::vector<TokenLogprob> &lps) {
    json content = json::array();
    for (const TokenLogprob &lp : lps) {
        json top = json::array();
        for (const auto &t : lp.top) top.push_back({{"token", t.first}, {"logprob", t.second}, {"bytes", bytes_of(t.first)}});
        content.push_back({{"token", lp.token}, {"logprob", lp.logprob}, {"bytes", bytes_of(lp.token)}, {"top_logprobs", top}});
    }
    return {{"content", content}};
}

json completion_logprobs(const std::vector<TokenLogprob> &lps, size_t text_offset) {
    json tokens = json::array(), token_logprobs = json::array(), top = json::array(), offsets = json::array();
    for (const TokenLogprob &lp : lps) {
        tokens.push_back(lp.token);
        token_logprobs.push_back(lp.logprob);
        json alts = json::object();
        for (const auto &t : lp.top) alts[t.first] = t.second;
        top.push_back(alts);
        offsets.push_back(text_offset);
        text_offset += lp.token.size();
    }
    return {{"tokens", tokens}, {"token_logprobs", token_logprobs}, {"top_logprobs", top}, {"text_offset", offsets}};
}

json logprobs_of(bool chat, const std::vector<TokenLogprob> *lps, size_t text_offset = 0) {
    if (!lps) return nullptr;
    return chat ? chat_logprobs(*lps) : completion_logprobs(*lps, text_offset);
}

// The little-endian float32 bytes of `v`, base64-encoded (RFC 4648, padded).
std::string base64_floats(const std::vector<float> &v) {
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes(v.size() * 4, '\0');
    for (size_t i = 0; i < v.size(); i++) {
        uint32_t u = 0;
        std::memcpy(&u, &v[i], 4);
        for (int b = 0; b < 4; b++) bytes[i * 4 + size_t(b)] = char((u >> (8 * b)) & 0xff);
    }
    std::string out;
    for (size_t i = 0; i < bytes.size(); i += 3) {
        uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
        if (i + 1 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
        if (i + 2 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 2]));
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
    }
    return out;
}

json finish_of(const std::string &reason) { return reason.empty() ? json(nullptr) : json(reason); }

json chat_message(const ChoiceResult &c) {
    json m = {{"role", "assistant"}, {"content", c.text}, {"refusal", nullptr}};
    if (c.tool_calls.empty()) return m;
    if (c.text.empty()) m["content"] = nullptr;
    json calls = json::array();
    for (const ToolCall &t : c.tool_calls)
        calls.push_back({{"id", t.id}, {"type", "function"}, {"function", {{"name", t.name}, {"arguments", t.arguments}}}});
    m["tool_calls"] = calls;
    return m;
}

json chunk_of(const ResponseMeta &meta, json choice) {
    return {{"id", meta.id}, {"object", meta.chat ? "chat.completion.chunk" : "text_completion"},
            {"created", meta.created}, {"model", meta.model}, {"system_fingerprint", "loom"},
            {"choices", json::array({std::move(choice)})}};
}

} // namespace

ResponseMeta new_meta(bool chat, const std::string &model) {
    static std::atomic<uint64_t> counter{0};
    static const uint64_t boot = std::random_device{}();
    char id[64];
    std::snprintf(id, sizeof id, "%s-%08llx%08llx", chat ? "chatcmpl" : "cmpl", (unsigned long long)(boot & 0xffffffffu),
                  (unsigned long long)counter.fetch_add(1));
    ResponseMeta m;
    m.chat = chat;
    m.id = id;
    m.model = model;
    m.created = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return m;
}

json usage_json(const Usage &u) {
    return {{"prompt_tokens", u.prompt_tokens},
            {"completion_tokens", u.completion_tokens},
            {"total_tokens", u.prompt_tokens + u.completion_tokens},
            {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

json completion_json(const ResponseMeta &meta, const std::vector<ChoiceResult> &choices, bool logprobs,
                     const Usage &usage) {
    json list = json::array();
    for (size_t i = 0; i < choices.size(); i++) {
        const ChoiceResult &c = choices[i];
        json choice = {{"index", i}, {"finish_reason", finish_of(c.finish_reason)},
                       {"logprobs", logprobs_of(meta.chat, logprobs ? &c.logprobs : nullptr)}};
        if (meta.chat) choice["message"] = chat_message(c);
        else choice["text"] = c.text;
        list.push_back(choice);
    }
    return {{"id", meta.id}, {"object", meta.chat ? "chat.completion" : "text_completion"},
            {"created", meta.created}, {"model", meta.model}, {"system_fingerprint", "loom"},
            {"choices", list}, {"usage", usage_json(usage)}};
}

json chunk_json(const ResponseMeta &meta, int32_t index, const std::string &text,
                const std::vector<TokenLogprob> *logprobs, const std::string &finish_reason, bool first) {
    json choice = {{"index", index}, {"finish_reason", finish_of(finish_reason)},
                   {"logprobs", logprobs_of(meta.chat, logprobs)}};
    if (meta.chat) {
        json delta = json::object();
        if (first) delta["role"] = "assistant";
        if (!text.empty() || first) delta["content"] = text;
        choice["delta"] = delta;
    } else {
        choice["text"] = text;
    }
    return chunk_of(meta, std::move(choice));
}

std::vector<json> tool_call_chunks(const ResponseMeta &meta, int32_t index, size_t k, const ToolCall &call) {
    json head = {{"index", k}, {"id", call.id}, {"type", "function"},
                 {"function", {{"name", call.name}, {"arguments", ""}}}};
    json args = {{"index", k}, {"function", {{"arguments", call.arguments}}}};
    std::vector<json> out;
    for (json *t : {&head, &args})
        out.push_back(chunk_of(meta, {{"index", index}, {"finish_reason", nullptr}, {"logprobs", nullptr},
                                      {"delta", {{"tool_calls", json::array({*t})}}}}));
    return out;
}

json usage_chunk_json(const ResponseMeta &meta, const Usage &usage) {
    return {{"id", meta.id}, {"object", meta.chat ? "chat.completion.chunk" : "text_completion"},
            {"created", meta.created}, {"model", meta.model}, {"system_fingerprint", "loom"},
            {"choices", json::array()}, {"usage", usage_json(usage)}};
}

json error_json(const ApiError &e) {
    return {{"error", {{"message", e.what()}, {"type", e.type},
                       {"param", e.param.empty() ? json(nullptr) : json(e.param)},
                       {"code", e.code.empty() ? json(nullptr) : json(e.code)}}}};
}

json embeddings_json(const std::vector<std::vector<float>> &vectors, const std::string &model, int32_t prompt_tokens,
                     bool base64) {
    json data = json::array();
    for (size_t i = 0; i < vectors.size(); i++)
        data.push_back({{"object", "embedding"}, {"index", i},
                        {"embedding", base64 ? json(base64_floats(vectors[i])) : json(vectors[i])}});
    return {{"object", "list"}, {"data", data}, {"model", model},
            {"usage", {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}}};
}

json models_json(const std::string &model, int64_t created) {
    return {{"object", "list"},
            {"data", json::array({{{"id", model}, {"object", "model"}, {"created", created}, {"owned_by", "loom"}}})}};
}

std::string dump_json(const json &j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

} // namespace serve
