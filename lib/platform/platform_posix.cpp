// platform.h on Linux and other POSIX systems.
#include "platform/platform.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace loom::platform {

namespace {

Status io_error(const char *what, const std::string &path, int err) {
    return error(LOOM_ERR_IO, "cannot %s '%s': %s", what, path.c_str(), std::strerror(err));
}

// A number from a one-line file (cgroup v2 memory.max, v1 memory.limit_in_bytes); 0 if none.
uint64_t read_limit_file(const char *path) {
    FILE *f = std::fopen(path, "r");
    if (!f) return 0;
    unsigned long long v = 0;
    const int n = std::fscanf(f, "%llu", &v);   // "max" (no limit) does not parse
    std::fclose(f);
    return n == 1 ? uint64_t(v) : 0;
}

// The smaller of two limits, 0 meaning none.
uint64_t tighter(uint64_t a, uint64_t b) { return a && b ? std::min(a, b) : a | b; }

// A process's cgroup paths (`proc_cgroup`: /proc/self/cgroup's format): the
// v1 memory controller's and the v2 unified hierarchy's; unchanged when absent.
void own_cgroups(const std::string &proc_cgroup, std::string *v1_memory, std::string *v2) {
    FILE *f = std::fopen(proc_cgroup.c_str(), "r");
    if (!f) return;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, f)) {
        std::string line(buf);
        if (!line.empty() && line.back() == '\n') line.pop_back();
        const size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos) continue;
        const std::string controllers = "," + line.substr(a + 1, b - a - 1) + ",";
        if (line.compare(0, a, "0") == 0 && controllers == ",,") *v2 = line.substr(b + 1);
        else if (controllers.find(",memory,") != std::string::npos) *v1_memory = line.substr(b + 1);
    }
    std::fclose(f);
}

// The tightest `file` limit of cgroup `path` (under the mount `root`) and of
// its ancestors: a limit on a parent binds the children. Without a cgroup
// namespace the path is the full one (a container's, a systemd service's).
uint64_t cgroup_limit(const std::string &root, std::string path, const char *file) {
    uint64_t lim = 0;
    if (path == "/") path.clear();
    for (;;) {
        lim = tighter(lim, read_limit_file((root + path + "/" + file).c_str()));
        if (path.empty()) return lim;
        path.erase(path.rfind('/'));
    }
}

} // namespace

ReadOnlyFile::~ReadOnlyFile() {
    if (handle_ >= 0) ::close(static_cast<int>(handle_));
}

Status ReadOnlyFile::open(const std::string &path) {
    path_ = path;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("open", path, errno);
    handle_ = fd;
    struct stat st;
    if (::fstat(fd, &st) != 0) return io_error("stat", path, errno);
    regular_ = S_ISREG(st.st_mode);
    size_ = st.st_size < 0 ? 0 : static_cast<uint64_t>(st.st_size);
    return Status::ok();
}

Status ReadOnlyFile::read_at(uint64_t offset, void *dst, size_t n, size_t *got) const {
    for (;;) {
        ssize_t r = ::pread(static_cast<int>(handle_), dst, n, static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return io_error("read", path_, errno);
        *got = static_cast<size_t>(r);
        return Status::ok();
    }
}

void *ReadOnlyFile::map_whole(std::string *why) const {
    void *m = ::mmap(nullptr, static_cast<size_t>(size_), PROT_READ, MAP_PRIVATE, static_cast<int>(handle_), 0);
    if (m != MAP_FAILED) return m;
    *why = std::strerror(errno);
    return nullptr;
}

void unmap_file(void *base, size_t size) {
    if (base) ::munmap(base, size);
}

size_t page_size() {
    const long ps = ::sysconf(_SC_PAGESIZE);
    return ps > 0 ? static_cast<size_t>(ps) : 4096;
}

void drop_mapped_pages(void *p, size_t n) { ::madvise(p, n, MADV_DONTNEED); }

void advise_random_access(void *p, size_t n, bool random) { ::madvise(p, n, random ? MADV_RANDOM : MADV_NORMAL); }

size_t pages_bytes(size_t size) {
    const size_t page = page_size();
    return size > SIZE_MAX - page ? SIZE_MAX : (size + page - 1) / page * page;
}

void *alloc_pages(size_t size) {
    const size_t bytes = pages_bytes(size);
    if (size == 0 || bytes == SIZE_MAX) return nullptr;
#if defined(MADV_HUGEPAGE)
    constexpr size_t kHuge = size_t(2) << 20;
    if (bytes >= kHuge && bytes <= SIZE_MAX - kHuge) {
        // Reserve 2 MiB more, keep the 2 MiB-aligned part: huge pages need
        // an aligned range of the mapping.
        void *r = ::mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (r == MAP_FAILED) return nullptr;
        const uintptr_t base = reinterpret_cast<uintptr_t>(r);
        const uintptr_t at = (base + kHuge - 1) / kHuge * kHuge;
        if (at > base) ::munmap(r, at - base);
        const uintptr_t end = base + bytes + kHuge;
        if (end > at + bytes) ::munmap(reinterpret_cast<void *>(at + bytes), end - (at + bytes));
        ::madvise(reinterpret_cast<void *>(at), bytes / kHuge * kHuge, MADV_HUGEPAGE);   // a hint: failure changes nothing
        return reinterpret_cast<void *>(at);
    }
#endif
    void *p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

void free_pages(void *p, size_t size) {
    if (p) ::munmap(p, pages_bytes(size));
}

FILE *fopen_utf8(const char *path, const char *mode) { return std::fopen(path, mode); }

bool replace_file(const std::string &from, const std::string &to) {
    return std::rename(from.c_str(), to.c_str()) == 0;
}

void *aligned_malloc(size_t align, size_t size) { return std::aligned_alloc(align, size); }

void aligned_free(void *p) { std::free(p); }

void *open_library(const char *name, std::string *why) {
    void *lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = ::dlerror();
        *why = e ? e : "unknown dlopen error";
    }
    return lib;
}

void *library_symbol(void *lib, const char *name) { return ::dlsym(lib, name); }

void close_library(void *lib) {
    if (lib) ::dlclose(lib);
}

uint64_t physical_memory_bytes() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
}

uint64_t cgroup_memory_limit(const std::string &proc_cgroup, const std::string &sys_root) {
    std::string v1, v2;
    own_cgroups(proc_cgroup, &v1, &v2);
    return tighter(cgroup_limit(sys_root, v2, "memory.max"),
                   cgroup_limit(sys_root + "/memory", v1, "memory.limit_in_bytes"));
}

uint64_t process_memory_limit() {
    uint64_t lim = cgroup_memory_limit("/proc/self/cgroup", "/sys/fs/cgroup");
    struct rlimit rl {};
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) lim = tighter(lim, uint64_t(rl.rlim_cur));
    return lim;
}

} // namespace loom::platform
