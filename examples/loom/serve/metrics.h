// /metrics: HTTP responses by route and status plus the scheduler's
// counters, in the Prometheus text exposition format (version 0.0.4).
#pragma once

#include "scheduler.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace serve {

class Metrics {
public:
    // Counts one response. Paths other than the served routes count as "other".
    void count_response(const std::string &path, int status);
    std::string prometheus(const SchedulerStats &s, int32_t n_slots) const;

private:
    mutable std::mutex mu_;
    std::map<std::pair<std::string, int>, uint64_t> responses_;
};

} // namespace serve
