#include "task.h"

#include <chrono>

namespace serve {

void Channel::push(Event e) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (!e.finish_reason.empty()) n_finished_++;
        events_.push_back(std::move(e));
    }
    cv_.notify_all();
}

bool Channel::pop(std::vector<Event> *out, int timeout_ms) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !events_.empty(); });
    while (!events_.empty()) {
        out->push_back(std::move(events_.front()));
        events_.pop_front();
    }
    return n_finished_ < n_choices_;
}

} // namespace serve
