// Status: the error value every fallible function in the core returns.
// The C API layer (lib/api) turns it into a loom_status plus the thread's
// last-error message; nothing in the core throws across that line.
#pragma once

#include "loom.h"

#include <string>
#include <utility>

// printf-style format checking. MinGW's `printf` archetype is msvcrt's, which
// knows no %zu; loom formats with the C99 printf (libstdc++ selects MinGW's
// own, __USE_MINGW_ANSI_STDIO), so it is checked as gnu_printf there.
#if defined(__MINGW32__)
#define LOOM_PRINTF_FORMAT(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#else
#define LOOM_PRINTF_FORMAT(fmt, args) __attribute__((format(printf, fmt, args)))
#endif

namespace loom {

class [[nodiscard]] Status {
public:
    Status() = default;
    Status(loom_status code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok() { return {}; }

    bool is_ok() const { return code_ == LOOM_OK; }
    explicit operator bool() const { return is_ok(); }
    loom_status code() const { return code_; }
    const std::string &message() const { return message_; }

private:
    loom_status code_ = LOOM_OK;
    std::string message_;
};

// printf-style message builder for error paths.
std::string format(const char *fmt, ...) LOOM_PRINTF_FORMAT(1, 2);

// Status with a formatted message: return error(LOOM_ERR_FORMAT, "tensor '%s' ...", name);
Status error(loom_status code, const char *fmt, ...) LOOM_PRINTF_FORMAT(2, 3);

} // namespace loom

// Propagate a failed Status to the caller.
#define LOOM_TRY(expr)                                                                             \
    do {                                                                                           \
        ::loom::Status loom_try_status_ = (expr);                                                  \
        if (!loom_try_status_.is_ok()) return loom_try_status_;                                    \
    } while (0)
