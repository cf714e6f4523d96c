// loom chat -m MODEL [-s SYSTEM] [options]
// Interactive multi-turn chat. The KV cache is kept between turns: each turn
// decodes only the new text. When the next turn does not fit the context, the
// oldest turns are dropped (the system message stays) and one line says so.
// Ctrl-C stops the current reply; Ctrl-C while the message is being read in
// takes the message back out of the conversation; Ctrl-C in the middle of a
// multi-line message drops its lines. Ctrl-C at an empty prompt or end of
// input (Ctrl-D) quits. A line ending in '\' continues on the next.
#include "chat_session.h"
#include "cli.h"
#include "common_options.h"
#include "model_source.h"
#include "generate.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

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
    std::string model, hf, system;
    long long n_predict = -1, n_batch = 512;
    std::vector<std::string> stops;
    cli::SamplingOptions sampling;
    cli::CommonOptions common;
};

void declare(cli::Options *opts, ChatOptions *o) {
    cli::add_model_options(opts, &o->model, &o->hf);
    opts->text("-s, --system", "TEXT", &o->system, "the system message", "none");
    opts->integer("-n, --n-predict", "N", &o->n_predict, -1, INT32_MAX, "most tokens per reply; -1: no limit");
    opts->integer("-b, --batch-size", "N", &o->n_batch, 1, 1 << 24, "prompt tokens per decode step");
    opts->custom("--stop", "TEXT", [o](const char *v, std::string *why) {
        if (!*v) return *why = "a stop string cannot be empty", false;
        o->stops.push_back(v);
        return true;
    }, "end a reply before TEXT (repeatable)", "none");
    cli::add_sampling_options(opts, &o->sampling);
    cli::add_common_options(opts, &o->common);
    opts->footer(std::string("\nin the chat:\n") + "  /help /clear /system TEXT /save FILE /load FILE /exit; "
                 "a line ending in '\\' continues on the next line\n");
}

const char kChatHelp[] =
    "  /help           this list\n"
    "  /clear          forget the conversation (keeps the system message)\n"
    "  /system TEXT    set the system message (empty TEXT: none)\n"
    "  /save FILE      write the conversation as JSON ([{\"role\", \"content\"}, ...])\n"
    "  /load FILE      replace the conversation with one saved by /save\n"
    "  /exit           quit (also Ctrl-D, or Ctrl-C at the prompt)\n"
    "  a line ending in '\\' continues on the next line (Ctrl-C there drops the message); Ctrl-C stops a reply\n";

// One message from stdin: lines ending in '\' are joined with newlines.
// Ctrl-C with lines of a message already given drops them and prompts
// afresh; at an empty prompt it quits, as Ctrl-D does. False: quit.
bool read_message(std::string *msg) {
    for (;;) {
        msg->clear();
        std::fputs("\n> ", stdout);
        std::fflush(stdout);
        g_interrupt.store(false);
        std::string line;
        bool more = true;
        while (more && std::getline(std::cin, line)) {
            if (g_interrupt.load()) break;   // between reads: the terminal dropped what followed
            more = !line.empty() && line.back() == '\\';
            if (more) line.pop_back();
            *msg += line;
            if (!more) return true;
            *msg += "\n";
            std::fputs("... ", stdout);
            std::fflush(stdout);
        }
        if (!g_interrupt.load() || msg->empty()) return false;
        std::cin.clear();   // the interrupted read left the stream failed
        std::clearerr(stdin);
        std::printf("\n[message discarded]");
    }
}

void set_system(cli::ChatSession *s, const std::string &text) {
    const bool has = !s->messages.empty() && s->messages[0].role == "system";
    if (has && text.empty()) s->messages.erase(s->messages.begin());
    else if (has) s->messages[0].content = text;
    else if (!text.empty()) s->messages.insert(s->messages.begin(), {"system", text});
}

bool write_text(const std::string &path, const std::string &text, std::string *why) {
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) return *why = std::strerror(errno), false;
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok) return *why = std::strerror(errno), false;
    return true;
}

// A line starting with '/': one of the chat's commands.
void run_slash_command(const std::string &line, cli::ChatSession *s, bool *quit) {
    const size_t sp = line.find(' ');
    const std::string cmd = line.substr(0, sp), arg = sp == std::string::npos ? "" : line.substr(sp + 1);
    std::string why;
    if (cmd == "/help") {
        std::fputs(kChatHelp, stdout);
    } else if (cmd == "/exit" || cmd == "/quit") {
        *quit = true;
    } else if (cmd == "/clear") {
        s->messages.resize(s->first_turn());
        std::printf("[conversation cleared]\n");
    } else if (cmd == "/system") {
        set_system(s, arg);
        std::printf(arg.empty() ? "[no system message]\n" : "[system message set]\n");
    } else if (cmd == "/save") {
        if (arg.empty()) std::printf("[usage: /save FILE]\n");
        else if (!write_text(arg, cli::messages_to_json(s->messages), &why))
            std::printf("[cannot write %s: %s]\n", arg.c_str(), why.c_str());
        else std::printf("[saved %zu messages to %s]\n", s->messages.size(), arg.c_str());
    } else if (cmd == "/load") {
        std::string text;
        std::vector<cli::Message> msgs;
        if (arg.empty()) std::printf("[usage: /load FILE]\n");
        else if (!cli::read_file(arg, &text, &why)) std::printf("[cannot read %s: %s]\n", arg.c_str(), why.c_str());
        else if (!cli::messages_from_json(text, &msgs, &why)) std::printf("[%s: %s]\n", arg.c_str(), why.c_str());
        else {
            s->messages = msgs;
            std::printf("[loaded %zu messages from %s]\n", msgs.size(), arg.c_str());
        }
    } else {
        std::printf("[unknown command %s; /help lists them]\n", cmd.c_str());
    }
}

// Drops the oldest turns until the rendered conversation plus `reserve`
// cells fits; says so in one line. False (the new message taken back) when
// even the system message and the new message alone do not fit.
bool make_room(cli::ChatSession *s, size_t reserve, std::string *full, loom_status *st) {
    const uint32_t n_ctx = loom_context_n_ctx(s->ctx);
    size_t dropped = 0, need = 0;
    for (;;) {
        if ((*st = s->render(true, full)) != LOOM_OK) return false;
        if ((*st = s->cells_needed(*full, &need)) != LOOM_OK) return false;
        if (need + reserve <= n_ctx) break;
        if (!s->drop_oldest_turn()) {
            std::printf("[this message is %s tokens but the context holds %s (raise -c); not sent]\n",
                        cli::with_commas((long long)need).c_str(), cli::with_commas(n_ctx).c_str());
            s->messages.pop_back();
            return false;
        }
        dropped++;
    }
    if (dropped)
        std::printf("[context full (%s tokens): dropped the oldest %zu turn%s]\n", cli::with_commas(n_ctx).c_str(),
                    dropped, dropped == 1 ? "" : "s");
    return true;
}

// One exchange: the user's message in, the reply out. Non-OK only for a fatal error.
loom_status turn(cli::ChatSession *s, loom_sampler *sampler, const ChatOptions &o, const std::string &msg) {
    s->messages.push_back({"user", msg});
    const uint32_t n_ctx = loom_context_n_ctx(s->ctx);
    const size_t reserve = std::min<size_t>(o.n_predict > 0 ? size_t(o.n_predict) : 256, n_ctx / 4);
    std::string full;
    loom_status st = LOOM_OK;
    if (!make_room(s, reserve, &full, &st)) return st;
    st = s->feed(full);
    if (st == LOOM_ERR_CANCELLED) {
        s->messages.pop_back();
        std::printf("[cancelled: the message was taken back]\n");
        return LOOM_OK;
    }
    if (st != LOOM_OK) return st;
    cli::GenerateOptions go;
    go.n_predict = o.n_predict;
    go.interrupt = &g_interrupt;
    go.stops = o.stops;
    cli::GenerateResult r;
    st = cli::generate(s->m, s->ctx, s->batch, sampler, go, &s->n_past, &r);
    std::fputc('\n', stdout);
    if (st != LOOM_OK && st != LOOM_ERR_CANCELLED) return st;
    if (r.hit_full) std::printf("[the context is full: the reply stops here; the next turn drops the oldest]\n");
    // The cache holds the reply's tokens (not the EOG token): record the text they stand for.
    // After a stop string it holds more than the text kept: decode afresh next turn.
    if (r.hit_stop) s->forget_cache();
    else s->cached_text += r.text;
    s->messages.push_back({"assistant", r.text});
    return LOOM_OK;
}

int run_chat(const ChatOptions &o, cli::ModelHandle &model) {
    cli::ContextOptions co;
    co.n_threads = int32_t(o.common.threads);
    co.n_ctx = uint32_t(o.common.n_ctx);
    co.n_batch = uint32_t(o.n_batch);
    cli::ContextHandle ctx;
    loom_status st = cli::new_context(model.m, co, abort_on_interrupt, nullptr, &ctx);
    if (st != LOOM_OK) return cli::fail_status(st, "context");
    cli::warn_past_training_context(model.m, loom_context_n_ctx(ctx.c));
    cli::BatchHandle batch;
    if ((st = loom_batch_new(int32_t(co.n_batch), &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");
    cli::SamplerHandle sampler;
    if ((st = cli::make_sampler(o.sampling, &sampler.s)) != LOOM_OK) return cli::fail_status(st, "sampler");

    cli::ChatSession s;
    s.m = model.m, s.ctx = ctx.c, s.batch = batch.b, s.n_batch = co.n_batch;
    set_system(&s, o.system);
    std::string msg;
    bool quit = false;
    while (!quit && read_message(&msg)) {
        if (msg.empty()) continue;
        if (msg[0] == '/') {
            run_slash_command(msg, &s, &quit);
            continue;
        }
        if ((st = turn(&s, sampler.s, o, msg)) != LOOM_OK) return cli::fail_status(st, "chat");
    }
    std::fputc('\n', stdout);
    return 0;
}

int cmd_chat(int argc, char **argv) {
    ChatOptions o;
    cli::Options opts("loom chat -m MODEL [-s SYSTEM] [options]",
                      "Interactive chat; the KV cache is kept between turns. Type /help in the chat for its commands.");
    declare(&opts, &o);
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    if (int rc = cli::resolve_model(opts, &o.model, o.hf); rc >= 0) return rc;
    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    std::string why;
    if (!cli::logit_bias_fits(model.m, o.sampling, &why)) return cli::fail("%s", why.c_str());
    watch_interrupt();
    return run_chat(o, model);
}

} // namespace

LOOM_COMMAND("chat", "interactive chat that keeps the KV cache between turns", cmd_chat);
