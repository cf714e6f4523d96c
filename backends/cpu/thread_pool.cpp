#include "cpu/thread_pool.h"

#include <chrono>

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

ThreadPool::ThreadPool(int n_threads) {
    for (int i = 1; i < n_threads; i++) workers_.emplace_back([this, i] { worker_main(i); });
}

ThreadPool::~ThreadPool() {
    stop_.store(true);
    generation_.fetch_add(1);
    {
        std::lock_guard<std::mutex> lock(mu_);
    }
    start_cv_.notify_all();
    for (std::thread &t : workers_) t.join();
}

void ThreadPool::run_tasks(int worker) {
    for (;;) {
        int64_t t = next_.fetch_add(1, std::memory_order_relaxed);
        if (t >= n_tasks_) return;
        (*fn_)(t, worker);
    }
}

void ThreadPool::worker_main(int worker) {
    uint64_t seen = 0;
    for (;;) {
        const auto published = [&] { return generation_.load(std::memory_order_acquire) != seen; };
        if (!spin_until(published)) {
            std::unique_lock<std::mutex> lock(mu_);
            worker_sleepers_.fetch_add(1);   // seq_cst: pairs with the publisher's load
            start_cv_.wait(lock, published);
            worker_sleepers_.fetch_sub(1);
        }
        seen = generation_.load(std::memory_order_acquire);
        if (stop_.load(std::memory_order_acquire)) return;
        run_tasks(worker);
        if (pending_.fetch_sub(1) == 1 && caller_sleeping_.load()) {
            std::lock_guard<std::mutex> lock(mu_);
            done_cv_.notify_one();
        }
    }
}

void ThreadPool::parallel_for(int64_t n_tasks, const TaskFn &fn) {
    if (n_tasks <= 0) return;
    if (workers_.empty() || n_tasks == 1) {
        for (int64_t t = 0; t < n_tasks; t++) fn(t, 0);
        return;
    }
    fn_ = &fn;
    n_tasks_ = n_tasks;
    next_.store(0, std::memory_order_relaxed);
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1);   // seq_cst: publishes the job, pairs with worker_sleepers_
    if (worker_sleepers_.load() > 0) {
        { std::lock_guard<std::mutex> lock(mu_); }
        start_cv_.notify_all();
    }
    run_tasks(0);
    const auto finished = [&] { return pending_.load(std::memory_order_acquire) == 0; };
    if (!spin_until(finished)) {
        std::unique_lock<std::mutex> lock(mu_);
        caller_sleeping_.store(true);   // seq_cst: pairs with the last worker's decrement
        done_cv_.wait(lock, finished);
        caller_sleeping_.store(false);
    }
    fn_ = nullptr;
}

} // namespace loom::cpu
