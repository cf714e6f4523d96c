// Where a GGUF file's bytes live: a read-only mmap of the file, a page-aligned
// heap copy (read from the file or copied from a caller's buffer), or a
// caller's buffer borrowed as is.
#pragma once

#include "common/host_alloc.h"
#include "common/status.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace loom {

class GgufStorage {
public:
    // (bytes done, bytes total) -> false to cancel.
    using Progress = std::function<bool(uint64_t, uint64_t)>;

    // use_mmap: map the file, falling back to reading it when mapping fails.
    // Reading reports progress per chunk; a mapping reports once, when done.
    static Status from_file(const std::string &path, bool use_mmap, const Progress &progress,
                            std::unique_ptr<GgufStorage> *out);
    static Status from_memory(const void *data, size_t size, bool copy, std::unique_ptr<GgufStorage> *out);

    GgufStorage(const GgufStorage &) = delete;
    GgufStorage &operator=(const GgufStorage &) = delete;
    ~GgufStorage();

    const uint8_t *data() const { return data_; }
    size_t size() const { return size_; }
    bool is_mapped() const { return mapping_ != nullptr; }
    // See GgufFile::release_pages.
    void release_pages(const void *p, size_t n) const;
    // See GgufFile::advise_random.
    void advise_random(const void *p, size_t n, bool random) const;

private:
    GgufStorage() = default;
    static Status allocate(size_t size, const std::string &what, std::unique_ptr<GgufStorage> *out);

    const uint8_t *data_ = nullptr;
    size_t size_ = 0;
    void *mapping_ = nullptr;   // platform::unmap_file
    HostBlock owned_;           // a heap copy (host_alloc)
};

} // namespace loom
