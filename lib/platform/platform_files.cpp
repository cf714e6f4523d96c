// The file helpers of platform.h that need no OS call of their own.
#include "platform/platform.h"

#include <cerrno>
#include <cstring>
#include <memory>

namespace loom::platform {

namespace {

struct FileCloser {
    void operator()(FILE *f) const { std::fclose(f); }
};

} // namespace

// The FILE is closed on every path, a bad_alloc from the vector included.
Status read_whole_file(const std::string &path, std::vector<uint8_t> *out) {
    std::unique_ptr<FILE, FileCloser> f(fopen_utf8(path.c_str(), "rb"));
    if (!f) return error(LOOM_ERR_IO, "cannot open '%s': %s", path.c_str(), std::strerror(errno));
    std::vector<uint8_t> data;
    uint8_t chunk[1 << 16];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f.get())) > 0) data.insert(data.end(), chunk, chunk + n);
    const int err = std::ferror(f.get()) ? errno : 0;
    f.reset();
    if (err) return error(LOOM_ERR_IO, "cannot read '%s': %s", path.c_str(), std::strerror(err));
    *out = std::move(data);
    return Status::ok();
}

} // namespace loom::platform
