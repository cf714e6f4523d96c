// A persistent pool of worker threads for the CPU backend. parallel_for runs
// fn(task, worker) for every task in [0, n_tasks), the calling thread taking
// part as worker 0; tasks are claimed from a shared counter, so uneven tasks
// balance. One parallel_for at a time (a Session is single-threaded).
//
// Waiting spins first, then sleeps: a decode step runs a few hundred short
// parallel_for calls, and waking a sleeping thread through the kernel costs
// tens of microseconds each time, so workers spin on the job counter for
// kSpinMicros after each job before they block on a condition variable. The
// caller likewise spins, then sleeps, waiting for the workers to finish.
//
// Owner: backends/cpu.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace loom::cpu {

class ThreadPool {
public:
    using TaskFn = std::function<void(int64_t task, int worker)>;

    // How long a waiting thread spins before it sleeps.
    static constexpr int kSpinMicros = 200;

    explicit ThreadPool(int n_threads);   // n_threads >= 1, including the caller
    ~ThreadPool();
    ThreadPool(const ThreadPool &) = delete;
    ThreadPool &operator=(const ThreadPool &) = delete;

    int size() const { return static_cast<int>(workers_.size()) + 1; }
    void parallel_for(int64_t n_tasks, const TaskFn &fn);

private:
    void worker_main(int worker);
    void run_tasks(int worker);

    std::vector<std::thread> workers_;
    // A job is published by bumping generation_; pending_ counts the workers
    // that have not finished it. Sleepers register in *_sleepers_ under mu_
    // before they wait, so a publisher that sees none need not lock.
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<int> worker_sleepers_{0};
    std::atomic<bool> caller_sleeping_{false};
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::condition_variable start_cv_, done_cv_;
    const TaskFn *fn_ = nullptr;
    int64_t n_tasks_ = 0;
    alignas(64) std::atomic<int64_t> next_{0};
};

} // namespace loom::cpu
