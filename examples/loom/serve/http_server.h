// The HTTP layer (cpp-httplib): routes, API-key check, limits, timeouts,
// error bodies, SSE streaming. Handlers stay thin: parse and validate -> a
// GenRequest -> the scheduler -> events -> response JSON.
#pragma once

#include "embedder.h"
#include "metrics.h"
#include "openai_request.h"
#include "scheduler.h"

#include "loom.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace serve {

struct HttpOptions {
    std::string host = "127.0.0.1";
    int port = 8080;                 // 0: any free port (printed at start)
    std::string api_key;             // non-empty: every /v1 route needs "Authorization: Bearer KEY"
    std::string model_name;          // what /v1/models lists and responses name
    size_t body_limit = 1 << 20;     // bytes of a request body
    int read_timeout_s = 10;         // one read of a request (headers or body) may wait this long
    int write_timeout_s = 30;        // one write to a client may wait this long
    int keep_alive_s = 5;            // an idle kept-alive connection is closed after this
    int http_threads = 1024;         // connections served at once (threads start as needed)
    RequestLimits limits;
};

class HttpServer {
public:
    HttpServer(const loom_model *model, Scheduler &scheduler, Embedder &embedder, int32_t n_slots,
               const HttpOptions &o);
    ~HttpServer();

    // Binds the socket; false with *error on failure. port() is then known.
    bool bind(std::string *error);
    int port() const { return port_; }
    // Serves until stop() (blocks the calling thread).
    void run();
    void stop();
    // From now on generation and embedding requests get 503 (SIGTERM).
    void drain() { draining_.store(true); }
    // Generation/embedding responses not yet fully sent.
    int in_flight() const { return in_flight_.load(); }

private:
    void routes();
    void chat_or_completion(const httplib::Request &req, httplib::Response &res, bool chat);
    void embeddings(const httplib::Request &req, httplib::Response &res);
    void check_accepting() const;

    const loom_model *model_;
    Scheduler &scheduler_;
    Embedder &embedder_;
    int32_t n_slots_;
    HttpOptions o_;
    std::unique_ptr<httplib::Server> svr_;
    Metrics metrics_;
    int port_ = 0;
    int64_t started_ = 0;
    std::atomic<bool> draining_{false};
    std::atomic<int> in_flight_{0};
};

} // namespace serve
