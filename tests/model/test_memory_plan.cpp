// Memory plans (loom_model_estimate, loom_context_estimate) against what loom
// really takes: every heap block counted by this executable's own malloc
// (it interposes glibc's, so loom's allocations come here too) and every
// anonymous mapping by its own mmap / munmap (the CPU backend's weight
// copies: platform::alloc_pages), and on
// Vulkan (lavapipe) the device ranges the backend's allocators hand out. The
// estimate must be within 5% of the measured peak, for the tiny shape and,
// with LOOM_MEMORY_PLAN_05B=1 (or in the slow suite), the 0.5B shape, as
// F16 and Q4_K_M. Also: a memory_budget below the plan fails with
// OUT_OF_MEMORY naming the numbers, one at the plan succeeds.
#include "api/handles.h"
#include "context/context.h"
#include "context/memory_plan.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

// --- the counting allocator --------------------------------------------------
extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);
}

namespace {
std::atomic<int64_t> g_live{0}, g_peak{0};

void counted_bytes(int64_t n) {
    const int64_t now = g_live += n;
    int64_t peak = g_peak.load();
    while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {}
}
void *counted(void *p) {
    if (p) counted_bytes(int64_t(malloc_usable_size(p)));
    return p;
}
void uncount(void *p) {
    if (p) g_live -= int64_t(malloc_usable_size(p));
}

// The live anonymous mappings made through mmap below (glibc's malloc and
// thread stacks map through its internal __mmap and are not seen here).
struct Range {
    uintptr_t lo, hi;
};
std::mutex g_maps_mu;
Range g_maps[8192];
int g_n_maps = 0;

void *count_mmap(void *addr, size_t n, int prot, int flags, int fd, off_t off) {
    const long r = syscall(SYS_mmap, addr, n, prot, flags, fd, off);
    if (r < 0 && r > -4096) {
        errno = int(-r);
        return MAP_FAILED;
    }
    void *p = reinterpret_cast<void *>(r);
    if (flags & MAP_ANONYMOUS) {
        const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
        const uintptr_t lo = uintptr_t(p), hi = (lo + n + page - 1) / page * page;
        std::lock_guard<std::mutex> lock(g_maps_mu);
        if (g_n_maps < int(sizeof g_maps / sizeof g_maps[0])) {   // else neither counted nor uncounted
            g_maps[g_n_maps++] = Range{lo, hi};
            counted_bytes(int64_t(hi - lo));
        }
    }
    return p;
}

// Uncounts the parts of tracked mappings that [addr, addr + n) covers (a
// range cut in the middle keeps both ends).
int count_munmap(void *addr, size_t n) {
    const uintptr_t lo = uintptr_t(addr), hi = lo + n;
    {
        std::lock_guard<std::mutex> lock(g_maps_mu);
        for (int i = 0; i < g_n_maps; i++) {
            Range &m = g_maps[i];
            const uintptr_t a = std::max(m.lo, lo), b = std::min(m.hi, hi);
            if (a >= b) continue;
            g_live -= int64_t(b - a);
            if (m.lo < a && b < m.hi && g_n_maps < int(sizeof g_maps / sizeof g_maps[0])) {
                g_maps[g_n_maps++] = Range{b, m.hi};
                m.hi = a;
            } else if (m.lo < a) {
                m.hi = a;
            } else if (b < m.hi) {
                m.lo = b;
            } else {
                m = g_maps[--g_n_maps];
                i--;
            }
        }
    }
    return int(syscall(SYS_munmap, addr, n));
}
} // namespace

extern "C" {
void *malloc(size_t n) { return counted(__libc_malloc(n)); }
void *calloc(size_t a, size_t b) { return counted(__libc_calloc(a, b)); }
void free(void *p) {
    uncount(p);
    __libc_free(p);
}
void *realloc(void *p, size_t n) {
    uncount(p);
    void *q = __libc_realloc(p, n);
    if (!q && n) counted(p);   // failed: p is still live
    return counted(q);
}
void *memalign(size_t a, size_t n) { return counted(__libc_memalign(a, n)); }
// With _FILE_OFFSET_BITS=64 (meson's default) <sys/mman.h> names this mmap64,
// the symbol loom's calls bind to.
void *mmap(void *addr, size_t n, int prot, int flags, int fd, off_t off) {
    return count_mmap(addr, n, prot, flags, fd, off);
}
int munmap(void *addr, size_t n) { return count_munmap(addr, n); }
void *aligned_alloc(size_t a, size_t n) { return counted(__libc_memalign(a, n)); }
int posix_memalign(void **out, size_t a, size_t n) {
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = counted(p);
    return 0;
}
}

namespace {

int64_t live() { return g_live.load(); }
void reset_peak() { g_peak = g_live.load(); }
int64_t peak() { return g_peak.load(); }

void check_close(const char *what, double estimate, double measured) {
    INFO(what << ": estimate " << uint64_t(estimate) << " bytes, measured " << uint64_t(measured));
    CHECK(measured > 0);
    CHECK(std::abs(estimate - measured) <= 0.05 * measured);
}

loom_model_params model_params(int32_t backend, int32_t vocab_only = 0) {
    loom_model_params p;
    loom_model_default_params(&p);
    p.backend = backend;
    p.vocab_only = vocab_only;
    return p;
}

loom_context_params context_params(uint32_t n_ctx, uint32_t n_batch) {
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.n_threads = 2;
    return p;
}

bool vulkan_available() {
    size_t n = 0;
    return loom_vulkan_devices(nullptr, 0, &n) == LOOM_OK || n > 0;
}

// Heap bytes a load keeps beyond a vocab-only load of the same file (the
// metadata and tokenizer, which the plan leaves out).
int64_t held_by_load(const std::string &path, const loom_model_params &p, loom_model **out) {
    loom_model_params vp = p;
    vp.vocab_only = 1;
    loom_model *v = nullptr;
    REQUIRE(loom_model_load(path.c_str(), &vp, &v) == LOOM_OK);   // one-time statics (locale, error buffers)
    loom_model_free(v);
    int64_t before = live();
    REQUIRE(loom_model_load(path.c_str(), &vp, &v) == LOOM_OK);
    const int64_t vocab = live() - before;
    loom_model_free(v);
    before = live();
    REQUIRE(loom_model_load(path.c_str(), &p, out) == LOOM_OK);
    return live() - before - vocab;
}

// Loads `path` on `backend` (Vulkan: with n_gpu_layers), creates a context
// of n_ctx cells and decodes a full batch with every logit (the plan's worst
// case); compares each part.
void check_plan(const std::string &path, int32_t backend, uint32_t n_ctx, int32_t n_gpu_layers = -1) {
    const bool vulkan = backend == LOOM_BACKEND_VULKAN;
    loom_model_params mp = model_params(backend);
    mp.n_gpu_layers = n_gpu_layers;
    loom_memory_plan mplan;
    mplan.struct_size = sizeof mplan;
    REQUIRE(loom_model_estimate(path.c_str(), &mp, &mplan) == LOOM_OK);
    CHECK(mplan.backend == backend);
    loom_model *m = nullptr;
    const int64_t model_heap = held_by_load(path, mp, &m);
    INFO(path << (vulkan ? " on vulkan" : " on cpu"));
    // On Vulkan the driver's heap (lavapipe keeps device memory there) is
    // not loom's: the device ranges are checked instead.
    if (!vulkan) check_close("model heap", double(mplan.weights_host), double(model_heap));
    if (vulkan) check_close("weights device", double(mplan.weights_device), double(m->model->backend().device_bytes_in_use()));
    else CHECK(mplan.weights_device == 0);

    loom_context_params cp = context_params(n_ctx, n_ctx);
    loom_memory_plan cplan;
    cplan.struct_size = sizeof cplan;
    REQUIRE(loom_context_estimate(m, &cp, &cplan) == LOOM_OK);
    const int64_t before = live();
    reset_peak();
    loom_context *c = nullptr;
    REQUIRE(loom_context_new(m, &cp, &c) == LOOM_OK);
    loom_batch *b = nullptr;
    REQUIRE(loom_batch_new(int32_t(n_ctx), &b) == LOOM_OK);
    const int32_t n_vocab = loom_model_n_vocab(m);
    for (uint32_t i = 0; i < n_ctx; i++) REQUIRE(loom_batch_add(b, int32_t((i * 7919u) % uint32_t(n_vocab)), int32_t(i), 0, 1) == LOOM_OK);
    REQUIRE(loom_decode(c, b) == LOOM_OK);
    const int64_t ctx_heap = peak() - before;
    loom_batch_free(b);
    if (vulkan)
        check_close("context device", double(cplan.device), double(c->session->device_bytes_peak()));
    else
        CHECK(cplan.device == 0);
    // On Vulkan the driver's own heap (lavapipe: its command buffers and
    // descriptor sets) is not loom's; the host part is checked on the CPU.
    if (!vulkan) check_close("context heap", double(cplan.host), double(ctx_heap));
    loom_context_free(c);
    loom_model_free(m);
}

std::string model_or_skip(const char *preset, int ftype) {
    if (!testdata::ref_available()) testdata::exit_missing("the reference (../shared/ref)");
    std::string path = testdata::synthetic_model(preset, 1, ftype);
    REQUIRE(!path.empty());
    return path;
}

bool big_shapes() {
    const char *e = std::getenv("LOOM_MEMORY_PLAN_05B");
    return e && std::strcmp(e, "1") == 0;
}

} // namespace

TEST_CASE("memory_plan_tiny_cpu_within_5_percent", "[memory_plan]") {
    check_plan(model_or_skip("tiny", 0), LOOM_BACKEND_CPU, 64);
    check_plan(model_or_skip("tiny", 15), LOOM_BACKEND_CPU, 64);
}

#ifdef LOOM_TEST_VULKAN   // where the Vulkan tests run (tests/model/meson.build)
TEST_CASE("memory_plan_tiny_vulkan_within_5_percent", "[memory_plan][vulkan]") {
    if (!vulkan_available()) {
        if (std::getenv("CI")) FAIL("no Vulkan device (lavapipe) in CI");
        WARN("no Vulkan device: not checked");
        return;
    }
    check_plan(model_or_skip("tiny", 0), LOOM_BACKEND_VULKAN, 64);
    check_plan(model_or_skip("tiny", 15), LOOM_BACKEND_VULKAN, 64);
    // Partial offload: the device holds the last layer's weights and cache only.
    check_plan(model_or_skip("tiny", 15), LOOM_BACKEND_VULKAN, 64, 1);
}
#endif

TEST_CASE("memory_plan_05b_within_5_percent", "[memory_plan][slow]") {
    if (!big_shapes()) {
        WARN("set LOOM_MEMORY_PLAN_05B=1 (the slow suite does)");
        return;
    }
    for (int ftype : {0, 15}) {
        const std::string path = model_or_skip("qwen2-0.5b", ftype);
        check_plan(path, LOOM_BACKEND_CPU, 128);
        if (vulkan_available()) check_plan(path, LOOM_BACKEND_VULKAN, 128);
    }
}

TEST_CASE("memory_budget_below_the_plan_fails_naming_the_numbers", "[memory_plan]") {
    const std::string path = model_or_skip("tiny", 15);
    loom_model_params mp = model_params(LOOM_BACKEND_CPU);
    mp.use_mmap = 0;   // the whole file on the heap: a plan well above 0
    loom_memory_plan plan;
    plan.struct_size = sizeof plan;
    REQUIRE(loom_model_estimate(path.c_str(), &mp, &plan) == LOOM_OK);
    REQUIRE(plan.total > 0);
    mp.memory_budget = plan.total - 1;
    loom_model *m = nullptr;
    const int64_t before = live();
    CHECK(loom_model_load(path.c_str(), &mp, &m) == LOOM_ERR_OUT_OF_MEMORY);
    CHECK(m == nullptr);
    CHECK(live() == before);
    std::string msg = loom_last_error();
    CHECK(msg.find("the model needs " + std::to_string(plan.total) + " bytes") != std::string::npos);
    CHECK(msg.find("memory_budget of " + std::to_string(plan.total - 1)) != std::string::npos);
    mp.memory_budget = plan.total;
    REQUIRE(loom_model_load(path.c_str(), &mp, &m) == LOOM_OK);

    loom_context_params cp = context_params(64, 32);
    REQUIRE(loom_context_estimate(m, &cp, &plan) == LOOM_OK);
    cp.memory_budget = plan.total - 1;
    loom_context *c = nullptr;
    CHECK(loom_context_new(m, &cp, &c) == LOOM_ERR_OUT_OF_MEMORY);
    CHECK(c == nullptr);
    msg = loom_last_error();
    CHECK(msg.find("the context needs " + std::to_string(plan.total) + " bytes") != std::string::npos);
    CHECK(msg.find("KV cache " + std::to_string(plan.kv_cache)) != std::string::npos);
    cp.memory_budget = plan.total;
    REQUIRE(loom_context_new(m, &cp, &c) == LOOM_OK);
    loom_context_free(c);
    loom_model_free(m);
}

// A model whose repacked copies would not fit in host memory loads with
// its weights read in place from the mapping (which the kernel may evict):
// plan_model_load picks that when the host limit lies between the two plans,
// and the load without repacking takes the heap the in-place plan says.
TEST_CASE("weights_stay_in_place_when_repacked_copies_would_not_fit", "[memory_plan]") {
    const std::string path = model_or_skip("tiny", 2);   // Q4_0: a load-time layout on x86 and arm
    std::unique_ptr<loom::GgufFile> g;
    REQUIRE(loom::GgufFile::open_file(path, loom::GgufOpenOptions{}, &g).is_ok());
    const auto src = loom::WeightSource::Mapped;
    loom_memory_plan packed, in_place, chosen;
    REQUIRE(loom::plan_model_memory(*g, LOOM_BACKEND_CPU, -1, src, true, &packed).is_ok());
    REQUIRE(loom::plan_model_memory(*g, LOOM_BACKEND_CPU, -1, src, false, &in_place).is_ok());
    if (packed.host == in_place.host) {
        WARN("this CPU has no repacked layout for Q4_0: nothing to choose");
        return;
    }
    // Every matrix (the layers' Q4_0 and token_embd's Q6_K) is read from the
    // mapping instead of from its repacked or plain copy.
    REQUIRE(in_place.weights_mapped > packed.weights_mapped);
    CHECK(packed.host - in_place.host >= in_place.weights_mapped - packed.weights_mapped);
    bool repack = false;
    for (uint64_t limit : {uint64_t(0), packed.host, in_place.host - 1}) {   // no limit, fits, fits neither way
        INFO("limit " << limit);
        REQUIRE(loom::plan_model_load(*g, LOOM_BACKEND_CPU, -1, src, limit, &repack, &chosen).is_ok());
        CHECK(repack);
        CHECK(std::memcmp(&chosen, &packed, sizeof chosen) == 0);
    }
    for (uint64_t limit : {in_place.host, packed.host - 1}) {
        INFO("limit " << limit);
        REQUIRE(loom::plan_model_load(*g, LOOM_BACKEND_CPU, -1, src, limit, &repack, &chosen).is_ok());
        CHECK(!repack);
        CHECK(std::memcmp(&chosen, &in_place, sizeof chosen) == 0);
    }
    // Vulkan uploads every weight: no choice to make (UNSUPPORTED in a build without it).
    const loom::Status vs = loom::plan_model_load(*g, LOOM_BACKEND_VULKAN, -1, src, 1, &repack, &chosen);
    if (vs) CHECK(repack);
    else CHECK(vs.code() == LOOM_ERR_UNSUPPORTED);
    for (bool rp : {true, false}) {
        INFO("repack " << rp);
        std::unique_ptr<loom::Backend> b;
        REQUIRE(loom::create_cpu_backend(&b, rp, loom::copies_plain_weights(src)).is_ok());
        const int64_t before = live();
        std::unique_ptr<loom::Model> m;
        REQUIRE(loom::Model::load(*g, std::move(b), loom::ModelLoadOptions{}, &m).is_ok());
        check_close("model heap", double((rp ? packed : in_place).weights_host), double(live() - before));
    }
}

TEST_CASE("memory_plan_struct_size_and_arguments", "[memory_plan]") {
    const std::string path = model_or_skip("tiny", 0);
    loom_model_params mp = model_params(LOOM_BACKEND_CPU);
    loom_memory_plan full;
    full.struct_size = sizeof full;
    REQUIRE(loom_model_estimate(path.c_str(), &mp, &full) == LOOM_OK);
    CHECK(full.weights_mapped == 0);   // every matrix copied out of the mapping (an F32 file: plain copies)
    CHECK(full.total == full.host + full.device + full.weights_mapped);
    // weights_in_place: the matrices stay in the mapping, the copies leave the heap.
    loom_model_params ip = mp;
    ip.weights_in_place = 1;
    loom_memory_plan in_place;
    in_place.struct_size = sizeof in_place;
    REQUIRE(loom_model_estimate(path.c_str(), &ip, &in_place) == LOOM_OK);
    CHECK(in_place.weights_mapped > 0);
    CHECK(full.weights_host - in_place.weights_host >= in_place.weights_mapped);
    CHECK(in_place.total == in_place.host + in_place.device + in_place.weights_mapped);
    // From memory: the in-place plan (the caller's bytes are read in place).
    const std::vector<uint8_t> bytes = testdata::read_file(path);
    loom_memory_plan mem;
    mem.struct_size = sizeof mem;
    REQUIRE(loom_model_estimate_from_memory(bytes.data(), bytes.size(), &mp, &mem) == LOOM_OK);
    CHECK(std::memcmp(&mem, &in_place, sizeof mem) == 0);
    // An older caller's struct (up to weights_host): only those bytes are written.
    unsigned char buf[64];
    std::memset(buf, 0xAB, sizeof buf);
    const size_t old_size = offsetof(loom_memory_plan, weights_device);
    std::memcpy(buf, &old_size, sizeof old_size);
    REQUIRE(loom_model_estimate(path.c_str(), &mp, reinterpret_cast<loom_memory_plan *>(buf)) == LOOM_OK);
    CHECK(std::memcmp(buf + 8, reinterpret_cast<const unsigned char *>(&full) + 8, old_size - 8) == 0);
    for (size_t i = old_size; i < sizeof buf; i++) CHECK(buf[i] == 0xAB);
    loom_memory_plan bad;
    bad.struct_size = 2;
    CHECK(loom_model_estimate(path.c_str(), &mp, &bad) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_model_estimate(nullptr, &mp, &full) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_model_estimate("/nonexistent.gguf", &mp, &full) == LOOM_ERR_IO);
    CHECK(loom_context_estimate(nullptr, nullptr, &full) == LOOM_ERR_INVALID_ARGUMENT);
    // use_mmap = 0: the file moves from mapped to the heap, read in place there.
    mp.use_mmap = 0;
    loom_memory_plan heap;
    heap.struct_size = sizeof heap;
    REQUIRE(loom_model_estimate(path.c_str(), &mp, &heap) == LOOM_OK);
    CHECK(heap.weights_mapped == 0);
    CHECK(heap.weights_host == in_place.weights_host + loom::heap_block_bytes(bytes.size()));
}
