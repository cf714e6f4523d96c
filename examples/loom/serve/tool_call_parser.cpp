#include "tool_call_parser.h"

#include <nlohmann/json.hpp>

namespace serve {

namespace {

constexpr std::string_view kOpen = "<tool_call>", kClose = "</tool_call>";

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// The length of the longest suffix of `s` that is a proper prefix of `tag`.
size_t partial_tag(std::string_view s, std::string_view tag) {
    for (size_t n = std::min(s.size(), tag.size() - 1); n > 0; n--)
        if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
    return 0;
}

} // namespace

ToolCallParser::ToolCallParser() : rng_(std::random_device{}()) {}

std::string ToolCallParser::new_id() {
    static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string id = "call_";
    for (int i = 0; i < 24; i++) id += kChars[rng_() % (sizeof kChars - 1)];
    return id;
}

// Content with whitespace runs held until the next visible character: a run
// that turns out to touch a call is dropped.
void ToolCallParser::text_out(std::string_view text, std::string *content) {
    for (char c : text) {
        if (is_space(c)) {
            if (!after_call_) pending_ws_ += c;
            continue;
        }
        content->append(pending_ws_);
        pending_ws_.clear();
        after_call_ = false;
        content->push_back(c);
    }
}

void ToolCallParser::call_out(std::string_view body, bool closed, std::string *content,
                              std::vector<ToolCall> *calls) {
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse(body.begin(), body.end(), nullptr, false);
    const bool ok = j.is_object() && j.contains("name") && j["name"].is_string() && !j["name"].get<std::string>().empty();
    if (!ok) {   // not a call: the block stays text
        text_out(std::string(kOpen) + std::string(body) + std::string(closed ? kClose : ""), content);
        return;
    }
    ToolCall call;
    call.id = new_id();
    call.name = j["name"].get<std::string>();
    auto args = j.find("arguments");
    if (args == j.end() || args->is_null()) call.arguments = "{}";
    else if (args->is_string()) call.arguments = args->get<std::string>();
    else call.arguments = args->dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    calls->push_back(std::move(call));
    pending_ws_.clear();
    after_call_ = any_call_ = true;
}

void ToolCallParser::push(std::string_view text, std::string *content, std::vector<ToolCall> *calls) {
    held_.append(text);
    for (;;) {
        if (!in_call_) {
            size_t at = held_.find(kOpen);
            if (at == std::string::npos) {
                size_t keep = partial_tag(held_, kOpen);
                text_out(std::string_view(held_).substr(0, held_.size() - keep), content);
                held_.erase(0, held_.size() - keep);
                return;
            }
            text_out(std::string_view(held_).substr(0, at), content);   // whitespace before it waits for the call
            held_.erase(0, at + kOpen.size());
            in_call_ = true;
        }
        size_t end = held_.find(kClose);
        if (end == std::string::npos) return;
        call_out(std::string_view(held_).substr(0, end), true, content, calls);
        held_.erase(0, end + kClose.size());
        in_call_ = false;
    }
}

void ToolCallParser::finish(std::string *content, std::vector<ToolCall> *calls) {
    if (in_call_) {   // cut off before </tool_call>: a call if its JSON is whole
        call_out(held_, false, content, calls);
    } else {
        text_out(held_, content);
    }
    held_.clear();
    in_call_ = false;
    if (!any_call_) content->append(pending_ws_);
    pending_ws_.clear();
}

} // namespace serve
