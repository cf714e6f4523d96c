#include "http_server.h"

#include "http_pool.h"
#include "openai_response.h"
#include "speculative_lanes.h"
#include "web_page.h"

#include <httplib.h>

#include <chrono>

namespace serve {

using nlohmann::json;

namespace {

void send_json(httplib::Response &res, int status, const json &body) {
    res.status = status;
    res.set_content(dump_json(body), "application/json");
}

void send_error(httplib::Response &res, const ApiError &e) {
    if (e.status == 503) res.set_header("Retry-After", "1");
    send_json(res, e.status, error_json(e));
}

// The OpenAI error for a status httplib answered by itself (no body yet).
ApiError error_for_status(int status) {
    switch (status) {
    case 400: return ApiError(400, "invalid_request_error", "malformed or incomplete HTTP request (or the read timed out)");
    case 404: return ApiError(404, "invalid_request_error", "no such route", "", "not_found");
    case 405: return ApiError(405, "invalid_request_error", "method not allowed for this route");
    case 413: return ApiError(413, "invalid_request_error", "the request body is too large", "", "payload_too_large");
    case 414: return ApiError(414, "invalid_request_error", "the request URI is too long");
    default: return ApiError(status, status >= 500 ? "server_error" : "invalid_request_error", "HTTP error " + std::to_string(status));
    }
}

// /health's "speculative" block.
json speculative_json(const SpeculativeInfo &i) {
    json j = {{"source", i.source}, {"draft_max", i.draft_max}};
    if (i.source == "lookup") {
        j["ngram_min"] = i.ngram_min;
        j["ngram_max"] = i.ngram_max;
    } else {
        j["draft_model"] = i.draft_model;
        j["draft_p_min"] = i.draft_p_min;
    }
    return j;
}

// Runs a handler, turning exceptions into OpenAI error responses.
template <class F> httplib::Server::Handler guarded(F f) {
    return [f](const httplib::Request &req, httplib::Response &res) {
        try {
            f(req, res);
        } catch (const ApiError &e) {
            send_error(res, e);
        } catch (const std::exception &e) {
            send_error(res, ApiError(500, "server_error", e.what()));
        }
    };
}

// Counts a response in flight from construction to destruction.
struct InFlight {
    std::atomic<int> &n;
    explicit InFlight(std::atomic<int> &c) : n(c) { n++; }
    ~InFlight() { n--; }
};

// What one event adds to a choice: content to show and tool calls completed
// (numbered from first_call within the choice).
struct Delta {
    std::string content;
    std::vector<ToolCall> calls;
    size_t first_call = 0;
};

// A request's accumulated results (usage over its choices). With tools, each
// choice's text goes through a ToolCallParser: streamed and whole replies
// are cut into content and calls by the same code.
struct Collected {
    std::vector<ChoiceResult> choices;
    std::vector<ToolCallParser> parsers;   // empty: no tool calls to read
    Usage usage;
    std::string error;

    Collected(int32_t n, bool tools) : choices(size_t(n)), parsers(tools ? size_t(n) : 0) {}
    Delta add(Event &e) {
        ChoiceResult &c = choices[size_t(e.index)];
        Delta d;
        d.first_call = c.tool_calls.size();
        if (parsers.empty()) {
            d.content = e.text;
        } else {
            parsers[size_t(e.index)].push(e.text, &d.content, &d.calls);
            if (!e.finish_reason.empty()) parsers[size_t(e.index)].finish(&d.content, &d.calls);
        }
        c.text += d.content;
        c.tool_calls.insert(c.tool_calls.end(), d.calls.begin(), d.calls.end());
        for (TokenLogprob &lp : e.logprobs) c.logprobs.push_back(std::move(lp));
        if (e.finish_reason.empty()) return d;
        c.finish_reason = e.finish_reason;
        if (!c.tool_calls.empty() && e.finish_reason != "error") c.finish_reason = "tool_calls";
        if (e.finish_reason == "error") error = e.error;
        usage.prompt_tokens = e.prompt_tokens;
        usage.cached_tokens = e.cached_tokens;
        usage.completion_tokens += e.completion_tokens;
        return d;
    }
};

// The state of one SSE response, shared with httplib's content provider.
struct Stream {
    std::shared_ptr<Channel> channel;
    ResponseMeta meta;
    bool include_usage, logprobs;
    std::vector<bool> started;
    Collected collected;
    std::shared_ptr<InFlight> guard;
    std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();

    Stream(std::shared_ptr<Channel> ch, ResponseMeta m, bool usage, const GenRequest &g, bool tools,
           std::shared_ptr<InFlight> in)
        : channel(std::move(ch)), meta(std::move(m)), include_usage(usage), logprobs(g.top_logprobs >= 0),
          started(size_t(g.n), false), collected(g.n, tools), guard(std::move(in)) {}

    bool write(httplib::DataSink &sink, const std::string &data) {
        last_write = std::chrono::steady_clock::now();
        if (sink.write(data.data(), data.size())) return true;
        channel->cancel();
        return false;
    }
    bool send(httplib::DataSink &sink, const json &j) { return write(sink, "data: " + dump_json(j) + "\n\n"); }

    // `e` after collected.add gave `d`.
    bool send_event(httplib::DataSink &sink, const Event &e, const Delta &d) {
        if (e.finish_reason == "error") return send(sink, error_json(ApiError(500, "server_error", e.error)));
        if (meta.chat && !started[size_t(e.index)]) {
            // The role goes in a chunk of its own, as OpenAI sends it.
            started[size_t(e.index)] = true;
            if (!send(sink, chunk_json(meta, e.index, "", nullptr, "", true))) return false;
        }
        for (size_t k = 0; k < d.calls.size(); k++)
            for (const json &chunk : tool_call_chunks(meta, e.index, d.first_call + k, d.calls[k]))
                if (!send(sink, chunk)) return false;
        const std::string finish = e.finish_reason.empty() ? "" : collected.choices[size_t(e.index)].finish_reason;
        if (d.content.empty() && e.logprobs.empty() && finish.empty()) return true;
        return send(sink, chunk_json(meta, e.index, d.content, logprobs ? &e.logprobs : nullptr, finish, false));
    }

    // One call of httplib's provider: send what arrived; end after the last choice.
    bool pump(httplib::DataSink &sink) {
        std::vector<Event> events;
        const bool more = channel->pop(&events, 500);
        for (Event &e : events) {
            std::vector<TokenLogprob> lps = logprobs ? e.logprobs : std::vector<TokenLogprob>();
            Delta d = collected.add(e);   // moves e.logprobs
            e.logprobs = std::move(lps);
            if (!send_event(sink, e, d)) return false;
        }
        if (events.empty() && std::chrono::steady_clock::now() - last_write > std::chrono::seconds(2))
            if (!write(sink, ": waiting\n\n")) return false;   // also finds clients that went away
        if (more) return true;
        if (include_usage && collected.error.empty() && !send(sink, usage_chunk_json(meta, collected.usage)))
            return false;
        if (!write(sink, "data: [DONE]\n\n")) return false;
        sink.done();
        return true;
    }
};

} // namespace

HttpServer::HttpServer(const loom_model *model, Scheduler &scheduler, Embedder &embedder, int32_t n_slots,
                       const HttpOptions &o)
    : model_(model), scheduler_(scheduler), embedder_(embedder), n_slots_(n_slots), o_(o),
      svr_(std::make_unique<httplib::Server>()) {
    started_ = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const size_t threads = size_t(o_.http_threads);
    svr_->new_task_queue = [threads] { return new ElasticPool(8, threads); };
    svr_->set_payload_max_length(o_.body_limit);
    svr_->set_read_timeout(o_.read_timeout_s, 0);
    svr_->set_write_timeout(o_.write_timeout_s, 0);
    svr_->set_keep_alive_timeout(o_.keep_alive_s);
    svr_->set_keep_alive_max_count(100);
    routes();
}

HttpServer::~HttpServer() = default;

bool HttpServer::bind(std::string *error) {
    if (o_.port == 0) {
        port_ = svr_->bind_to_any_port(o_.host);
        if (port_ > 0) return true;
    } else if (svr_->bind_to_port(o_.host, o_.port)) {
        port_ = o_.port;
        return true;
    }
    *error = "cannot listen on " + o_.host + ":" + std::to_string(o_.port) + " (address in use or not local?)";
    return false;
}

void HttpServer::run() { svr_->listen_after_bind(); }
void HttpServer::stop() { svr_->stop(); }

void HttpServer::check_accepting() const {
    if (draining_.load())
        throw ApiError(503, "server_error", "the server is shutting down", "", "server_shutting_down");
}

void HttpServer::chat_or_completion(const httplib::Request &req, httplib::Response &res, bool chat) {
    // Counted from the start, so that a drain cannot miss a request between its check and its submit.
    auto guard = std::make_shared<InFlight>(in_flight_);
    check_accepting();
    const RequestJson body = parse_body(req.body);
    ParsedRequest p = chat ? parse_chat_request(model_, body, o_.limits) : parse_completion_request(model_, body, o_.limits);
    auto request = std::make_shared<const GenRequest>(std::move(p.gen));
    auto channel = std::make_shared<Channel>(request->n);
    std::vector<Task> tasks;
    for (int32_t i = 0; i < request->n; i++) tasks.push_back(Task{request, i, channel});
    if (!scheduler_.submit(std::move(tasks)))
        throw ApiError(503, "server_error",
                       "all " + std::to_string(n_slots_) + " slots are busy and the queue is full; retry later", "",
                       "server_overloaded");
    ResponseMeta meta = new_meta(chat, o_.model_name);
    if (p.stream) {
        auto stream = std::make_shared<Stream>(channel, meta, p.include_usage, *request, p.parse_tool_calls, guard);
        res.set_header("Cache-Control", "no-cache");
        res.set_chunked_content_provider(
            "text/event-stream", [stream](size_t, httplib::DataSink &sink) { return stream->pump(sink); },
            [stream](bool success) {
                if (!success) stream->channel->cancel();
            });
        return;
    }
    Collected collected(request->n, p.parse_tool_calls);
    std::vector<Event> events;
    for (bool more = true; more;) {
        events.clear();
        more = channel->pop(&events, 1000);
        for (Event &e : events) collected.add(e);
    }
    if (!collected.error.empty()) throw ApiError(500, "server_error", collected.error);
    send_json(res, 200, completion_json(meta, collected.choices, request->top_logprobs >= 0, collected.usage));
}

void HttpServer::embeddings(const httplib::Request &req, httplib::Response &res) {
    InFlight guard(in_flight_);
    check_accepting();
    EmbeddingsRequest e = parse_embeddings_request(model_, parse_body(req.body), o_.limits);
    std::vector<std::vector<float>> vectors(e.inputs.size());
    int32_t n_tokens = 0;
    for (size_t i = 0; i < e.inputs.size(); i++) {
        if (embedder_.embed(e.inputs[i], &vectors[i]) != LOOM_OK)
            throw ApiError(500, "server_error", std::string("embedding failed: ") + loom_last_error());
        n_tokens += int32_t(e.inputs[i].size());
    }
    send_json(res, 200, embeddings_json(vectors, o_.model_name, n_tokens, e.base64));
}

void HttpServer::routes() {
    httplib::Server &s = *svr_;
    s.set_pre_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
        if (o_.api_key.empty() || req.path.compare(0, 4, "/v1/") != 0) return httplib::Server::HandlerResponse::Unhandled;
        if (req.get_header_value("Authorization") == "Bearer " + o_.api_key)
            return httplib::Server::HandlerResponse::Unhandled;
        send_error(res, ApiError(401, "invalid_request_error", "a valid API key is needed (Authorization: Bearer KEY)",
                                 "", "invalid_api_key"));
        return httplib::Server::HandlerResponse::Handled;
    });
    // httplib's own errors (unparsable request, read timeout, body too large):
    // an OpenAI error body, and the connection is closed (what follows on it
    // cannot be trusted, and a stalled client must not keep it).
    s.set_error_handler([](const httplib::Request &, httplib::Response &res) {
        if (!res.body.empty()) return;
        send_error(res, error_for_status(res.status));
        res.set_header("Connection", "close");
    });
    s.set_logger([this](const httplib::Request &req, const httplib::Response &res) {
        metrics_.count_response(req.path, res.status);
    });
    s.Get("/", [](const httplib::Request &, httplib::Response &res) {
        res.set_content(kChatPage, "text/html; charset=utf-8");
    });
    s.Get("/health", [this](const httplib::Request &, httplib::Response &res) {
        const SchedulerStats st = scheduler_.stats();
        json body = {{"status", draining_.load() ? "shutting down" : "ok"}, {"slots_idle", n_slots_ - st.slots_busy},
                     {"slots_processing", st.slots_busy}, {"queued", st.queued}};
        if (const SpeculativeLanes *lanes = scheduler_.speculative()) body["speculative"] = speculative_json(lanes->info());
        send_json(res, draining_.load() ? 503 : 200, body);
    });
    s.Get("/metrics", [this](const httplib::Request &, httplib::Response &res) {
        res.set_content(metrics_.prometheus(scheduler_.stats(), n_slots_), "text/plain; version=0.0.4");
    });
    s.Get("/v1/models", [this](const httplib::Request &, httplib::Response &res) {
        send_json(res, 200, models_json(o_.model_name, started_));
    });
    s.Post("/v1/chat/completions", guarded([this](const httplib::Request &req, httplib::Response &res) {
        chat_or_completion(req, res, true);
    }));
    s.Post("/v1/completions", guarded([this](const httplib::Request &req, httplib::Response &res) {
        chat_or_completion(req, res, false);
    }));
    s.Post("/v1/embeddings", guarded([this](const httplib::Request &req, httplib::Response &res) { embeddings(req, res); }));
}

} // namespace serve
