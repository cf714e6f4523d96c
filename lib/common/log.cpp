#include "common/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace loom {

namespace {
// The one piece of global mutable state the library has (STYLE.md rule 9).
std::mutex g_log_mutex;
LogSink g_log;
} // namespace

void set_global_log(loom_log_fn fn, void *user_data) {
    std::lock_guard<std::mutex> lock(g_log_mutex);
    g_log = LogSink{fn, user_data};
}

void log(const LogSink *sink, loom_log_level level, const char *fmt, ...) {
    LogSink target;
    if (sink && sink->fn) {
        target = *sink;
    } else {
        std::lock_guard<std::mutex> lock(g_log_mutex);
        target = g_log;
    }
    if (!target.fn) return;
    char buf[1024];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    target.fn(target.user_data, level, buf);
}

} // namespace loom
