// Stop-string matcher (see stop_matcher.h).
#include "chat/stop_matcher.h"

#include <algorithm>

namespace loom {

// The longest tail of held_ that is a proper prefix of some stop string.
size_t StopMatcher::held_prefix_length() const {
    size_t best = 0;
    for (const std::string &s : stops_) {
        size_t n = std::min(held_.size(), s.empty() ? 0 : s.size() - 1);
        for (; n > best; --n)
            if (held_.compare(held_.size() - n, n, s, 0, n) == 0) break;
        best = std::max(best, n);
    }
    return best;
}

bool StopMatcher::push(std::string_view text, std::string *release) {
    release->clear();
    if (stopped_) return true;
    held_.append(text);
    size_t first = std::string::npos;
    for (const std::string &s : stops_)
        if (!s.empty()) first = std::min(first, held_.find(s));
    if (first != std::string::npos) {
        release->assign(held_, 0, first);
        held_.clear();
        stopped_ = true;
        return true;
    }
    size_t keep = held_prefix_length();
    release->assign(held_, 0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return false;
}

void StopMatcher::flush(std::string *release) {
    release->clear();
    if (!stopped_) release->swap(held_);
    held_.clear();
}

void StopMatcher::reset() {
    held_.clear();
    stopped_ = false;
}

} // namespace loom
