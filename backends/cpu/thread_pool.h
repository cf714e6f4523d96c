// A persistent pool of worker threads for the CPU backend. parallel_for runs
// fn(task, worker) for every task in [0, n_tasks), the calling thread taking
// part as worker 0; tasks are claimed from a shared counter, so uneven tasks
// balance. One parallel_for at a time (a Session is single-threaded).
//
// Waiting spins first, then sleeps: a decode step runs a few hundred short
// parallel_for calls, and waking a sleeping thread through the kernel costs
// tens of microseconds each time, so workers spin on the job word for
// kSpinMicros after each job before they block on a condition variable. The
// caller likewise spins, then sleeps, waiting for the tasks to finish.
//
// A task may throw: the exception is caught on the thread that ran it and
// rethrown on the caller when the loop has finished (the other tasks still
// run), so nothing escapes a worker thread. Workers start in create(), which
// joins the ones already started and returns a status if one cannot start.
//
// The caller waits for tasks, never for workers: a worker that the OS has
// not scheduled yet (a loaded machine, a host application's own threads)
// claims nothing, and the caller runs the tasks itself instead of stalling
// until that worker wakes to acknowledge the job. Tasks are claimed with a
// compare-and-swap on one word holding (job generation, next task), so a
// late worker can never take a task of a newer job by mistake.
//
// Hosted pools (create_hosted) start no threads: parallel_for hands the
// loop to the host's job system (loom_context_params.parallel_for), whose
// workers identify themselves by an index in [0, size()).
//
// Owner: backends/cpu.
#pragma once

#include <atomic>
#include "backends/backend.h"
#include "common/status.h"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace loom::cpu {

class ThreadPool {
public:
    using TaskFn = std::function<void(int64_t task, int worker)>;

    // How long a waiting thread spins before it sleeps.
    static constexpr int kSpinMicros = 200;

    // A pool of n_threads >= 1 threads, the caller included (so n_threads - 1
    // workers). max_job_tasks: the most tasks one job word counts (larger
    // loops run as several jobs; tests lower it). Errors: BACKEND when the OS
    // refuses a thread (the message names which and why), OUT_OF_MEMORY; the
    // workers already started are stopped and joined first.
    static Status create(int n_threads, std::unique_ptr<ThreadPool> *out, int64_t max_job_tasks = int64_t(1) << 30);
    // A pool of n_workers >= 1 worker indices whose loops run on the host's
    // jobs.parallel_for. A task given an index outside [0, n_workers) throws
    // (std::out_of_range) instead of running. Errors: OUT_OF_MEMORY.
    static Status create_hosted(int n_workers, const HostJobs &jobs, std::unique_ptr<ThreadPool> *out);
    ~ThreadPool();
    ThreadPool(const ThreadPool &) = delete;
    ThreadPool &operator=(const ThreadPool &) = delete;

    int size() const { return host_.parallel_for ? hosted_workers_ : static_cast<int>(workers_.size()) + 1; }
    // Runs every task, then rethrows the first exception a task threw (if any).
    void parallel_for(int64_t n_tasks, const TaskFn &fn);

private:
    explicit ThreadPool(int64_t max_job_tasks);
    Status start_workers(int n_threads);
    // A job's function and size, double-buffered by generation parity: job
    // g+2 can only be published after job g+1, so after every task of job g.
    struct Slot {
        std::atomic<const TaskFn *> fn{nullptr};
        std::atomic<int64_t> n_tasks{0};
        std::atomic<int64_t> base{0};   // task index of this job's first task
    };

    void hosted_parallel_for(int64_t n_tasks, const TaskFn &fn);
    void worker_main(int worker);
    void run_job(uint32_t generation, int worker);
    bool claim(uint32_t generation, int64_t *task);
    void run_piece(int64_t base, int64_t n_tasks, const TaskFn &fn);
    void run_task(const Slot &slot, int64_t task, int worker) noexcept;
    uint32_t published() const { return static_cast<uint32_t>(job_.load() >> 32); }   // seq_cst: see the sleep protocol

    std::vector<std::thread> workers_;
    HostJobs host_;                  // set: a hosted pool
    int hosted_workers_ = 0;
    const int64_t max_job_tasks_;
    Slot slots_[2];
    uint32_t generation_ = 0;                    // the caller's copy of the current job
    alignas(64) std::atomic<uint64_t> job_{0};   // generation << 32 | next task to claim
    alignas(64) std::atomic<int64_t> done_{0};   // tasks of the current job finished
    // Sleepers register under mu_ before they wait, so a publisher (or the
    // last task) that sees none need not lock.
    std::atomic<int> worker_sleepers_{0};
    std::atomic<bool> caller_sleeping_{false};
    std::atomic<bool> stop_{false};
    // The first exception a task of the current parallel_for threw (set once,
    // by whoever flips failed_; read by the caller after every task is done).
    std::atomic<bool> failed_{false};
    std::exception_ptr failure_;
    std::mutex mu_;
    std::condition_variable start_cv_, done_cv_;
};

} // namespace loom::cpu
