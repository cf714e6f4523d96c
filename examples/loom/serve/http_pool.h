// The HTTP connection threads: a pool that grows when every thread is busy
// (up to a cap) and shrinks back when threads stay idle. cpp-httplib serves
// one connection per thread, and a connection that sends nothing holds its
// thread until the keep-alive or read timeout: with a fixed pool, a few
// hundred idle connections would queue every other client behind them.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace serve {

class ElasticPool : public httplib::TaskQueue {
public:
    // `min_threads` are started at once and kept; at most `max_threads` run.
    ElasticPool(size_t min_threads, size_t max_threads);
    ~ElasticPool() override;

    void enqueue(std::function<void()> fn) override;
    void shutdown() override;

private:
    void spawn();
    void work();

    size_t min_, max_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    std::vector<std::thread::id> finished_;   // exited idle threads, joined at the next spawn
    size_t n_running_ = 0, n_idle_ = 0;
    bool shutdown_ = false;
};

} // namespace serve
