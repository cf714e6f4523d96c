// loom serve -m MODEL [--host H] [--port P] [-np N] [-c N] [--api-key K] [-t N] ... (loom serve --help)
// An OpenAI-compatible HTTP server (chat, completions, embeddings, models,
// health, metrics) with N slots decoded together, and a chat page at "/".
// --lookup or --model-draft: speculative decoding, each slot in contexts of
// its own (speculative_lanes.h).
// SIGTERM or SIGINT drains: running requests finish, new ones get 503, then
// the process exits 0.
#include "../backend_args.h"
#include "../cli.h"
#include "../common_options.h"
#include "../infer_common.h"
#include "../model_source.h"
#include "../speculative_args.h"
#include "http_server.h"
#include "speculative_lanes.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

namespace {

struct ServeOptions {
    std::string model, hf;
    long long parallel = 4, n_ctx = 0, threads = 0, batch = 512, queue = 64, n_predict = -1, max_tokens = 0;
    long long body_limit = 1 << 20, timeout = 10, http_threads = 1024;
    bool force_chatml = false;
    cli::SpeculativeOptions speculative;
    serve::HttpOptions http;
};

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

void declare(cli::Options *opts, ServeOptions *o, cli::CommonOptions *common, long long *port) {
    cli::add_model_options(opts, &o->model, &o->hf);
    opts->text("--host", "HOST", &o->http.host, "address to bind", "127.0.0.1");
    opts->integer("--port", "P", port, 0, 65535, "TCP port");
    opts->integer("-np, --parallel", "N", &o->parallel, 1, 256, "slots decoded together");
    opts->integer("-b, --batch-size", "N", &o->batch, 1, 1 << 24, "most tokens per decode step");
    opts->integer("-n, --n-predict", "N", &o->n_predict, -1, INT32_MAX, "default reply limit; -1: the slot's room");
    opts->integer("--max-tokens-limit", "N", &o->max_tokens, 0, INT32_MAX, "cap on a request's max_tokens; 0: none");
    opts->integer("--queue", "N", &o->queue, 0, 1 << 20, "requests waiting for a slot before 503");
    opts->integer("--body-limit", "BYTES", &o->body_limit, 1024, 1LL << 30, "largest request body");
    opts->integer("-to, --timeout", "SECONDS", &o->timeout, 1, 86400, "how long one read of a request may wait");
    opts->integer("--threads-http", "N", &o->http_threads, 4, 65536, "HTTP worker threads");
    opts->text("--api-key", "KEY", &o->http.api_key, "required as 'Authorization: Bearer KEY' on /v1 routes", "none");
    opts->text("--alias", "NAME", &o->http.model_name, "the model's name in /v1/models", "the file name");
    opts->flag("--force-chatml", &o->force_chatml, "serve a model whose chat template is not ChatML, as ChatML");
    cli::add_speculative_options(opts, &o->speculative);
    cli::add_common_options(opts, common, "4096, shared by the slots");
}

// -1 to go on, else the exit status.
int parse_args(int argc, char **argv, ServeOptions *o) {
    cli::CommonOptions common;
    long long port = o->http.port;
    cli::Options opts("loom serve -m MODEL [options]",
                      "An OpenAI-compatible HTTP server with -np slots decoded together, and a chat page at \"/\".\n"
                      "-c is the whole cache; each slot gets c/np tokens (prompt + reply). --api-key guards /v1.");
    declare(&opts, o, &common, &port);
    opts.footer("\nSpeculative decoding (--lookup or --model-draft FILE): every slot gets contexts of its own, of\n"
                "c/np tokens (and a draft context each with a draft model), and each request a decoder seeded\n"
                "by its seed (plus the choice index for n > 1). Greedy replies are plain decoding's (near-ties\n"
                "aside: docs/speculative.md). Requests with logprobs get 400; there is no prefix reuse and no\n"
                "batching across slots in this mode. See docs/serve.md.\n");
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    if (int rc = cli::resolve_model(opts, &o->model, o->hf); rc >= 0) return rc;
    if (std::string c = cli::speculative_conflict(o->speculative); !c.empty()) return opts.usage_error(c);
    o->http.port = int(port);
    o->n_ctx = common.n_ctx;
    o->threads = common.threads;
    return -1;
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

// The embeddings context's settings: one slot's size, --precision honoured.
loom_context_params embedder_params(uint32_t n_ctx, uint32_t n_batch, int32_t n_threads) {
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.n_threads = n_threads;
    cli::apply_precision_arg(&p);
    return p;
}

// ", speculative (lookup, draft-max 8)" for the start line; "" without.
std::string speculative_note(const serve::SpeculativeLanes *lanes) {
    if (!lanes) return "";
    const serve::SpeculativeInfo &i = lanes->info();
    return ", speculative (" + (i.source == "lookup" ? i.source : "draft model " + i.draft_model) + ", draft-max " +
           std::to_string(i.draft_max) + ")";
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
    if (int rc = parse_args(argc, argv, &o); rc >= 0) return rc;
    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    if (!check_template(model.m, o.force_chatml)) return 1;

    const int32_t n_slots = int32_t(o.parallel);
    uint32_t n_ctx = o.n_ctx ? uint32_t(o.n_ctx) : 4096;
    const int32_t slot_ctx = int32_t(n_ctx / uint32_t(n_slots));
    if (slot_ctx < 2) return cli::fail("-c %u leaves fewer than 2 tokens per slot for -np %d", n_ctx, n_slots);
    const uint32_t n_batch = uint32_t(std::min<long long>(o.batch, n_ctx));
    cli::ContextOptions co;
    co.n_threads = int32_t(o.threads);
    co.n_ctx = n_ctx;
    co.n_batch = n_batch;
    co.n_seq_max = uint32_t(n_slots);
    cli::ContextHandle ctx;
    std::unique_ptr<serve::SpeculativeLanes> lanes;
    if (o.speculative.active()) {
        co.n_ctx = uint32_t(slot_ctx);
        co.n_batch = std::min(n_batch, uint32_t(slot_ctx));
        co.n_seq_max = 1;
        if (!(lanes = serve::make_speculative_lanes(model.m, o.speculative, co, n_slots))) return 1;
    } else if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) {
        return cli::fail_status(st, "context");
    }

    serve::SchedulerOptions so;
    so.n_slots = n_slots;
    so.slot_ctx = slot_ctx;
    so.step_tokens = int32_t(n_batch);
    so.queue_max = int32_t(o.queue);
    serve::Scheduler scheduler(model.m, ctx.c, so, lanes.get());
    serve::Embedder embedder(model.m, embedder_params(uint32_t(slot_ctx), n_batch, int32_t(o.threads)));

    o.http.model_name = o.http.model_name.empty() ? cli::model_file_name(o.model) : o.http.model_name;
    o.http.body_limit = size_t(o.body_limit);
    o.http.read_timeout_s = int(o.timeout);
    o.http.http_threads = int(o.http_threads);
    o.http.limits.slot_ctx = slot_ctx;
    o.http.limits.max_tokens = int32_t(o.max_tokens);
    o.http.limits.default_max_tokens = int32_t(o.n_predict);
    o.http.limits.chat_flags = o.force_chatml ? LOOM_CHAT_FORCE_CHATML : 0;
    o.http.limits.speculative = lanes != nullptr;
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
    std::fprintf(stderr, "loom serve: %s on %s, %d slots of %d tokens%s; listening on http://%s:%d\n",
                 o.http.model_name.c_str(), loom_model_backend_name(model.m), n_slots, slot_ctx,
                 speculative_note(lanes.get()).c_str(), o.http.host.c_str(), http.port());
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
