#include "http_pool.h"

#include <algorithm>
#include <chrono>

namespace serve {

namespace {
constexpr auto kIdleExit = std::chrono::seconds(30);   // an extra thread idle this long exits
}

ElasticPool::ElasticPool(size_t min_threads, size_t max_threads)
    : min_(min_threads), max_(std::max(min_threads, max_threads)) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < min_; i++) spawn();
}

ElasticPool::~ElasticPool() { shutdown(); }

// Called with mu_ held. Joins threads that exited, then starts one.
void ElasticPool::spawn() {
    for (std::thread::id id : finished_) {
        auto it = std::find_if(threads_.begin(), threads_.end(), [&](const std::thread &t) { return t.get_id() == id; });
        if (it == threads_.end()) continue;
        it->join();
        threads_.erase(it);
    }
    finished_.clear();
    n_running_++;
    n_idle_++;
    threads_.emplace_back([this] { work(); });
}

void ElasticPool::enqueue(std::function<void()> fn) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        jobs_.push_back(std::move(fn));
        if (n_idle_ < jobs_.size() && n_running_ < max_) spawn();
    }
    cv_.notify_one();
}

void ElasticPool::work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
        const bool woke = cv_.wait_for(lock, kIdleExit, [&] { return shutdown_ || !jobs_.empty(); });
        if (!woke && n_running_ > min_) break;            // idle too long: shrink
        if (jobs_.empty()) {
            if (shutdown_) break;
            continue;
        }
        std::function<void()> job = std::move(jobs_.front());
        jobs_.pop_front();
        n_idle_--;
        lock.unlock();
        job();
        lock.lock();
        n_idle_++;
    }
    n_idle_--;
    n_running_--;
    finished_.push_back(std::this_thread::get_id());
}

void ElasticPool::shutdown() {
    std::vector<std::thread> threads;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (shutdown_ && threads_.empty()) return;
        shutdown_ = true;
        threads.swap(threads_);
    }
    cv_.notify_all();
    for (std::thread &t : threads) t.join();
}

} // namespace serve
