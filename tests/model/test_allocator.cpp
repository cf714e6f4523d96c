// loom_set_allocator: a host's counting allocator sees the bytes the memory
// plans report (at least 99% of loom_model_estimate's weights_host plus
// loom_context_estimate's host at the worst-case decode, and of each when
// it is large), gets back every
// block it gave (allocations and frees balance, same sizes), is asked for the
// alignment it honours; loom zeroes what it needs (the blocks come filled
// with garbage, the logits equal those of the C heap); a hook that returns
// NULL on its Nth call makes that step fail with OUT_OF_MEMORY and a
// message, the step then succeeds, and the result is the clean run's; and
// the allocator cannot change while a handle lives; the vocabulary and the
// sampler's candidates are among its blocks. Uses loom.h only.
#include "loom.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#ifdef _WIN32
#include <malloc.h>
#endif
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {

// The host's tracker: every live block with its size and alignment.
struct Tracker {
    std::mutex mu;
    std::map<void *, std::pair<size_t, size_t>> blocks;
    int64_t allocs = 0, frees = 0, bad_frees = 0, misaligned = 0;
    int64_t live = 0, peak = 0;
    int64_t calls = 0, fail_at = 0;   // fail_at > 0: the fail_at-th call returns NULL
    bool failed = false;

    void reset_peak() { peak = live; }
};

// The C heap's aligned blocks: msvcrt (mingw-w64) has no aligned_alloc.
void *aligned_block(size_t size, size_t align) {
#ifdef _WIN32
    return _aligned_malloc(size, align);
#else
    return std::aligned_alloc(align, size);
#endif
}

void free_aligned_block(void *p) {
#ifdef _WIN32
    _aligned_free(p);
#else
    std::free(p);
#endif
}

void *tracked_alloc(void *user, size_t size, size_t align) {
    Tracker &t = *static_cast<Tracker *>(user);
    std::lock_guard<std::mutex> lock(t.mu);
    if (++t.calls == t.fail_at) {
        t.failed = true;
        return nullptr;
    }
    if (align < 16 || (align & (align - 1)) != 0 || size == 0) t.misaligned++;
    void *p = aligned_block((size + align - 1) / align * align, align);
    if (!p) return nullptr;
    std::memset(p, 0xA5, size);   // garbage: loom must zero what it needs
    if (reinterpret_cast<uintptr_t>(p) % align != 0) t.misaligned++;
    t.blocks[p] = {size, align};
    t.allocs++;
    t.live += int64_t(size);
    if (t.live > t.peak) t.peak = t.live;
    return p;
}

void tracked_free(void *user, void *p, size_t size, size_t align) {
    Tracker &t = *static_cast<Tracker *>(user);
    std::lock_guard<std::mutex> lock(t.mu);
    auto it = t.blocks.find(p);
    if (it == t.blocks.end() || it->second != std::make_pair(size, align)) {
        t.bad_frees++;
        return;
    }
    t.blocks.erase(it);
    t.frees++;
    t.live -= int64_t(size);
    free_aligned_block(p);
}

// Installs `t` for one test; the C heap again at the end.
struct UseTracker {
    explicit UseTracker(Tracker *t) {
        loom_allocator a;
        std::memset(&a, 0, sizeof a);
        a.struct_size = sizeof a;
        a.alloc = tracked_alloc;
        a.free = tracked_free;
        a.user_data = t;
        REQUIRE(loom_set_allocator(&a) == LOOM_OK);
    }
    ~UseTracker() { loom_set_allocator(nullptr); }
};

std::string tiny(int ftype) {
    REQUIRE_REF_OR_SKIP();
    std::string path = testdata::synthetic_model("tiny", 1, ftype);
    REQUIRE(!path.empty());
    return path;
}

loom_model_params model_params(int32_t use_mmap) {
    loom_model_params p;
    loom_model_default_params(&p);
    p.backend = LOOM_BACKEND_CPU;
    p.use_mmap = use_mmap;
    return p;
}

loom_context_params context_params(uint32_t n) {
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = n;
    p.n_batch = n;
    p.n_threads = 2;
    return p;
}

// A full batch of n entries, every one with logits (the plan's worst case).
std::vector<float> decode_all(loom_model *m, loom_context *c, uint32_t n) {
    loom_batch *b = nullptr;
    REQUIRE(loom_batch_new(int32_t(n), &b) == LOOM_OK);
    const int32_t n_vocab = loom_model_n_vocab(m);
    for (uint32_t i = 0; i < n; i++) REQUIRE(loom_batch_add(b, int32_t((i * 7919u) % uint32_t(n_vocab)), int32_t(i), 0, 1) == LOOM_OK);
    REQUIRE(loom_decode(c, b) == LOOM_OK);
    loom_batch_free(b);
    const float *logits = nullptr;
    REQUIRE(loom_get_logits(c, int32_t(n) - 1, &logits) == LOOM_OK);
    return std::vector<float>(logits, logits + n_vocab);
}

void check_balanced(const Tracker &t) {
    CHECK(t.allocs > 0);
    CHECK(t.allocs == t.frees);
    CHECK(t.blocks.empty());
    CHECK(t.live == 0);
    CHECK(t.bad_frees == 0);
    CHECK(t.misaligned == 0);
}

// The plans' host bytes against what the tracker sees, and the logits
// against the same run on the C heap.
void check_plan_seen(const std::string &path, int32_t use_mmap) {
    const uint32_t n = 64;
    loom_model_params mp = model_params(use_mmap);
    loom_context_params cp = context_params(n);
    std::vector<float> want;
    {
        loom_model *m = nullptr;
        REQUIRE(loom_model_load(path.c_str(), &mp, &m) == LOOM_OK);
        loom_context *c = nullptr;
        REQUIRE(loom_context_new(m, &cp, &c) == LOOM_OK);
        want = decode_all(m, c, n);
        loom_context_free(c);
        loom_model_free(m);
    }
    Tracker t;
    {
        UseTracker use(&t);
        loom_memory_plan mplan, cplan;
        mplan.struct_size = cplan.struct_size = sizeof(loom_memory_plan);
        REQUIRE(loom_model_estimate(path.c_str(), &mp, &mplan) == LOOM_OK);
        CHECK(t.allocs == 0);   // a plan allocates nothing
        loom_model *m = nullptr;
        REQUIRE(loom_model_load(path.c_str(), &mp, &m) == LOOM_OK);
        const int64_t model_bytes = t.live;
        REQUIRE(loom_context_estimate(m, &cp, &cplan) == LOOM_OK);
        t.reset_peak();
        loom_context *c = nullptr;
        REQUIRE(loom_context_new(m, &cp, &c) == LOOM_OK);
        const std::vector<float> got = decode_all(m, c, n);
        const int64_t context_bytes = t.peak - model_bytes;
        INFO(path << " use_mmap " << use_mmap << ": model plan " << mplan.weights_host << ", tracked " << model_bytes
                  << "; context plan " << cplan.host << ", tracked peak " << context_bytes);
        WARN("model plan " << mplan.weights_host << " B, tracked " << model_bytes << " B; context plan " << cplan.host
                           << " B, tracked peak " << context_bytes << " B");
        // The model's own tables (the Model, its lists of layers and weights:
        // 9 KiB on the tiny shape) are C++ objects, not blocks of the hook.
        CHECK(double(model_bytes + context_bytes) >= 0.99 * double(mplan.weights_host + cplan.host));
        if (mplan.weights_host > (1u << 20)) CHECK(double(model_bytes) >= 0.99 * double(mplan.weights_host));
        CHECK(double(context_bytes) >= 0.99 * double(cplan.host));
        // Not more than the plan either, beyond the vocabulary's tables and
        // the sampler's candidates (the plan leaves those out).
        CHECK(double(context_bytes) <= 1.01 * double(cplan.host));
        CHECK(got == want);
        loom_context_free(c);
        loom_model_free(m);
    }
    check_balanced(t);
}

} // namespace

TEST_CASE("counting_allocator_sees_the_memory_plan_and_balances", "[allocator]") {
    const std::string q4km = tiny(15);   // Q4_K_M: repacked weights on the heap
    check_plan_seen(q4km, 1);
    check_plan_seen(q4km, 0);            // the whole file on the heap too
    check_plan_seen(tiny(0), 1);         // F16
}

TEST_CASE("allocator_cannot_change_while_a_handle_lives", "[allocator]") {
    const std::string path = tiny(15);
    Tracker t;
    {
        UseTracker use(&t);
        loom_model_params mp = model_params(1);
        loom_model *m = nullptr;
        REQUIRE(loom_model_load(path.c_str(), &mp, &m) == LOOM_OK);
        CHECK(loom_set_allocator(nullptr) == LOOM_ERR_INVALID_ARGUMENT);
        CHECK(std::string(loom_last_error()).find("blocks from the current one are still allocated") != std::string::npos);
        loom_model_free(m);
    }
    check_balanced(t);
    loom_allocator a;
    std::memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.alloc = tracked_alloc;
    CHECK(loom_set_allocator(&a) == LOOM_ERR_INVALID_ARGUMENT);   // no free
    a.free = tracked_free;
    a.struct_size = 4;
    CHECK(loom_set_allocator(&a) == LOOM_ERR_INVALID_ARGUMENT);   // struct_size
    CHECK(loom_set_allocator(nullptr) == LOOM_OK);
}

namespace {

// One step of the fault sweep: run it; when the allocator failed inside it,
// it must say OUT_OF_MEMORY with a message, and then succeed.
template <typename F>
void step(Tracker &t, const char *what, F f) {
    t.failed = false;
    loom_status st = f();
    if (t.failed && st != LOOM_OK) {
        INFO(what << ": " << loom_last_error());
        CHECK(st == LOOM_ERR_OUT_OF_MEMORY);
        CHECK(std::strlen(loom_last_error()) > 0);
        st = f();
    }
    INFO(what << ": " << loom_last_error());
    REQUIRE(st == LOOM_OK);
}

// A load without mmap (the file copy too).
loom_model *faulty_load(const std::string &path, Tracker &t) {
    loom_model_params mp = model_params(0);
    loom_model *m = nullptr;
    step(t, "load", [&] { return loom_model_load(path.c_str(), &mp, &m); });
    return m;
}

// Context, decode, state save and restore, a second decode; the logits.
std::vector<float> faulty_run(loom_model *m, Tracker &t) {
    loom_context_params cp = context_params(16);
    loom_context *c = nullptr;
    loom_batch *b = nullptr;
    step(t, "context", [&] { return loom_context_new(m, &cp, &c); });
    step(t, "batch", [&] { return loom_batch_new(8, &b); });
    for (int32_t i = 0; i < 8; i++) REQUIRE(loom_batch_add(b, 1 + i * 13, i, 0, i == 7) == LOOM_OK);
    step(t, "decode", [&] { return loom_decode(c, b); });
    size_t size = 0;
    REQUIRE(loom_state_save(c, nullptr, 0, &size) == LOOM_ERR_BUFFER_TOO_SMALL);
    std::vector<uint8_t> state(size);
    step(t, "state save", [&] { return loom_state_save(c, state.data(), state.size(), &size); });
    step(t, "state load", [&] { return loom_state_load(c, state.data(), size); });
    loom_batch_clear(b);
    REQUIRE(loom_batch_add(b, 7, 8, 0, 1) == LOOM_OK);
    step(t, "decode 2", [&] { return loom_decode(c, b); });
    const float *logits = nullptr;
    REQUIRE(loom_get_logits(c, -1, &logits) == LOOM_OK);
    std::vector<float> out(logits, logits + loom_model_n_vocab(m));
    loom_batch_free(b);
    loom_context_free(c);
    return out;
}

} // namespace

// Every allocator call of a load fails in turn (each a new load), then, over
// one model, every call of the context's steps (so the vocabulary is not
// rebuilt for each of those: the sweep stays short under the sanitizers).
TEST_CASE("allocator_returning_null_gives_out_of_memory_at_every_call", "[allocator]") {
    const std::string path = tiny(15);
    Tracker t;
    {
        UseTracker use(&t);
        loom_model *m = faulty_load(path, t);
        const int64_t load_calls = t.calls;
        const std::vector<float> want = faulty_run(m, t);
        const int64_t run_calls = t.calls - load_calls;
        loom_model_free(m);
        WARN("allocator calls: " << load_calls << " in a load, " << run_calls << " in the context's steps");
        REQUIRE(load_calls > 5);
        REQUIRE(run_calls > 5);
        for (int64_t n = 1; n <= load_calls; n++) {
            INFO("load: allocator call " << n << " of " << load_calls << " fails");
            t.fail_at = t.calls + n;
            loom_model_free(faulty_load(path, t));
            CHECK(t.live == 0);
        }
        t.fail_at = 0;
        m = faulty_load(path, t);
        for (int64_t n = 1; n <= run_calls; n++) {
            INFO("context steps: allocator call " << n << " of " << run_calls << " fails");
            t.fail_at = t.calls + n;
            CHECK(faulty_run(m, t) == want);
        }
        loom_model_free(m);
    }
    check_balanced(t);
}

TEST_CASE("vocabulary_tables_and_sampler_candidates_go_through_the_allocator", "[allocator]") {
    const std::string path = tiny(0);
    Tracker t;
    {
        UseTracker use(&t);
        loom_model_params mp = model_params(1);
        mp.vocab_only = 1;
        loom_model *m = nullptr;
        REQUIRE(loom_model_load(path.c_str(), &mp, &m) == LOOM_OK);
        const int64_t n_vocab = loom_model_n_vocab(m);
        const int64_t vocab_bytes = t.live;
        // The pieces' and texts' arrays alone: two std::strings per token.
        INFO("vocabulary of " << n_vocab << " tokens: " << vocab_bytes << " bytes tracked");
        CHECK(vocab_bytes >= 2 * n_vocab * int64_t(sizeof(std::string)));
        loom_model_free(m);
        CHECK(t.live == 0);

        mp.vocab_only = 0;
        REQUIRE(loom_model_load(path.c_str(), &mp, &m) == LOOM_OK);
        loom_context_params cp = context_params(8);
        loom_context *c = nullptr;
        REQUIRE(loom_context_new(m, &cp, &c) == LOOM_OK);
        loom_batch *b = nullptr;
        REQUIRE(loom_batch_new(1, &b) == LOOM_OK);
        REQUIRE(loom_batch_add(b, 1, 0, 0, 1) == LOOM_OK);
        REQUIRE(loom_decode(c, b) == LOOM_OK);
        loom_sampler *s = nullptr;
        REQUIRE(loom_sampler_new(&s) == LOOM_OK);
        REQUIRE(loom_sampler_add_greedy(s) == LOOM_OK);
        const int64_t before = t.live;
        int32_t tok = -1;
        REQUIRE(loom_sample(s, c, -1, &tok) == LOOM_OK);
        CHECK(t.live - before >= n_vocab * 8);   // a candidate (id, logit, p) per token
        loom_sampler_free(s);
        loom_batch_free(b);
        loom_context_free(c);
        loom_model_free(m);
    }
    check_balanced(t);
}
