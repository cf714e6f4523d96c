// The extern "C" boundary: every API function body runs inside api_call(),
// which turns a Status into a loom_status, records the thread's last-error
// text, and catches anything thrown (bad_alloc included) so no exception
// crosses the ABI.
#pragma once

#include "common/status.h"

#include <cstring>
#include <new>

namespace loom {

// Stores `s` as the calling thread's last error and returns its code.
loom_status set_last_error(const Status &s);

template <typename F>
loom_status api_call(F &&body) noexcept {
    try {
        Status s = body();
        if (!s.is_ok()) return set_last_error(s);
        return LOOM_OK;
    } catch (const std::bad_alloc &) {
        return set_last_error(Status(LOOM_ERR_OUT_OF_MEMORY, "out of memory"));
    } catch (const std::exception &e) {
        return set_last_error(Status(LOOM_ERR_INTERNAL, std::string("internal error: ") + e.what()));
    } catch (...) {
        return set_last_error(Status(LOOM_ERR_INTERNAL, "internal error: unknown exception"));
    }
}

// Writes `n` bytes of `src` to a (buf, cap) pair with the needed size in *needed.
Status copy_out(const void *src, size_t n, void *buf, size_t cap, size_t *needed);

} // namespace loom

#define LOOM_CHECK_ARG(cond, what)                                                                 \
    do {                                                                                           \
        if (!(cond)) return ::loom::Status(LOOM_ERR_INVALID_ARGUMENT, what);                       \
    } while (0)
