#include "common/host_memory.h"

#include <algorithm>
#include <cstdio>

#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace loom {

namespace {

#if defined(_WIN32)
uint64_t physical_bytes() {
    MEMORYSTATUSEX st{};
    st.dwLength = sizeof st;
    return GlobalMemoryStatusEx(&st) ? uint64_t(st.ullTotalPhys) : 0;
}
uint64_t process_limits() { return 0; }
#else
uint64_t physical_bytes() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
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

uint64_t process_limits() {
    uint64_t lim = 0;
    auto take = [&lim](uint64_t v) {
        if (v) lim = lim ? std::min(lim, v) : v;
    };
    take(read_limit_file("/sys/fs/cgroup/memory.max"));
    take(read_limit_file("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    struct rlimit rl {};
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) take(uint64_t(rl.rlim_cur));
    return lim;
}
#endif

} // namespace

uint64_t host_memory_limit() {
    const uint64_t phys = physical_bytes(), lim = process_limits();
    if (!phys) return lim;
    return lim ? std::min(phys, lim) : phys;
}

} // namespace loom
