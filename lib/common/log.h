// Logging: the only way the core says anything. Goes to a per-handle sink if
// one is set, else to the global callback (loom_set_log_callback), else nowhere.
#pragma once

#include "common/status.h"
#include "loom.h"

namespace loom {

struct LogSink {
    loom_log_fn fn = nullptr;
    void *user_data = nullptr;
};

// Logs through `sink` if it has a callback, else through the global one.
void log(const LogSink *sink, loom_log_level level, const char *fmt, ...)
    LOOM_PRINTF_FORMAT(3, 4);

void set_global_log(loom_log_fn fn, void *user_data);

} // namespace loom
