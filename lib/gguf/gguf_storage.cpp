#include "gguf/gguf_storage.h"

#include "common/log.h"
#include "platform/platform.h"

#include <cstdlib>
#include <cstring>

namespace loom {

namespace {

constexpr size_t kPageAlign = 4096;             // heap copies start page-aligned, like a mapping
constexpr size_t kReadChunk = size_t(16) << 20; // progress granularity when reading

Status open_regular(const std::string &path, platform::ReadOnlyFile *file, size_t *size) {
    LOOM_TRY(file->open(path));
    if (!file->is_regular()) return error(LOOM_ERR_IO, "cannot open '%s': not a regular file", path.c_str());
    if (file->size() > SIZE_MAX)
        return error(LOOM_ERR_IO, "cannot open '%s': file too large for this address space", path.c_str());
    *size = static_cast<size_t>(file->size());
    if (*size == 0) return error(LOOM_ERR_FORMAT, "'%s' is empty (0 bytes): not a GGUF file", path.c_str());
    return Status::ok();
}

Status read_all(const platform::ReadOnlyFile &file, const std::string &path, uint8_t *dst, size_t size,
                const GgufStorage::Progress &progress) {
    size_t done = 0;
    while (done < size) {
        size_t want = size - done < kReadChunk ? size - done : kReadChunk;
        size_t got = 0;
        LOOM_TRY(file.read_at(done, dst + done, want, &got));
        if (got == 0)
            return error(LOOM_ERR_IO, "cannot read '%s': file shrank to %zu bytes while reading (expected %zu)",
                         path.c_str(), done, size);
        done += got;
        if (progress && !progress(done, size))
            return error(LOOM_ERR_CANCELLED, "reading '%s' cancelled by the progress callback after %zu of %zu bytes",
                         path.c_str(), done, size);
    }
    return Status::ok();
}

} // namespace

GgufStorage::~GgufStorage() {
    platform::unmap_file(mapping_, size_);
}

Status GgufStorage::allocate(size_t size, const std::string &what, std::unique_ptr<GgufStorage> *out) {
    size_t rounded = 0;
    if (__builtin_add_overflow(size, kPageAlign - 1, &rounded))
        return error(LOOM_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes for %s", size, what.c_str());
    rounded &= ~(kPageAlign - 1);
    if (rounded == 0) rounded = kPageAlign; // an aligned allocation of 0 may return NULL
    std::unique_ptr<GgufStorage> s(new GgufStorage());
    if (!s->owned_.allocate(rounded, kPageAlign, false))
        return error(LOOM_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes for %s", size, what.c_str());
    s->data_ = s->owned_.data();
    s->size_ = size;
    *out = std::move(s);
    return Status::ok();
}

Status GgufStorage::from_file(const std::string &path, bool use_mmap, const Progress &progress,
                              std::unique_ptr<GgufStorage> *out) {
    platform::ReadOnlyFile file;
    size_t size = 0;
    LOOM_TRY(open_regular(path, &file, &size));
    std::string why;   // why the mapping failed
    if (use_mmap) {
        if (void *m = file.map_whole(&why)) {
            std::unique_ptr<GgufStorage> s(new GgufStorage());
            s->mapping_ = m;
            s->data_ = static_cast<const uint8_t *>(m);
            s->size_ = size;
            if (progress && !progress(size, size))
                return error(LOOM_ERR_CANCELLED, "opening '%s' cancelled by the progress callback", path.c_str());
            *out = std::move(s);
            return Status::ok();
        }
        log(nullptr, LOOM_LOG_DEBUG, "mmap of '%s' failed (%s); reading it into memory", path.c_str(), why.c_str());
    }
    std::unique_ptr<GgufStorage> s;
    const Status st = allocate(size, "'" + path + "'", &s);
    if (!st && use_mmap)
        return error(LOOM_ERR_OUT_OF_MEMORY,
                     "cannot map '%s' (%s) nor allocate its %zu bytes to read it (a limit on the address space, "
                     "ulimit -v, below the file's size stops both)",
                     path.c_str(), why.c_str(), size);
    LOOM_TRY(st);
    LOOM_TRY(read_all(file, path, s->owned_.data(), size, progress));
    *out = std::move(s);
    return Status::ok();
}

void GgufStorage::release_pages(const void *p, size_t n) const {
    const auto *b = static_cast<const uint8_t *>(p);
    if (!mapping_ || b < data_ || n > size_ || size_t(b - data_) > size_ - n) return;
    const size_t page = platform::page_size();
    const uintptr_t lo = (reinterpret_cast<uintptr_t>(b) + page - 1) / page * page;
    const uintptr_t hi = (reinterpret_cast<uintptr_t>(b) + n) / page * page;
    // A private read-only file mapping: dropped pages fault back in from the
    // file, so this only changes residency. Failure changes nothing.
    if (hi > lo) platform::drop_mapped_pages(reinterpret_cast<void *>(lo), hi - lo);
}

void GgufStorage::advise_random(const void *p, size_t n, bool random) const {
    const auto *b = static_cast<const uint8_t *>(p);
    if (!mapping_ || b < data_ || n > size_ || size_t(b - data_) > size_ - n) return;
    const size_t page = platform::page_size();
    // The pages that hold any of the bytes (a hint may cover a neighbour's edge).
    const uintptr_t lo = reinterpret_cast<uintptr_t>(b) / page * page;
    const uintptr_t hi = (reinterpret_cast<uintptr_t>(b) + n + page - 1) / page * page;
    if (hi > lo) platform::advise_random_access(reinterpret_cast<void *>(lo), hi - lo, random);
}

Status GgufStorage::from_memory(const void *data, size_t size, bool copy, std::unique_ptr<GgufStorage> *out) {
    if (!copy) {
        std::unique_ptr<GgufStorage> s(new GgufStorage());
        s->data_ = static_cast<const uint8_t *>(data);
        s->size_ = size;
        *out = std::move(s);
        return Status::ok();
    }
    std::unique_ptr<GgufStorage> s;
    LOOM_TRY(allocate(size, "a copy of the GGUF buffer", &s));
    if (size) std::memcpy(s->owned_.data(), data, size);
    *out = std::move(s);
    return Status::ok();
}

} // namespace loom
