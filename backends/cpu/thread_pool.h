// A persistent pool of worker threads for the CPU backend. parallel_for runs
// fn(task, worker) for every task in [0, n_tasks), the calling thread taking
// part as worker 0; tasks are claimed from a shared counter, so uneven tasks
// balance. One parallel_for at a time (a Session is single-threaded).
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
    std::mutex mu_;
    std::condition_variable start_cv_, done_cv_;
    uint64_t generation_ = 0;
    int busy_ = 0;              // workers still in the current job
    bool stop_ = false;
    const TaskFn *fn_ = nullptr;
    int64_t n_tasks_ = 0;
    std::atomic<int64_t> next_{0};
};

} // namespace loom::cpu
