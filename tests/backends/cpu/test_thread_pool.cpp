// The CPU thread pool: every task of every job runs exactly once, on a valid
// worker index, whether the workers are spinning (back-to-back jobs) or
// asleep (jobs further apart than the spin window).
#include "cpu/thread_pool.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <new>
#include <thread>
#include <vector>

using loom::cpu::ThreadPool;

namespace {

// Runs `jobs` jobs of varying size; checks every task ran once per job.
void run_jobs(ThreadPool &pool, int jobs, std::chrono::microseconds gap) {
    for (int j = 0; j < jobs; j++) {
        const int64_t n = 1 + (j * 7) % 37;
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::atomic<int> bad_worker{0};
        pool.parallel_for(n, [&](int64_t t, int worker) {
            hits[static_cast<size_t>(t)].fetch_add(1);
            if (worker < 0 || worker >= pool.size()) bad_worker.fetch_add(1);
        });
        for (int64_t t = 0; t < n; t++) REQUIRE(hits[static_cast<size_t>(t)].load() == 1);
        REQUIRE(bad_worker.load() == 0);
        if (gap.count()) std::this_thread::sleep_for(gap);
    }
}

std::unique_ptr<ThreadPool> make_pool(int threads, int64_t max_job_tasks = int64_t(1) << 30) {
    std::unique_ptr<ThreadPool> pool;
    loom::Status s = ThreadPool::create(threads, &pool, max_job_tasks);
    INFO(s.message());
    REQUIRE(s.is_ok());
    return pool;
}

} // namespace

TEST_CASE("back_to_back_jobs_run_every_task_once", "[thread_pool]") {
    for (int threads : {1, 2, 3, 5}) {
        auto pool = make_pool(threads);
        REQUIRE(pool->size() == threads);
        run_jobs(*pool, 500, std::chrono::microseconds(0));
    }
}

TEST_CASE("jobs_after_the_workers_sleep_run_every_task_once", "[thread_pool]") {
    auto pool = make_pool(3);
    run_jobs(*pool, 20, std::chrono::microseconds(4 * ThreadPool::kSpinMicros));
}

TEST_CASE("jobs_around_the_spin_window_run_every_task_once", "[thread_pool]") {
    // Gaps just under and over the spin window race the sleep and wake paths.
    auto pool = make_pool(4);
    for (int i = 0; i < 30; i++)
        run_jobs(*pool, 3, std::chrono::microseconds(ThreadPool::kSpinMicros * (i % 3 == 0 ? 1 : i % 3 == 1 ? 2 : 0) +
                                                    (i % 2 ? 30 : -30) * (i % 3 != 2)));
}

TEST_CASE("loops_longer_than_a_job_run_in_pieces", "[thread_pool]") {
    // With at most 7 tasks per job, 100 tasks run as 15 jobs, each task once.
    auto pool = make_pool(3, 7);
    std::vector<std::atomic<int>> hits(100);
    pool->parallel_for(100, [&](int64_t t, int) { hits[static_cast<size_t>(t)].fetch_add(1); });
    for (auto &h : hits) CHECK(h.load() == 1);
}

TEST_CASE("uneven_tasks_are_shared_between_workers", "[thread_pool]") {
    auto pool = make_pool(2);
    std::atomic<int> by_worker[2] = {{0}, {0}};
    // Tasks long enough that the second thread (awake, spinning) claims some.
    // They busy-wait: MinGW's sleep_for rounds 300 us down to Sleep(0).
    pool->parallel_for(64, [&](int64_t, int worker) {
        by_worker[worker].fetch_add(1);
        const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(300);
        while (std::chrono::steady_clock::now() < end) {
        }
    });
    REQUIRE(by_worker[0].load() + by_worker[1].load() == 64);
    REQUIRE(by_worker[1].load() > 0);
}

TEST_CASE("a_task_exception_reaches_the_caller_and_the_pool_stays_usable", "[thread_pool]") {
    // Every third task throws bad_alloc on whichever thread runs it (workers
    // included): nothing may escape a worker thread (std::terminate), the
    // tasks of the failing job still run once each, no later job starts, the
    // caller gets the exception, and the next loop runs normally.
    for (int threads : {1, 2, 4}) {
        auto pool = make_pool(threads, 5);
        for (int round = 0; round < 20; round++) {
            std::vector<std::atomic<int>> hits(23);
            bool thrown = false;
            try {
                pool->parallel_for(23, [&](int64_t t, int) {
                    hits[static_cast<size_t>(t)].fetch_add(1);
                    if (t % 3 == round % 3) throw std::bad_alloc();
                });
            } catch (const std::bad_alloc &) {
                thrown = true;
            }
            REQUIRE(thrown);
            int ran = 0;
            for (auto &h : hits) {
                REQUIRE(h.load() <= 1);
                ran += h.load();
            }
            // One thread runs tasks in order and stops at the throw; a pool runs
            // the whole first job (tasks 0-4, max_job_tasks = 5) and no other.
            REQUIRE(ran == (threads == 1 ? round % 3 + 1 : 5));
            run_jobs(*pool, 3, std::chrono::microseconds(0));
        }
    }
}
