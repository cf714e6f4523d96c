// A bounds-carrying read cursor over untrusted little-endian bytes. Every
// read checks by subtraction (`size_t(end - p) < need`), never by adding to a
// pointer, and every failure names what was being read and at which byte
// offset of the file.
#pragma once

#include "common/status.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace loom {

class GgufCursor {
public:
    GgufCursor(const uint8_t *begin, size_t size) : begin_(begin), p_(begin), end_(begin + size) {}

    size_t offset() const { return static_cast<size_t>(p_ - begin_); }
    size_t remaining() const { return static_cast<size_t>(end_ - p_); }

    // Takes `n` bytes; *out points at them (inside the input).
    Status take(size_t n, const uint8_t **out, const char *what) {
        if (remaining() < n)
            return error(LOOM_ERR_FORMAT, "file truncated: %s needs %zu bytes at offset %zu, only %zu left", what, n,
                         offset(), remaining());
        *out = p_;
        p_ += n;
        return Status::ok();
    }

    // Fixed-size little-endian scalar (the host is little-endian; checked at build time below).
    template <typename T>
    Status read(T *out, const char *what) {
        const uint8_t *p = nullptr;
        LOOM_TRY(take(sizeof(T), &p, what));
        std::memcpy(out, p, sizeof(T));
        return Status::ok();
    }

    // A GGUF string: u64 byte length, then the bytes (not NUL-terminated).
    // The length is checked against what is left and against `max_len`
    // before anything is allocated.
    Status read_string(std::string *out, size_t max_len, const char *what) {
        size_t at = offset();
        uint64_t len = 0;
        LOOM_TRY(read(&len, what));
        if (len > max_len)
            return error(LOOM_ERR_FORMAT, "%s at offset %zu: length %llu exceeds the limit of %zu bytes", what, at,
                         static_cast<unsigned long long>(len), max_len);
        if (len > remaining())
            return error(LOOM_ERR_FORMAT, "file truncated: %s at offset %zu has length %llu, only %zu bytes left",
                         what, at, static_cast<unsigned long long>(len), remaining());
        const uint8_t *p = nullptr;
        LOOM_TRY(take(static_cast<size_t>(len), &p, what));
        out->assign(reinterpret_cast<const char *>(p), static_cast<size_t>(len));
        return Status::ok();
    }

private:
    const uint8_t *begin_;
    const uint8_t *p_;
    const uint8_t *end_;
};

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the GGUF reader assumes a little-endian host");

} // namespace loom
