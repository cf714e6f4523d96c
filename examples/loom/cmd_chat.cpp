// loom chat -m MODEL [-s SYSTEM] [-n N] [-t THREADS] [-c N_CTX] [sampling]
// Interactive multi-turn chat. The KV cache is kept between turns: each turn
// decodes only the new text (the rendered conversation minus what the cache
// already holds). Ctrl-C stops the current reply and returns to the prompt;
// Ctrl-C at the prompt or end of input (Ctrl-D) quits.
#include "cli.h"
#include "generate.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

const std::string kUsage = std::string("loom chat -m MODEL [-s SYSTEM] [-n N] [-t THREADS] [-c N_CTX] ") +
                           cli::kSamplingUsage;

std::atomic<bool> g_interrupt{false};

void on_sigint(int) { g_interrupt.store(true); }

void watch_interrupt() {
#ifdef _WIN32
    std::signal(SIGINT, on_sigint); // runs on a console-control thread; a pending read continues
#else
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;   // no SA_RESTART: Ctrl-C at the prompt ends the read
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
#endif
}

int abort_on_interrupt(void *) { return g_interrupt.load() ? 1 : 0; }

struct ChatOptions {
    std::string model, system;
    long long n_predict = -1, threads = 0, n_ctx = 0;
    cli::SamplingOptions sampling;
};

bool parse_args(int argc, char **argv, ChatOptions *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool bad = false;
        if (cli::take_sampling_arg(argc, argv, &i, &o->sampling, &bad)) {
            if (bad) return false;
        } else if (i + 1 < argc && !std::strcmp(a, "-m")) {
            o->model = argv[++i];
        } else if (i + 1 < argc && !std::strcmp(a, "-s")) {
            o->system = argv[++i];
        } else if (i + 1 < argc && (!std::strcmp(a, "-n") || !std::strcmp(a, "-t") || !std::strcmp(a, "-c"))) {
            long long *dst = a[1] == 'n' ? &o->n_predict : a[1] == 't' ? &o->threads : &o->n_ctx;
            if (!cli::parse_int(argv[++i], dst) || (*dst < 0 && a[1] != 'n')) return false;
        } else {
            return false;
        }
    }
    return !o->model.empty();
}

struct Conversation {
    std::vector<std::string> roles, contents;

    loom_status render(const loom_model *m, bool generation_prompt, std::string *out) const {
        std::vector<const char *> r, c;
        for (size_t i = 0; i < roles.size(); i++) {
            r.push_back(roles[i].c_str());
            c.push_back(contents[i].c_str());
        }
        const int32_t flags = generation_prompt ? LOOM_CHAT_ADD_GENERATION_PROMPT : 0;
        size_t n = 0;
        loom_status st = loom_chat_apply(m, r.data(), c.data(), r.size(), flags, nullptr, 0, &n);
        if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) return st;
        out->assign(n, '\0');
        return loom_chat_apply(m, r.data(), c.data(), r.size(), flags, &(*out)[0], n, &n);
    }
};

// The chat session: what text the cache holds, and how to extend it.
struct Session {
    const loom_model *m;
    loom_context *ctx;
    loom_batch *batch;
    uint32_t n_batch;
    std::string cached_text;   // rendered text whose tokens are in the cache
    int32_t n_past = 0;

    // Decodes the part of `full` not yet cached (everything if the cache
    // holds a text that is not a prefix of it).
    loom_status feed(const std::string &full) {
        std::string delta;
        if (full.compare(0, cached_text.size(), cached_text) == 0) {
            delta = full.substr(cached_text.size());
        } else {
            loom_kv_clear(ctx);
            n_past = 0;
            delta = full;
        }
        std::vector<int32_t> tokens;
        loom_status st = cli::tokenize(m, delta, &tokens);
        if (st != LOOM_OK || tokens.empty()) return st;
        st = cli::decode_tokens(ctx, batch, tokens, n_past, n_batch, false);
        if (st != LOOM_OK) {
            // A partly decoded delta leaves the cache ahead of cached_text: start over next time.
            loom_kv_clear(ctx);
            n_past = 0;
            cached_text.clear();
            return st;
        }
        n_past += int32_t(tokens.size());
        cached_text = full;
        return LOOM_OK;
    }
};

bool read_line(std::string *line) {
    std::fputs("\n> ", stdout);
    std::fflush(stdout);
    g_interrupt.store(false);
    if (!std::getline(std::cin, *line)) return false;
    return !g_interrupt.load();
}

int run_chat(const ChatOptions &o, cli::ModelHandle &model) {
    cli::ContextOptions co;
    co.n_threads = int32_t(o.threads);
    co.n_ctx = uint32_t(o.n_ctx);
    cli::ContextHandle ctx;
    loom_status st = cli::new_context(model.m, co, abort_on_interrupt, nullptr, &ctx);
    if (st != LOOM_OK) return cli::fail_status(st, "context");
    cli::BatchHandle batch;
    if ((st = loom_batch_new(int32_t(co.n_batch), &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");
    cli::SamplerHandle sampler;
    if ((st = cli::make_sampler(o.sampling, &sampler.s)) != LOOM_OK) return cli::fail_status(st, "sampler");

    Conversation conv;
    if (!o.system.empty()) {
        conv.roles.push_back("system");
        conv.contents.push_back(o.system);
    }
    Session s{model.m, ctx.c, batch.b, co.n_batch, "", 0};
    std::string line, full;
    while (read_line(&line)) {
        if (line.empty()) continue;
        conv.roles.push_back("user");
        conv.contents.push_back(line);
        if ((st = conv.render(model.m, true, &full)) != LOOM_OK) return cli::fail_status(st, "chat template");
        st = s.feed(full);
        if (st == LOOM_ERR_CANCELLED) continue;
        if (st != LOOM_OK) return cli::fail_status(st, "prompt");
        cli::GenerateOptions go;
        go.n_predict = o.n_predict;
        go.interrupt = &g_interrupt;
        cli::GenerateResult r;
        st = cli::generate(model.m, ctx.c, batch.b, sampler.s, go, &s.n_past, &r);
        std::fputc('\n', stdout);
        if (st != LOOM_OK && st != LOOM_ERR_CANCELLED) return cli::fail_status(st, "generate");
        // The cache now holds the reply's tokens (not the EOG token): record the text they stand for.
        s.cached_text += r.text;
        conv.roles.push_back("assistant");
        conv.contents.push_back(r.text);
    }
    std::fputc('\n', stdout);
    return 0;
}

int cmd_chat(int argc, char **argv) {
    ChatOptions o;
    if (!parse_args(argc, argv, &o)) return cli::usage(kUsage.c_str());
    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    watch_interrupt();
    return run_chat(o, model);
}

} // namespace

LOOM_COMMAND("chat", "interactive chat that keeps the KV cache between turns", cmd_chat);
