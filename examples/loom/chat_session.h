// The state of `loom chat`: the conversation (messages in order, an optional
// system message first) and what the KV cache holds of its rendered text.
// Each turn decodes only the text not cached yet; when the next turn does not
// fit the context, the oldest turns are dropped (the system message stays).
#pragma once

#include "infer_common.h"

#include <string>
#include <vector>

namespace cli {

struct Message {
    std::string role, content;
};

struct ChatSession {
    const loom_model *m = nullptr;
    loom_context *ctx = nullptr;
    loom_batch *batch = nullptr;
    uint32_t n_batch = 512;
    std::vector<Message> messages;
    std::string cached_text;   // rendered text whose tokens are in the cache
    int32_t n_past = 0;

    // The conversation in the chat template; `generation_prompt`: ends with the assistant's header.
    loom_status render(bool generation_prompt, std::string *out) const;
    // Tokens of `full` still to decode (all of it when the cache is not a prefix of it).
    loom_status pending(const std::string &full, std::vector<int32_t> *tokens, bool *from_scratch) const;
    // Cells the next decode of `full` would need in total.
    loom_status cells_needed(const std::string &full, size_t *out) const;
    // Decodes the part of `full` not yet cached. On error (or cancel) the cache is emptied.
    loom_status feed(const std::string &full);
    // Empties the cache (the conversation stays).
    void forget_cache();
    // Removes the oldest user/assistant exchange (never the system message); false if none is left but the last.
    bool drop_oldest_turn();
    // Index of the first non-system message.
    size_t first_turn() const { return !messages.empty() && messages[0].role == "system" ? 1 : 0; }
};

// Messages as JSON ([{"role": ..., "content": ...}], the chat-template input) and back.
std::string messages_to_json(const std::vector<Message> &messages);
bool messages_from_json(const std::string &text, std::vector<Message> *out, std::string *why);

} // namespace cli
