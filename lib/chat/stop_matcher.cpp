// Stop-string matcher (see stop_matcher.h).
#include "chat/stop_matcher.h"

#include <algorithm>

namespace loom {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
    for (std::string &t : stops) {
        if (t.empty()) continue;
        Stop s;
        s.text = std::move(t);
        s.fail.assign(s.text.size(), 0);
        for (size_t i = 1, k = 0; i < s.text.size(); ++i) {
            while (k > 0 && s.text[i] != s.text[k]) k = s.fail[k - 1];
            if (s.text[i] == s.text[k]) ++k;
            s.fail[i] = k;
        }
        stops_.push_back(std::move(s));
    }
}

bool StopMatcher::step(Stop &s, char c) {
    while (s.state > 0 && s.text[s.state] != c) s.state = s.fail[s.state - 1];
    if (s.text[s.state] == c) ++s.state;
    return s.state == s.text.size();
}

bool StopMatcher::push(std::string_view text, std::string *release) {
    release->clear();
    if (stopped_) return true;
    const size_t base = held_.size();
    held_.append(text);
    // The earliest-starting stop string that completes within this text
    // (none can be complete in held_ alone: it would have stopped before).
    size_t first = std::string::npos;
    for (Stop &s : stops_) {
        for (size_t i = 0; i < text.size(); ++i) {
            if (!step(s, text[i])) continue;
            first = std::min(first, base + i + 1 - s.text.size());
            break;
        }
    }
    if (first != std::string::npos) {
        release->assign(held_, 0, first);
        held_.clear();
        stopped_ = true;
        return true;
    }
    size_t keep = 0;
    for (const Stop &s : stops_) keep = std::max(keep, s.state);
    release->assign(held_, 0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return false;
}

void StopMatcher::flush(std::string *release) {
    release->clear();
    if (!stopped_) release->swap(held_);
    held_.clear();
    for (Stop &s : stops_) s.state = 0;
}

void StopMatcher::reset() {
    held_.clear();
    stopped_ = false;
    for (Stop &s : stops_) s.state = 0;
}

} // namespace loom
