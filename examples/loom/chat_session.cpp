#include "chat_session.h"

#include "generate.h"

#include <nlohmann/json.hpp>

namespace cli {

loom_status ChatSession::render(bool generation_prompt, std::string *out) const {
    std::vector<const char *> r, c;
    for (const Message &msg : messages) {
        r.push_back(msg.role.c_str());
        c.push_back(msg.content.c_str());
    }
    const int32_t flags = generation_prompt ? LOOM_CHAT_ADD_GENERATION_PROMPT : 0;
    size_t n = 0;
    loom_status st = loom_chat_apply(m, r.data(), c.data(), r.size(), flags, nullptr, 0, &n);
    if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) return st;
    out->assign(n, '\0');
    return loom_chat_apply(m, r.data(), c.data(), r.size(), flags, &(*out)[0], n, &n);
}

loom_status ChatSession::pending(const std::string &full, std::vector<int32_t> *tokens, bool *from_scratch) const {
    *from_scratch = full.compare(0, cached_text.size(), cached_text) != 0;
    return tokenize(m, *from_scratch ? full : full.substr(cached_text.size()), tokens);
}

loom_status ChatSession::cells_needed(const std::string &full, size_t *out) const {
    std::vector<int32_t> tokens;
    bool scratch = false;
    loom_status st = pending(full, &tokens, &scratch);
    *out = tokens.size() + (scratch ? 0 : size_t(n_past));
    return st;
}

void ChatSession::forget_cache() {
    loom_kv_clear(ctx);
    n_past = 0;
    cached_text.clear();
}

loom_status ChatSession::feed(const std::string &full) {
    std::vector<int32_t> tokens;
    bool scratch = false;
    loom_status st = pending(full, &tokens, &scratch);
    if (st != LOOM_OK) return st;
    if (scratch) forget_cache();
    if (tokens.empty()) return LOOM_OK;
    st = decode_tokens(ctx, batch, tokens, n_past, n_batch, false);
    if (st != LOOM_OK) {
        // A partly decoded delta leaves the cache ahead of cached_text: start over next time.
        forget_cache();
        return st;
    }
    n_past += int32_t(tokens.size());
    cached_text = full;
    return LOOM_OK;
}

bool ChatSession::drop_oldest_turn() {
    size_t first = first_turn();
    if (messages.size() - first <= 1) return false;   // only the newest message is left
    // An exchange: the user message and the replies up to the next user message.
    size_t end = first + 1;
    while (end < messages.size() - 1 && messages[end].role != "user") end++;
    messages.erase(messages.begin() + long(first), messages.begin() + long(end));
    return true;
}

std::string messages_to_json(const std::vector<Message> &messages) {
    nlohmann::json j = nlohmann::json::array();
    for (const Message &msg : messages) j.push_back({{"role", msg.role}, {"content", msg.content}});
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

bool messages_from_json(const std::string &text, std::vector<Message> *out, std::string *why) {
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) return *why = "not valid JSON", false;
    if (!doc.is_array()) return *why = "expected a JSON array of messages", false;
    std::vector<Message> msgs;
    for (size_t i = 0; i < doc.size(); ++i) {
        const nlohmann::json &e = doc[i];
        if (!e.is_object() || !e.contains("role") || !e["role"].is_string() || !e.contains("content") ||
            !e["content"].is_string())
            return *why = "message " + std::to_string(i) + " needs string \"role\" and \"content\"", false;
        msgs.push_back({e["role"].get<std::string>(), e["content"].get<std::string>()});
    }
    *out = std::move(msgs);
    return true;
}

} // namespace cli
