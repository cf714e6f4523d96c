// Caller-sized params structs (the scheme in loom.h's conventions): the
// caller's struct_size travels in, and only min(its size, ours) bytes of a
// caller's struct are ever read or written.
#pragma once

#include "common/status.h"

#include <cstddef>
#include <cstring>

namespace loom {

// Larger struct_size values are taken for garbage, not for a newer header.
constexpr size_t kMaxParamsSize = 64 * 1024;

inline Status check_params_size(size_t size, const char *what) {
    if (size < sizeof(size_t) || size > kMaxParamsSize)
        return error(LOOM_ERR_INVALID_ARGUMENT,
                     "%s.struct_size = %zu is not the size of a params struct; fill it with its default_params function",
                     what, size);
    return Status::ok();
}

// loom_X_default_params_sized: zero the caller's `size` bytes, copy our
// defaults over the part both sides know, and record the caller's size.
template <typename T>
Status write_default_params(T *dst, size_t size, const T &defaults, const char *what) {
    if (!dst) return error(LOOM_ERR_INVALID_ARGUMENT, "%s is NULL", what);
    LOOM_TRY(check_params_size(size, what));
    std::memset(static_cast<void *>(dst), 0, size);
    std::memcpy(static_cast<void *>(dst), static_cast<const void *>(&defaults), size < sizeof(T) ? size : sizeof(T));
    dst->struct_size = size;
    return Status::ok();
}

// Copies a caller's params into `out` (already holding our defaults). NULL
// means defaults. Bytes past the fields we know must be zero: a newer
// caller set a field this library cannot honour.
template <typename T>
Status read_params(const T *in, T *out, const char *what = "params") {
    if (!in) return Status::ok();
    size_t size = in->struct_size;
    LOOM_TRY(check_params_size(size, what));
    const unsigned char *bytes = reinterpret_cast<const unsigned char *>(in);
    for (size_t i = sizeof(T); i < size; i++)
        if (bytes[i] != 0)
            return error(LOOM_ERR_INVALID_ARGUMENT,
                         "%s has a field at byte %zu that this library (loom %s, %zu-byte struct) does not know; "
                         "it was built for a newer loom.h: link a newer libloom or leave the field at its default",
                         what, i, loom_version_string(), sizeof(T));
    std::memcpy(static_cast<void *>(out), static_cast<const void *>(in), size < sizeof(T) ? size : sizeof(T));
    out->struct_size = sizeof(T);
    return Status::ok();
}

} // namespace loom
