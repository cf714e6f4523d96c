// The machine's read bandwidth now: `threads` threads each stream their
// share of one buffer (default 1 GiB, in transparent huge pages as loom's
// weight copies are) with plain vector loads, best of `reps` passes. The
// decode of a model that outgrows the caches cannot read its weights
// faster, so compare.sh measures it beside each round to tell how near the
// wall each tool's decode runs (shared machines move it by 2x in minutes).
//
//   read_bandwidth [THREADS=2] [MIB=1024] [REPS=5]   ->  "read 2 threads 35.4 GB/s"
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <thread>
#include <vector>

namespace {

using V = uint64_t __attribute__((vector_size(64)));   // whatever loads the compiler's ISA has

uint64_t stream(const uint8_t *p, size_t n) {
    V a = {}, b = {}, c = {}, d = {};
    for (size_t i = 0; i + 256 <= n; i += 256) {
        V x, y, z, w;
        std::memcpy(&x, p + i, 64);
        std::memcpy(&y, p + i + 64, 64);
        std::memcpy(&z, p + i + 128, 64);
        std::memcpy(&w, p + i + 192, 64);
        a ^= x;
        b ^= y;
        c ^= z;
        d ^= w;
    }
    a ^= b ^ c ^ d;
    uint64_t s = 0;
    for (int i = 0; i < 8; i++) s ^= a[i];
    return s;
}

} // namespace

int main(int argc, char **argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    const size_t mib = argc > 2 ? size_t(std::atoll(argv[2])) : 1024;
    const int reps = argc > 3 ? std::atoi(argv[3]) : 5;
    if (threads < 1 || threads > 256 || mib < 1 || reps < 1) {
        std::fprintf(stderr, "usage: read_bandwidth [THREADS=2] [MIB=1024] [REPS=5]\n");
        return 2;
    }
    const size_t huge = size_t(2) << 20, bytes = mib << 20;
    void *m = mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        std::perror("read_bandwidth: mmap");
        return 1;
    }
    auto *buf = reinterpret_cast<uint8_t *>((reinterpret_cast<uintptr_t>(m) + huge - 1) / huge * huge);
    madvise(buf, bytes, MADV_HUGEPAGE);
    for (size_t i = 0; i < bytes; i += 4096) buf[i] = uint8_t(i >> 12);
    double best = 0;
    uint64_t sink = 0;
    for (int r = 0; r < reps; r++) {
        std::vector<uint64_t> out(static_cast<size_t>(threads));
        const size_t share = bytes / size_t(threads) / 256 * 256;
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; t++)
            pool.emplace_back([&, t] { out[size_t(t)] = stream(buf + size_t(t) * share, share); });
        for (std::thread &t : pool) t.join();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (uint64_t v : out) sink ^= v;
        if (double(share) * threads / s > best) best = double(share) * threads / s;
    }
    std::printf("read %d threads %.1f GB/s\n", threads, best / 1e9);
    return sink == 0x5eed ? 3 : 0;   // keeps the loads (never that value in practice)
}
