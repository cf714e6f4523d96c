// Stepped decoding (loom_decode_begin / loom_decode_step / loom_decode_cancel)
// and the host's job system (loom_context_params.parallel_for,
// loom_context_set_n_threads). The reference is loom_decode itself: a decode
// run in slices, on the host's threads or after a thread-count change must
// give bit-equal logits to one loom_decode of the same batch on a context
// set up the same way. On the CPU and, where a Vulkan device exists
// (lavapipe in CI), on Vulkan. The model's output matrix is large enough
// that the CPU splits it into pieces in a stepped graph.
#include "model_fixture.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sys/resource.h>
#endif

namespace {

// The tiny model (F16 weights) on `backend`; nullptr when that backend cannot load.
std::unique_ptr<fixture::Model> load_on(int32_t backend) {
    auto m = std::make_unique<fixture::Model>();
    tinymodel::Spec spec;
    spec.weight_type = LOOM_TYPE_F16;
    spec.n_layer = 3;
    // An output matrix of 10M values: a stepped decode runs it as several pieces (more than 2M multiply-adds).
    spec.n_embd = 256;
    spec.n_vocab = 40000;
    m->bytes = tinymodel::build(spec);
    loom_model_params p;
    loom_model_default_params(&p);
    p.backend = backend;
    if (loom_model_load_from_memory(m->bytes.data(), m->bytes.size(), &p, &m->m) != LOOM_OK) return nullptr;
    return m;
}

fixture::Model &cpu_model() {
    static std::unique_ptr<fixture::Model> m = load_on(LOOM_BACKEND_CPU);
    REQUIRE(m != nullptr);
    return *m;
}

// A run of decodes: how one batch is decoded, given the context and batch.
using DecodeFn = std::function<loom_status(loom_context *, loom_batch *)>;

// Logits of a prompt of 9 tokens (every row) and then of 4 single-token
// decodes, each batch decoded by `run`: [13][n_vocab].
std::vector<float> conversation(fixture::Context &c, int32_t nv, const DecodeFn &run) {
    std::vector<float> out;
    const std::vector<int32_t> prompt = fixture::tokens(9, nv, 3);
    loom_batch_clear(c.b);
    for (size_t i = 0; i < prompt.size(); i++) REQUIRE(loom_batch_add(c.b, prompt[i], int32_t(i), 0, 1) == LOOM_OK);
    REQUIRE(run(c.c, c.b) == LOOM_OK);
    for (size_t i = 0; i < prompt.size(); i++) {
        const float *l = nullptr;
        REQUIRE(loom_get_logits(c.c, int32_t(i), &l) == LOOM_OK);
        out.insert(out.end(), l, l + nv);
    }
    for (int32_t t = 0; t < 4; t++) {
        loom_batch_clear(c.b);
        REQUIRE(loom_batch_add(c.b, (t * 13 + 5) % nv, int32_t(prompt.size()) + t, 0, 1) == LOOM_OK);
        REQUIRE(run(c.c, c.b) == LOOM_OK);
        const float *l = nullptr;
        REQUIRE(loom_get_logits(c.c, -1, &l) == LOOM_OK);
        out.insert(out.end(), l, l + nv);
    }
    return out;
}

loom_status plain(loom_context *ctx, loom_batch *b) { return loom_decode(ctx, b); }

// Begins, then steps with `budget_us` until done; counts the steps.
DecodeFn stepped(int64_t budget_us, int *steps) {
    return [budget_us, steps](loom_context *ctx, loom_batch *b) {
        loom_status st = loom_decode_begin(ctx, b);
        for (int32_t done = 0; st == LOOM_OK && !done; ++*steps) st = loom_decode_step(ctx, budget_us, &done);
        return st;
    };
}

bool bit_equal(const std::vector<float> &a, const std::vector<float> &b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_stepped_equals_one_decode(const fixture::Model &m) {
    const int32_t nv = m.n_vocab();
    auto ref_ctx = fixture::context(m);
    REQUIRE(ref_ctx != nullptr);
    const std::vector<float> want = conversation(*ref_ctx, nv, plain);
    for (int64_t budget : {int64_t(0), int64_t(1), int64_t(30), int64_t(300), int64_t(600000000)}) {
        INFO("budget " << budget << " us");
        auto ctx = fixture::context(m);
        int steps = 0;
        CHECK(bit_equal(conversation(*ctx, nv, stepped(budget, &steps)), want));
        // 5 decodes; tiny budgets take many steps each, ten minutes' budget one
        // each (a second was not enough under qemu-aarch64 in CI).
        if (budget <= 1) CHECK(steps > 5 * 20);
        if (budget == 600000000) CHECK(steps == 5);
    }
}

// The host's job system of the tests: n std::threads, worker i always
// reporting index i; the caller waits while they claim tasks.
class HostPool {
public:
    explicit HostPool(int n) {
        for (int i = 0; i < n; i++) threads_.emplace_back([this, i] { work(i); });
    }
    ~HostPool() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        for (std::thread &t : threads_) t.join();
    }
    static void parallel_for(void *user, int64_t n_tasks, loom_task_fn task, void *task_ctx) {
        static_cast<HostPool *>(user)->run(n_tasks, task, task_ctx);
    }
    std::atomic<int64_t> tasks_run{0};
    std::atomic<int64_t> loops{0};

private:
    void run(int64_t n_tasks, loom_task_fn task, void *task_ctx) {
        loops++;
        std::unique_lock<std::mutex> lock(mu_);
        task_ = task;
        ctx_ = task_ctx;
        n_ = n_tasks;
        next_ = 0;
        done_ = 0;
        gen_++;
        cv_.notify_all();
        done_cv_.wait(lock, [&] { return done_ == n_; });
    }
    void work(int index) {
        uint64_t seen = 0;
        std::unique_lock<std::mutex> lock(mu_);
        for (;;) {
            cv_.wait(lock, [&] { return stop_ || (gen_ != seen && next_ < n_); });
            if (stop_) return;
            while (next_ < n_) {
                const int64_t t = next_++;
                lock.unlock();
                task_(ctx_, t, index);
                tasks_run++;
                lock.lock();
                if (++done_ == n_) done_cv_.notify_all();
            }
            seen = gen_;
        }
    }
    std::vector<std::thread> threads_;
    std::mutex mu_;
    std::condition_variable cv_, done_cv_;
    bool stop_ = false;
    uint64_t gen_ = 0;
    loom_task_fn task_ = nullptr;
    void *ctx_ = nullptr;
    int64_t n_ = 0, next_ = 0, done_ = 0;
};

std::unique_ptr<fixture::Context> hosted_context(const fixture::Model &m, int32_t n_threads, HostPool *pool,
                                                 loom_parallel_for_fn fn = HostPool::parallel_for) {
    auto c = std::make_unique<fixture::Context>();
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = p.n_batch = 64;
    p.kv_type = LOOM_TYPE_F32;
    p.n_threads = n_threads;
    p.matmul_precision = LOOM_MATMUL_EXACT;
    p.parallel_for = fn;
    p.parallel_for_user_data = pool;
    if (loom_context_new(m.m, &p, &c->c) != LOOM_OK || loom_batch_new(64, &c->b) != LOOM_OK) return nullptr;
    return c;
}

int g_aborts_left = 0;
int abort_after(void *) { return --g_aborts_left < 0; }

} // namespace

TEST_CASE("stepped_decode_equals_one_decode_on_cpu", "[decode_step]") { check_stepped_equals_one_decode(cpu_model()); }

#if defined(LOOM_TEST_VULKAN)
TEST_CASE("stepped_decode_equals_one_decode_on_vulkan", "[decode_step]") {
    std::unique_ptr<fixture::Model> m = load_on(LOOM_BACKEND_VULKAN);
    if (!m) {
        if (std::getenv("CI")) FAIL("no Vulkan device: " << loom_last_error());
        WARN("skipped: no Vulkan device (" << loom_last_error() << ")");
        return;
    }
    REQUIRE(std::string(loom_model_backend_name(m->m)) == "vulkan");
    check_stepped_equals_one_decode(*m);
}
#endif

TEST_CASE("stepped_decode_refuses_what_would_break_it_and_cancel_rolls_back", "[decode_step]") {
    fixture::Model &m = cpu_model();
    const int32_t nv = m.n_vocab();
    auto ctx = fixture::context(m);
    const std::vector<int32_t> a = fixture::tokens(6, nv, 1);
    REQUIRE(!fixture::decode(*ctx, m, a).empty());
    int32_t done = 7;
    CHECK(loom_decode_step(ctx->c, 10, &done) == LOOM_ERR_INVALID_ARGUMENT);   // nothing begun
    CHECK(done == 0);
    loom_batch_clear(ctx->b);
    REQUIRE(loom_batch_add(ctx->b, 3, 6, 0, 1) == LOOM_OK);
    REQUIRE(loom_decode_begin(ctx->c, ctx->b) == LOOM_OK);
    REQUIRE(loom_decode_step(ctx->c, 0, &done) == LOOM_OK);
    REQUIRE(done == 0);
    CHECK(loom_decode(ctx->c, ctx->b) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_decode_begin(ctx->c, ctx->b) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_decode_step(ctx->c, -1, &done) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_kv_seq_remove(ctx->c, 0, 0, -1) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_kv_seq_copy(ctx->c, 0, 0, 0, -1) == LOOM_ERR_INVALID_ARGUMENT);
    size_t size = 0;
    CHECK(loom_state_save(ctx->c, nullptr, 0, &size) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_context_set_n_threads(ctx->c, 1) == LOOM_ERR_INVALID_ARGUMENT);
    const float *l = nullptr;
    CHECK(loom_get_logits(ctx->c, -1, &l) == LOOM_ERR_NOT_FOUND);   // the previous outputs are gone
    int32_t pos = -2;
    REQUIRE(loom_kv_seq_pos_max(ctx->c, 0, &pos) == LOOM_OK);
    CHECK(pos == 6);   // the pending token's cell is tagged
    loom_decode_cancel(ctx->c);
    REQUIRE(loom_kv_seq_pos_max(ctx->c, 0, &pos) == LOOM_OK);
    CHECK(pos == 5);
    loom_decode_cancel(ctx->c);   // nothing in progress: no-op
    loom_decode_cancel(nullptr);
    // After the cancel the same token decodes as on a context that never stepped.
    std::vector<float> after = fixture::decode(*ctx, m, {3}, 6);
    auto fresh = fixture::context(m);
    std::vector<int32_t> b = a;
    b.push_back(3);
    std::vector<float> want = fixture::decode(*fresh, m, b);
    want.erase(want.begin(), want.end() - nv);
    CHECK(bit_equal(after, want));
    // loom_kv_clear cancels too; freeing the context mid-way is fine (ctx's destructor).
    loom_batch_clear(ctx->b);
    REQUIRE(loom_batch_add(ctx->b, 4, 7, 0, 1) == LOOM_OK);
    REQUIRE(loom_decode_begin(ctx->c, ctx->b) == LOOM_OK);
    REQUIRE(loom_decode_step(ctx->c, 0, &done) == LOOM_OK);
    loom_kv_clear(ctx->c);
    REQUIRE(loom_kv_seq_pos_max(ctx->c, 0, &pos) == LOOM_OK);
    CHECK(pos == -1);
    CHECK(loom_decode_step(ctx->c, 10, &done) == LOOM_ERR_INVALID_ARGUMENT);
    REQUIRE(loom_decode_begin(ctx->c, ctx->b) == LOOM_OK);
    REQUIRE(loom_decode_step(ctx->c, 0, &done) == LOOM_OK);
}

TEST_CASE("abort_callback_between_steps_cancels_and_rolls_back", "[decode_step]") {
    fixture::Model &m = cpu_model();
    auto c = std::make_unique<fixture::Context>();
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = p.n_batch = 64;
    p.n_threads = 2;
    p.abort_callback = abort_after;
    REQUIRE(loom_context_new(m.m, &p, &c->c) == LOOM_OK);
    REQUIRE(loom_batch_new(64, &c->b) == LOOM_OK);
    for (int32_t i = 0; i < 5; i++) REQUIRE(loom_batch_add(c->b, i + 1, i, 0, 1) == LOOM_OK);
    g_aborts_left = 3;   // three pieces run, the fourth is refused
    REQUIRE(loom_decode_begin(c->c, c->b) == LOOM_OK);
    int32_t done = 0;
    loom_status st = LOOM_OK;
    int steps = 0;
    while (st == LOOM_OK && !done) {
        st = loom_decode_step(c->c, 0, &done);
        steps++;
    }
    CHECK(st == LOOM_ERR_CANCELLED);
    CHECK(steps == 4);
    int32_t pos = -2;
    REQUIRE(loom_kv_seq_pos_max(c->c, 0, &pos) == LOOM_OK);
    CHECK(pos == -1);
    CHECK(loom_decode_step(c->c, 0, &done) == LOOM_ERR_INVALID_ARGUMENT);   // nothing in progress
}

TEST_CASE("host_parallel_for_gives_the_logits_of_loom_pool", "[decode_step][threads]") {
    fixture::Model &m = cpu_model();
    const int32_t nv = m.n_vocab();
    for (int32_t n : {2, 3}) {
        INFO(n << " workers");
        auto own = fixture::context(m, 64, 1, LOOM_TYPE_F32, n);
        const std::vector<float> want = conversation(*own, nv, plain);
        HostPool pool(n);
        auto hosted = hosted_context(m, n, &pool);
        REQUIRE(hosted != nullptr);
        CHECK(bit_equal(conversation(*hosted, nv, plain), want));
        int steps = 0;
        loom_kv_clear(hosted->c);
        CHECK(bit_equal(conversation(*hosted, nv, stepped(1, &steps)), want));
        CHECK(pool.loops.load() > 100);   // the kernels' loops went through the host
        CHECK(pool.tasks_run.load() > pool.loops.load());
    }
}

TEST_CASE("host_worker_index_out_of_range_fails_the_decode", "[decode_step][threads]") {
    fixture::Model &m = cpu_model();
    struct Bad {
        static void pfor(void *, int64_t n_tasks, loom_task_fn task, void *task_ctx) {
            for (int64_t t = 0; t < n_tasks; t++) task(task_ctx, t, 5);   // n_threads is 2
        }
    };
    auto c = hosted_context(m, 2, nullptr, Bad::pfor);
    REQUIRE(c != nullptr);
    REQUIRE(loom_batch_add(c->b, 1, 0, 0, 1) == LOOM_OK);
    CHECK(loom_decode(c->c, c->b) == LOOM_ERR_INTERNAL);
    CHECK(std::string(loom_last_error()).find("worker 5") != std::string::npos);
    int32_t pos = -2;
    REQUIRE(loom_kv_seq_pos_max(c->c, 0, &pos) == LOOM_OK);
    CHECK(pos == -1);
}

TEST_CASE("set_n_threads_at_run_time_equals_a_context_made_with_that_count", "[decode_step][threads]") {
    fixture::Model &m = cpu_model();
    const int32_t nv = m.n_vocab();
    auto ctx = fixture::context(m, 64, 1, LOOM_TYPE_F32, 2);
    for (int32_t n : {1, 3, 2}) {
        INFO(n << " threads");
        REQUIRE(loom_context_set_n_threads(ctx->c, n) == LOOM_OK);
        loom_kv_clear(ctx->c);
        auto fresh = fixture::context(m, 64, 1, LOOM_TYPE_F32, n);
        CHECK(bit_equal(conversation(*ctx, nv, plain), conversation(*fresh, nv, plain)));
    }
    CHECK(loom_context_set_n_threads(ctx->c, 0) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_context_set_n_threads(ctx->c, 257) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_context_set_n_threads(nullptr, 2) == LOOM_ERR_INVALID_ARGUMENT);
}

#if defined(__linux__)
TEST_CASE("idle_pool_sleeps_between_decodes", "[decode_step][threads]") {
    fixture::Model &m = cpu_model();
    auto ctx = fixture::context(m, 64, 1, LOOM_TYPE_F32, 4);
    REQUIRE(!fixture::decode(*ctx, m, fixture::tokens(8, m.n_vocab(), 2)).empty());
    const auto cpu_seconds = [] {
        rusage u{};
        getrusage(RUSAGE_SELF, &u);
        return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
    };
    std::this_thread::sleep_for(std::chrono::milliseconds(20));   // past the workers' spin (about 200 us)
    const double before = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    const double used = cpu_seconds() - before;
    INFO("CPU seconds used by the process while idle for 0.4 s: " << used);
    CHECK(used < 0.04);   // three spinning workers would use about 1.2 s
}
#endif
