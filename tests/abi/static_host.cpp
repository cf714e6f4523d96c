// The C++ half of the host program in static_link.c: uses the std::
// templates loom's core instantiates too (vector<string> growth, to_string,
// unordered_map<string, ...>, shared_ptr, function, thread, mutex,
// condition_variable), so its copies sit beside libloom.a's in one link.
#include <algorithm>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

extern "C" int host_cxx_work(void);

extern "C" int host_cxx_work(void) {
    std::vector<std::string> words;
    const char *p = "beta";
    words.emplace_back(p);
    words.push_back(std::to_string(42u));
    words.push_back(std::to_string(7ul));
    words.emplace_back("alpha");
    std::sort(words.begin(), words.end());
    std::unordered_map<std::string, int> count;
    for (const std::string &w : words) count[w]++;
    auto shared = std::make_shared<std::vector<float>>(16, 1.0f);
    std::mutex mu;
    std::condition_variable cv;
    int done = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; i++)
        threads.emplace_back([&, shared] {
            std::lock_guard<std::mutex> lock(mu);
            done += int((*shared)[0]);
            cv.notify_all();
        });
    {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return done == 4; });
    }
    for (std::thread &t : threads) t.join();
    std::function<int(int)> twice = [](int x) { return 2 * x; };
    bool ok = words.front() == "42" && words.back() == "beta" && count.size() == 4 && twice(done) == 8;
    return ok ? 0 : 1;
}
