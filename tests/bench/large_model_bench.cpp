// Large files on the CPU (docs/large-models.md): writes a published Qwen2
// shape (tests/support/published_shapes.h) and measures a load and a few
// decode steps: wall time, the resident set split into file pages (the
// mapping) and anonymous memory (heap copies), and its peak.
//
//   large_model_bench write OUT.gguf SHAPE FTYPE [hole]   (SHAPE: qwen2-7b, qwen2-72b; FTYPE: 15 = Q4_K_M)
//   large_model_bench run MODEL.gguf [N_DECODE] [N_THREADS] [mmap|read|in-place] [LOAD_THREADS]
//
// run: in-place asks for the weights read in place (weights_in_place);
// LOAD_THREADS is loom_model_params.n_threads (default 0: the cores, at most 8).
//   large_model_bench touch MODEL.gguf [N_TOKENS]
//
// touch: the file's pages each decode of one token brings in, per tensor and
// per expert of the stacked *_exps tensors (a mixture of experts reads only
// the experts the router picks). The bench maps the file itself without
// readahead (MADV_RANDOM), hands the bytes to loom_model_load_from_memory,
// and before each token drops the pages from the cache, so mincore() after
// the decode shows exactly the pages the decode read.
#include "gguf/gguf.h"
#include "loom.h"
#include "published_shapes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A /proc/self/status field in MiB ("VmRSS", "VmHWM", "RssAnon", "RssFile").
double status_mib(const char *field) {
    std::ifstream f("/proc/self/status");
    std::string line;
    const std::string key = std::string(field) + ":";
    while (std::getline(f, line))
        if (line.compare(0, key.size(), key) == 0) return std::strtod(line.c_str() + key.size(), nullptr) / 1024.0;
    return -1;
}

void report(const char *when, double seconds) {
    std::printf("%-14s %8.2f s   rss %8.0f MiB (file %8.0f, anon %7.0f)   peak %8.0f MiB\n", when, seconds,
                status_mib("VmRSS"), status_mib("RssFile"), status_mib("RssAnon"), status_mib("VmHWM"));
}

int fail(const char *what) {
    std::fprintf(stderr, "%s: %s\n", what, loom_last_error());
    return 1;
}

int write(int argc, char **argv) {
    if (argc < 5) return 2;
    const shapes::Published *p = shapes::find_published(argv[3]);
    if (!p) return std::fprintf(stderr, "unknown shape %s\n", argv[3]), 2;
    const bool hole = argc > 5 && std::strcmp(argv[5], "hole") == 0;
    uint64_t bytes = 0;
    const double t0 = now_s();
    const loom::Status s = shapes::write_published_model(argv[2], *p, std::atoi(argv[4]),
                                                         hole ? shapes::Fill::Hole : shapes::Fill::RandomBlocks, &bytes);
    if (!s) return std::fprintf(stderr, "%s\n", s.message().c_str()), 1;
    std::printf("%s: %s, %.3f GB of tensor data, written in %.1f s\n", argv[2], p->name, double(bytes) / 1e9,
                now_s() - t0);
    return 0;
}

int run(int argc, char **argv) {
    const char *path = argv[2];
    const int n_decode = argc > 3 ? std::atoi(argv[3]) : 4;
    const int n_threads = argc > 4 ? std::atoi(argv[4]) : 2;
    loom_model_params mp;
    loom_model_default_params(&mp);
    mp.backend = LOOM_BACKEND_CPU;
    const char *mode = argc > 5 ? argv[5] : "mmap";
    mp.use_mmap = std::strcmp(mode, "read") != 0;
    mp.weights_in_place = std::strcmp(mode, "in-place") == 0;
    mp.n_threads = argc > 6 ? std::atoi(argv[6]) : 0;
    loom_memory_plan plan;
    plan.struct_size = sizeof plan;
    if (loom_model_estimate(path, &mp, &plan) != LOOM_OK) return fail("estimate");
    std::printf("plan: weights %.0f MiB mapped, %.0f MiB host\n", double(plan.weights_mapped) / 1048576.0,
                double(plan.weights_host) / 1048576.0);
    report("start", 0);
    double t0 = now_s();
    loom_model *m = nullptr;
    if (loom_model_load(path, &mp, &m) != LOOM_OK) return fail("load");
    report("loaded", now_s() - t0);
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.n_ctx = 256;
    cp.n_batch = 32;
    cp.n_threads = n_threads;
    loom_context *c = nullptr;
    if (loom_context_new(m, &cp, &c) != LOOM_OK) return fail("context");
    loom_batch *b = nullptr;
    if (loom_batch_new(1, &b) != LOOM_OK) return fail("batch");
    for (int i = 0; i < n_decode; i++) {
        loom_batch_clear(b);
        loom_batch_add(b, 9707 + i, i, 0, 1);
        t0 = now_s();
        if (loom_decode(c, b) != LOOM_OK) return fail("decode");
        char when[32];
        std::snprintf(when, sizeof when, "decode %d", i + 1);
        report(when, now_s() - t0);
    }
    loom_batch_free(b);
    loom_context_free(c);
    loom_model_free(m);
    return 0;
}

// Pages of [p, p + n) in the page cache, in bytes (p page-aligned).
uint64_t resident(const uint8_t *base, uint64_t lo, uint64_t hi) {
    const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE));
    lo = lo / page * page;
    std::vector<unsigned char> v(size_t((hi - lo + page - 1) / page));
    if (v.empty() || mincore(const_cast<uint8_t *>(base + lo), hi - lo, v.data()) != 0) return 0;
    uint64_t n = 0;
    for (unsigned char c : v) n += (c & 1) ? page : 0;
    return n;
}

// One token's reads: experts touched per stacked tensor, bytes per kind.
void report_touch(const loom::GgufFile &g, const uint8_t *base, int token) {
    uint64_t exps = 0, exps_total = 0, other = 0, all = 0;
    std::string experts;
    for (const loom::GgufTensor &t : g.tensors()) {
        const uint64_t lo = uint64_t(t.data - base), hi = lo + t.nbytes;
        const uint64_t r = resident(base, lo, hi);
        all += t.nbytes;
        if (t.name.find("_exps") == std::string::npos) {
            other += r;
            continue;
        }
        exps += r;
        exps_total += t.nbytes;
        const uint64_t per = t.nbytes / uint64_t(t.ne[2]);
        const size_t ffn = t.name.find(".ffn_"), end = t.name.find("_exps");   // blk.N.ffn_{gate,up,down}_exps
        experts += " " + t.name.substr(0, ffn) + "." + t.name.substr(ffn + 5, end - ffn - 5) + ":";
        for (int64_t e = 0; e < t.ne[2]; e++)
            if (resident(base, lo + uint64_t(e) * per + 4096, lo + uint64_t(e + 1) * per - 4096) > 0)
                experts += std::to_string(e) + ",";
    }
    std::printf("token %d: experts %.2f of %.2f MiB (%.1f%%), other tensors %.2f MiB, file %.2f MiB\n  experts read:%s\n",
                token, double(exps) / 1048576.0, double(exps_total) / 1048576.0,
                exps_total ? 100.0 * double(exps) / double(exps_total) : 0.0, double(other) / 1048576.0,
                double(all) / 1048576.0, experts.c_str());
}

int touch(int argc, char **argv) {
    const int n_tokens = argc > 3 ? std::atoi(argv[3]) : 3;
    const int fd = open(argv[2], O_RDONLY);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) return std::fprintf(stderr, "cannot open %s\n", argv[2]), 1;
    const size_t size = size_t(st.st_size);
    auto *base = static_cast<uint8_t *>(mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0));
    if (base == MAP_FAILED) return std::fprintf(stderr, "cannot map %s\n", argv[2]), 1;
    madvise(base, size, MADV_RANDOM);
    std::unique_ptr<loom::GgufFile> g;
    if (!loom::GgufFile::open_memory(base, size, false, &g)) return std::fprintf(stderr, "not a GGUF file\n"), 1;
    loom_model_params mp;
    loom_model_default_params(&mp);
    mp.backend = LOOM_BACKEND_CPU;
    loom_model *m = nullptr;
    if (loom_model_load_from_memory(base, size, &mp, &m) != LOOM_OK) return fail("load");
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.n_ctx = 64;
    cp.n_batch = 8;
    loom_context *c = nullptr;
    loom_batch *b = nullptr;
    if (loom_context_new(m, &cp, &c) != LOOM_OK || loom_batch_new(1, &b) != LOOM_OK) return fail("context");
    for (int i = 0; i < n_tokens; i++) {
        madvise(base, size, MADV_DONTNEED);              // out of this mapping (loom reads it too)
        posix_fadvise(fd, 0, off_t(size), POSIX_FADV_DONTNEED);   // and out of the page cache
        const uint64_t left = resident(base, 0, size);
        if (left > size / 100) std::printf("(%.2f MiB of the file stayed cached)\n", double(left) / 1048576.0);
        loom_batch_clear(b);
        loom_batch_add(b, 9707 + 1000 * i, i, 0, 1);
        if (loom_decode(c, b) != LOOM_OK) return fail("decode");
        report_touch(*g, base, i + 1);
    }
    loom_batch_free(b);
    loom_context_free(c);
    loom_model_free(m);
    g.reset();
    munmap(base, size);
    close(fd);
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    if (argc >= 3 && std::strcmp(argv[1], "write") == 0) {
        const int r = write(argc, argv);
        if (r != 2) return r;
    }
    if (argc >= 3 && std::strcmp(argv[1], "run") == 0) return run(argc, argv);
    if (argc >= 3 && std::strcmp(argv[1], "touch") == 0) return touch(argc, argv);
    std::fprintf(stderr, "usage: %s write OUT.gguf qwen2-7b|qwen2-72b FTYPE [hole]\n"
                         "       %s run MODEL.gguf [N_DECODE] [N_THREADS] [mmap|read]\n"
                         "       %s touch MODEL.gguf [N_TOKENS]\n", argv[0], argv[0], argv[0]);
    return 2;
}
