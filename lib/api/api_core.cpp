// Version, status strings, last error, global log callback.
#include "api/guard.h"
#include "common/host_alloc.h"
#include "common/log.h"

#include <cstring>

#define LOOM_STR_(x) #x
#define LOOM_STR(x) LOOM_STR_(x)
#define LOOM_VERSION_STRING LOOM_STR(LOOM_VERSION_MAJOR) "." LOOM_STR(LOOM_VERSION_MINOR) "." LOOM_STR(LOOM_VERSION_PATCH)

namespace loom {

namespace {
// A plain buffer, not a std::string: recording an error allocates nothing
// (it runs when memory is short), and a thread_local with a destructor would
// register it through a glibc calloc whose failure aborts the process.
constexpr size_t kLastErrorBytes = 2048;
thread_local char t_last_error[kLastErrorBytes];
} // namespace

loom_status set_last_error(const Status &s) {
    const char *text = s.message().empty() ? loom_status_string(s.code()) : s.message().c_str();
    size_t n = std::strlen(text);
    if (n >= kLastErrorBytes) {   // cut a longer message at a UTF-8 character boundary
        n = kLastErrorBytes - 1;
        while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) n--;
    }
    std::memcpy(t_last_error, text, n);
    t_last_error[n] = '\0';
    return s.code();
}

Status copy_out(const void *src, size_t n, void *buf, size_t cap, size_t *needed) {
    LOOM_CHECK_ARG(needed != nullptr, "size out-parameter is NULL");
    *needed = n;
    if (cap < n)
        return error(LOOM_ERR_BUFFER_TOO_SMALL, "buffer of %zu bytes is too small; %zu needed", cap, n);
    LOOM_CHECK_ARG(buf != nullptr || n == 0, "output buffer is NULL");
    if (n) std::memcpy(buf, src, n);
    return Status::ok();
}

} // namespace loom

extern "C" {

LOOM_API uint32_t loom_version(void) { return LOOM_VERSION; }

LOOM_API const char *loom_version_string(void) { return LOOM_VERSION_STRING; }

LOOM_API const char *loom_status_string(loom_status status) {
    switch (status) {
    case LOOM_OK: return "ok";
    case LOOM_ERR_INVALID_ARGUMENT: return "invalid argument";
    case LOOM_ERR_OUT_OF_MEMORY: return "out of memory";
    case LOOM_ERR_IO: return "i/o error";
    case LOOM_ERR_FORMAT: return "malformed input";
    case LOOM_ERR_UNSUPPORTED: return "unsupported";
    case LOOM_ERR_NOT_FOUND: return "not found";
    case LOOM_ERR_TYPE_MISMATCH: return "type mismatch";
    case LOOM_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case LOOM_ERR_CANCELLED: return "cancelled";
    case LOOM_ERR_CONTEXT_FULL: return "context full";
    case LOOM_ERR_BACKEND: return "backend failure";
    case LOOM_ERR_INTERNAL: return "internal error";
    default: return "unknown status";
    }
}

LOOM_API const char *loom_last_error(void) { return loom::t_last_error; }

LOOM_API void loom_set_log_callback(loom_log_fn fn, void *user_data) { loom::set_global_log(fn, user_data); }

LOOM_API loom_status loom_set_allocator(const loom_allocator *allocator) {
    return loom::api_call([&] { return loom::set_host_allocator(allocator); });
}

} // extern "C"
