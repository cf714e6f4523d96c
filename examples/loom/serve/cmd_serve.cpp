// loom serve -m MODEL [--host H] [--port P] [-np N] [-c N] [--api-key K] [-t N] ...
// An OpenAI-compatible HTTP server (chat, completions, embeddings, models,
// health, metrics) with N slots decoded together, and a chat page at "/".
// SIGTERM or SIGINT drains: running requests finish, new ones get 503, then
// the process exits 0.
#include "../cli.h"
#include "../infer_common.h"
#include "http_server.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

namespace {

const char *const kUsage =
    "loom serve -m MODEL [--host 127.0.0.1] [--port 8080] [--parallel|-np 4] [-c|--ctx-size N_CTX]\n"
    "       [--api-key KEY] [-t|--threads N] [-b|--batch-size 512] [--alias NAME] [--queue 64]\n"
    "       [-n|--n-predict N] [--max-tokens-limit N] [--body-limit BYTES] [--timeout SECONDS]\n"
    "       [--threads-http 1024] [--force-chatml]\n"
    "  -c is the whole cache; each of the -np slots gets c/np tokens (prompt + reply).\n"
    "  Binds 127.0.0.1 unless --host says otherwise; --api-key guards every /v1 route.";

struct ServeOptions {
    std::string model;
    long long parallel = 4, n_ctx = 0, threads = 0, batch = 512, queue = 64, n_predict = -1, max_tokens = 0;
    long long body_limit = 1 << 20, timeout = 10, http_threads = 1024;
    bool force_chatml = false;
    serve::HttpOptions http;
};

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

bool take_number(const char *a, const char *v, ServeOptions *o, bool *bad) {
    struct { const char *names[3]; long long *dst; long long lo; } table[] = {
        {{"--parallel", "-np", nullptr}, &o->parallel, 1},   {{"-c", "--ctx-size", nullptr}, &o->n_ctx, 0},
        {{"-t", "--threads", nullptr}, &o->threads, 0},      {{"-b", "--batch-size", nullptr}, &o->batch, 1},
        {{"--queue", nullptr, nullptr}, &o->queue, 0},       {{"-n", "--n-predict", nullptr}, &o->n_predict, -1},
        {{"--max-tokens-limit", nullptr, nullptr}, &o->max_tokens, 0},
        {{"--body-limit", nullptr, nullptr}, &o->body_limit, 1024},
        {{"--timeout", "-to", nullptr}, &o->timeout, 1},     {{"--threads-http", nullptr, nullptr}, &o->http_threads, 4},
    };
    for (auto &t : table)
        for (const char *name : t.names)
            if (name && !std::strcmp(a, name)) {
                *bad = !cli::parse_int(v, t.dst) || *t.dst < t.lo;
                return true;
            }
    return false;
}

bool parse_args(int argc, char **argv, ServeOptions *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool bad = false;
        if (!std::strcmp(a, "--force-chatml")) {
            o->force_chatml = true;
            continue;
        }
        if (i + 1 >= argc) return false;
        const char *v = argv[++i];
        long long port = 0;
        if (!std::strcmp(a, "-m") || !std::strcmp(a, "--model")) o->model = v;
        else if (!std::strcmp(a, "--host")) o->http.host = v;
        else if (!std::strcmp(a, "--port")) bad = !cli::parse_int(v, &port) || port < 0 || port > 65535, o->http.port = int(port);
        else if (!std::strcmp(a, "--api-key")) o->http.api_key = v;
        else if (!std::strcmp(a, "--alias")) o->http.model_name = v;
        else if (!take_number(a, v, o, &bad)) return false;
        if (bad) return false;
    }
    return !o->model.empty() && o->parallel <= 256;
}

std::string base_name(const std::string &path) {
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Refuses a model whose chat template is not ChatML, unless forced.
bool check_template(const loom_model *m, bool force) {
    int32_t kind = 0;
    if (loom_chat_template_kind(m, &kind) != LOOM_OK) return false;
    if (kind == LOOM_CHAT_KIND_CHATML || force) return true;
    cli::fail("the model's chat template is %s; loom serve renders ChatML only (--force-chatml to use it anyway)",
              kind == LOOM_CHAT_KIND_NONE ? "missing" : "not ChatML");
    return false;
}

// Waits for SIGTERM/SIGINT, then drains: no new work, running requests finish.
void wait_and_drain(serve::HttpServer &http, serve::Scheduler &scheduler) {
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::fprintf(stderr, "loom serve: draining (running requests finish, new ones get 503)\n");
    http.drain();
    while (!scheduler.idle() || http.in_flight() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

int cmd_serve(int argc, char **argv) {
    ServeOptions o;
    if (!parse_args(argc, argv, &o)) return cli::usage(kUsage);
    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    if (!check_template(model.m, o.force_chatml)) return 1;

    const int32_t n_slots = int32_t(o.parallel);
    uint32_t n_ctx = o.n_ctx ? uint32_t(o.n_ctx) : 4096;
    const int32_t slot_ctx = int32_t(n_ctx / uint32_t(n_slots));
    if (slot_ctx < 2) return cli::fail("-c %u leaves fewer than 2 tokens per slot for -np %d", n_ctx, n_slots);
    const uint32_t n_batch = uint32_t(std::min<long long>(o.batch, n_ctx));
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.n_ctx = n_ctx;
    cp.n_batch = n_batch;
    cp.n_seq_max = uint32_t(n_slots);
    cp.n_threads = int32_t(o.threads);
    cli::ContextHandle ctx;
    if ((st = loom_context_new(model.m, &cp, &ctx.c)) != LOOM_OK) return cli::fail_status(st, "context");

    serve::SchedulerOptions so;
    so.n_slots = n_slots;
    so.slot_ctx = slot_ctx;
    so.step_tokens = int32_t(n_batch);
    so.queue_max = int32_t(o.queue);
    serve::Scheduler scheduler(model.m, ctx.c, so);
    serve::Embedder embedder(model.m, uint32_t(slot_ctx), n_batch, int32_t(o.threads));

    o.http.model_name = o.http.model_name.empty() ? base_name(o.model) : o.http.model_name;
    o.http.body_limit = size_t(o.body_limit);
    o.http.read_timeout_s = int(o.timeout);
    o.http.http_threads = int(o.http_threads);
    o.http.limits.slot_ctx = slot_ctx;
    o.http.limits.max_tokens = int32_t(o.max_tokens);
    o.http.limits.default_max_tokens = int32_t(o.n_predict);
    o.http.limits.chat_flags = o.force_chatml ? LOOM_CHAT_FORCE_CHATML : 0;
    serve::HttpServer http(model.m, scheduler, embedder, n_slots, o.http);
    std::string error;
    if (!http.bind(&error)) return cli::fail("%s", error.c_str());

    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    scheduler.start();
    std::thread server([&] { http.run(); });
    std::fprintf(stderr, "loom serve: %s on %s, %d slots of %d tokens; listening on http://%s:%d\n",
                 o.http.model_name.c_str(), loom_model_backend_name(model.m), n_slots, slot_ctx, o.http.host.c_str(),
                 http.port());
    std::fflush(stderr);
    wait_and_drain(http, scheduler);
    http.stop();
    server.join();
    scheduler.stop();
    std::fprintf(stderr, "loom serve: stopped\n");
    return 0;
}

} // namespace

LOOM_COMMAND("serve", "OpenAI-compatible HTTP server with a chat page (continuous batching)", cmd_serve);
