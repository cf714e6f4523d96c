#include "cpu/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace loom::cpu {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// Polls `ready` for up to kSpinMicros; false if it never became true.
template <class Pred>
bool spin_until(const Pred &ready) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(ThreadPool::kSpinMicros);
    for (unsigned i = 0;; i++) {
        if (ready()) return true;
        cpu_relax();
        if ((i & 63) == 63 && std::chrono::steady_clock::now() >= deadline) return false;
    }
}

} // namespace

ThreadPool::ThreadPool(int64_t max_job_tasks)
    : max_job_tasks_(std::min<int64_t>(std::max<int64_t>(max_job_tasks, 1), int64_t(1) << 30)) {}

Status ThreadPool::create(int n_threads, std::unique_ptr<ThreadPool> *out, int64_t max_job_tasks) {
    // On any failure `pool` goes out of scope, and its destructor stops and
    // joins the workers already started (a joinable std::thread destroyed
    // unjoined would terminate the process).
    std::unique_ptr<ThreadPool> pool(new ThreadPool(max_job_tasks));
    LOOM_TRY(pool->start_workers(n_threads));
    *out = std::move(pool);
    return Status::ok();
}

Status ThreadPool::create_hosted(int n_workers, const HostJobs &jobs, std::unique_ptr<ThreadPool> *out) {
    std::unique_ptr<ThreadPool> pool(new ThreadPool(int64_t(1) << 30));
    pool->host_ = jobs;
    pool->hosted_workers_ = std::max(n_workers, 1);
    *out = std::move(pool);
    return Status::ok();
}

namespace {

// One loop handed to the host: the tasks' exceptions stay on this side of
// the C callback and are rethrown on the caller.
struct HostedLoop {
    const ThreadPool::TaskFn *fn;
    int n_workers;
    std::atomic<bool> failed{false};
    std::exception_ptr failure;

    static void run(void *ctx, int64_t task, int32_t worker) {
        auto *loop = static_cast<HostedLoop *>(ctx);
        try {
            if (worker < 0 || worker >= loop->n_workers)
                throw std::out_of_range("the host's parallel_for ran a task as worker " + std::to_string(worker) +
                                        ", outside [0, n_threads = " + std::to_string(loop->n_workers) + ")");
            (*loop->fn)(task, worker);
        } catch (...) {
            if (!loop->failed.exchange(true)) loop->failure = std::current_exception();
        }
    }
};

} // namespace

void ThreadPool::hosted_parallel_for(int64_t n_tasks, const TaskFn &fn) {
    HostedLoop loop;
    loop.fn = &fn;
    loop.n_workers = hosted_workers_;
    host_.parallel_for(host_.user_data, n_tasks, &HostedLoop::run, &loop);
    if (loop.failed.load()) std::rethrow_exception(loop.failure);
}

Status ThreadPool::start_workers(int n_threads) {
    const int n_workers = std::max(n_threads, 1) - 1;
    workers_.reserve(static_cast<size_t>(n_workers));   // emplace_back below then never reallocates
    for (int i = 1; i <= n_workers; i++) {
        try {
            workers_.emplace_back([this, i] { worker_main(i); });
        } catch (const std::system_error &e) {
            return error(LOOM_ERR_BACKEND, "cannot start CPU worker thread %d of %d: %s (lower n_threads)", i, n_workers,
                         e.code().message().c_str());
        } catch (const std::bad_alloc &) {
            return error(LOOM_ERR_OUT_OF_MEMORY, "cannot start CPU worker thread %d of %d: out of memory", i, n_workers);
        }
    }
    return Status::ok();
}

ThreadPool::~ThreadPool() {
    stop_.store(true);
    job_.store(uint64_t(generation_ + 1) << 32);   // wakes the spinners: a job with no tasks
    {
        std::lock_guard<std::mutex> lock(mu_);
    }
    start_cv_.notify_all();
    for (std::thread &t : workers_) t.join();
}

void ThreadPool::run_task(const Slot &slot, int64_t task, int worker) noexcept {
    try {
        (*slot.fn.load(std::memory_order_relaxed))(slot.base.load(std::memory_order_relaxed) + task, worker);
    } catch (...) {
        if (!failed_.exchange(true)) failure_ = std::current_exception();
    }
}

bool ThreadPool::claim(uint32_t generation, int64_t *task) {
    const Slot &slot = slots_[generation & 1];
    uint64_t v = job_.load(std::memory_order_acquire);
    for (;;) {
        if (static_cast<uint32_t>(v >> 32) != generation) return false;   // a newer job: not ours
        const uint32_t next = static_cast<uint32_t>(v);
        if (next >= slot.n_tasks.load(std::memory_order_relaxed)) return false;
        if (job_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
            *task = next;
            return true;
        }
    }
}

void ThreadPool::run_job(uint32_t generation, int worker) {
    const Slot &slot = slots_[generation & 1];
    int64_t t = 0;
    while (claim(generation, &t)) {
        // The job cannot finish (nor its slot be reused) before this task is counted.
        const int64_t n = slot.n_tasks.load(std::memory_order_relaxed);
        run_task(slot, t, worker);
        if (done_.fetch_add(1) + 1 == n && worker != 0 && caller_sleeping_.load()) {
            std::lock_guard<std::mutex> lock(mu_);
            done_cv_.notify_one();
        }
    }
}

void ThreadPool::worker_main(int worker) {
    uint32_t seen = 0;
    for (;;) {
        const auto woken = [&] { return published() != seen; };
        if (!spin_until(woken)) {
            std::unique_lock<std::mutex> lock(mu_);
            worker_sleepers_.fetch_add(1);   // seq_cst: pairs with the publisher's load
            start_cv_.wait(lock, woken);
            worker_sleepers_.fetch_sub(1);
        }
        if (stop_.load()) return;
        seen = published();
        run_job(seen, worker);
    }
}

void ThreadPool::run_piece(int64_t base, int64_t n_tasks, const TaskFn &fn) {
    const uint32_t g = ++generation_;
    Slot &slot = slots_[g & 1];
    slot.fn.store(&fn, std::memory_order_relaxed);
    slot.n_tasks.store(n_tasks, std::memory_order_relaxed);
    slot.base.store(base, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    job_.store(uint64_t(g) << 32);   // seq_cst: publishes the slot, pairs with worker_sleepers_
    if (worker_sleepers_.load() > 0) {
        { std::lock_guard<std::mutex> lock(mu_); }
        start_cv_.notify_all();
    }
    run_job(g, 0);
    const auto finished = [&] { return done_.load() == n_tasks; };   // seq_cst: pairs with caller_sleeping_
    if (!spin_until(finished)) {
        std::unique_lock<std::mutex> lock(mu_);
        caller_sleeping_.store(true);   // seq_cst: pairs with the last task's increment
        done_cv_.wait(lock, finished);
        caller_sleeping_.store(false);
    }
}

void ThreadPool::parallel_for(int64_t n_tasks, const TaskFn &fn) {
    if (n_tasks <= 0) return;
    if (host_.parallel_for) return hosted_parallel_for(n_tasks, fn);
    if (workers_.empty() || n_tasks == 1) {
        for (int64_t t = 0; t < n_tasks; t++) fn(t, 0);
        return;
    }
    for (int64_t base = 0; base < n_tasks && !failed_.load(); base += max_job_tasks_)
        run_piece(base, std::min(max_job_tasks_, n_tasks - base), fn);
    if (failed_.load()) {
        // Every task has finished (run_piece waited), so no thread touches failure_ now.
        std::exception_ptr e = std::move(failure_);
        failure_ = nullptr;
        failed_.store(false);
        std::rethrow_exception(e);
    }
}

} // namespace loom::cpu
