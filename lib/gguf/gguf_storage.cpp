#include "gguf/gguf_storage.h"

#include "common/log.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace loom {

namespace {

constexpr size_t kPageAlign = 4096;             // heap copies start page-aligned, like a mapping
constexpr size_t kReadChunk = size_t(16) << 20; // progress granularity when reading

// Closes a descriptor on scope exit.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

Status io_error(const char *what, const std::string &path, int err) {
    return error(LOOM_ERR_IO, "cannot %s '%s': %s", what, path.c_str(), std::strerror(err));
}

Status open_regular(const std::string &path, Fd *fd, size_t *size) {
    fd->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd->fd < 0) return io_error("open", path, errno);
    struct stat st;
    if (::fstat(fd->fd, &st) != 0) return io_error("stat", path, errno);
    if (!S_ISREG(st.st_mode)) return error(LOOM_ERR_IO, "cannot open '%s': not a regular file", path.c_str());
    if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > SIZE_MAX)
        return error(LOOM_ERR_IO, "cannot open '%s': file too large for this address space", path.c_str());
    *size = static_cast<size_t>(st.st_size);
    if (*size == 0) return error(LOOM_ERR_FORMAT, "'%s' is empty (0 bytes): not a GGUF file", path.c_str());
    return Status::ok();
}

Status read_all(int fd, const std::string &path, uint8_t *dst, size_t size, const GgufStorage::Progress &progress) {
    size_t done = 0;
    while (done < size) {
        size_t want = size - done < kReadChunk ? size - done : kReadChunk;
        ssize_t got = ::pread(fd, dst + done, want, static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return io_error("read", path, errno);
        if (got == 0)
            return error(LOOM_ERR_IO, "cannot read '%s': file shrank to %zu bytes while reading (expected %zu)",
                         path.c_str(), done, size);
        done += static_cast<size_t>(got);
        if (progress && !progress(done, size))
            return error(LOOM_ERR_CANCELLED, "reading '%s' cancelled by the progress callback after %zu of %zu bytes",
                         path.c_str(), done, size);
    }
    return Status::ok();
}

} // namespace

GgufStorage::~GgufStorage() {
    if (mapping_) ::munmap(mapping_, size_);
    std::free(owned_);
}

Status GgufStorage::allocate(size_t size, const std::string &what, std::unique_ptr<GgufStorage> *out) {
    size_t rounded = 0;
    if (__builtin_add_overflow(size, kPageAlign - 1, &rounded))
        return error(LOOM_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes for %s", size, what.c_str());
    rounded &= ~(kPageAlign - 1);
    if (rounded == 0) rounded = kPageAlign; // aligned_alloc(…, 0) may return NULL
    std::unique_ptr<GgufStorage> s(new GgufStorage());
    s->owned_ = std::aligned_alloc(kPageAlign, rounded);
    if (!s->owned_) return error(LOOM_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes for %s", size, what.c_str());
    s->data_ = static_cast<const uint8_t *>(s->owned_);
    s->size_ = size;
    *out = std::move(s);
    return Status::ok();
}

Status GgufStorage::from_file(const std::string &path, bool use_mmap, const Progress &progress,
                              std::unique_ptr<GgufStorage> *out) {
    Fd fd;
    size_t size = 0;
    LOOM_TRY(open_regular(path, &fd, &size));
    if (use_mmap) {
        void *m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.fd, 0);
        if (m != MAP_FAILED) {
            std::unique_ptr<GgufStorage> s(new GgufStorage());
            s->mapping_ = m;
            s->data_ = static_cast<const uint8_t *>(m);
            s->size_ = size;
            if (progress && !progress(size, size))
                return error(LOOM_ERR_CANCELLED, "opening '%s' cancelled by the progress callback", path.c_str());
            *out = std::move(s);
            return Status::ok();
        }
        log(nullptr, LOOM_LOG_DEBUG, "mmap of '%s' failed (%s); reading it into memory", path.c_str(),
            std::strerror(errno));
    }
    std::unique_ptr<GgufStorage> s;
    LOOM_TRY(allocate(size, "'" + path + "'", &s));
    LOOM_TRY(read_all(fd.fd, path, static_cast<uint8_t *>(s->owned_), size, progress));
    *out = std::move(s);
    return Status::ok();
}

void GgufStorage::release_pages(const void *p, size_t n) const {
    const auto *b = static_cast<const uint8_t *>(p);
    if (!mapping_ || b < data_ || n > size_ || size_t(b - data_) > size_ - n) return;
    const long ps = ::sysconf(_SC_PAGESIZE);
    if (ps <= 0) return;
    const size_t page = static_cast<size_t>(ps);
    const uintptr_t lo = (reinterpret_cast<uintptr_t>(b) + page - 1) / page * page;
    const uintptr_t hi = (reinterpret_cast<uintptr_t>(b) + n) / page * page;
    // A private read-only file mapping: dropped pages fault back in from the
    // file, so this only changes residency. Failure changes nothing.
    if (hi > lo) ::madvise(reinterpret_cast<void *>(lo), hi - lo, MADV_DONTNEED);
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
    if (size) std::memcpy(s->owned_, data, size);
    *out = std::move(s);
    return Status::ok();
}

} // namespace loom
