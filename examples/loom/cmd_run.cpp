// loom run -m MODEL -p PROMPT [-n N] [sampling] [-t THREADS] [-c N_CTX] [--chat] [--verbose]
// Generates a continuation of PROMPT and streams it to stdout. --chat wraps
// the prompt as one user message in the model's ChatML template and stops at
// end-of-generation. --verbose prints load time and tokens/s to stderr.
#include "cli.h"
#include "constrain_args.h"
#include "generate.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace {

const std::string kUsage = std::string("loom run -m MODEL -p PROMPT [-n N] [-t THREADS] [-c N_CTX] [--chat] [--verbose] ") +
                           cli::kSamplingUsage + " " + cli::kConstrainUsage;

struct RunOptions {
    std::string model, prompt;
    long long n_predict = 128, threads = 0, n_ctx = 0;
    bool chat = false, verbose = false;
    cli::SamplingOptions sampling;
    cli::ConstrainOptions constrain;
};

bool parse_args(int argc, char **argv, RunOptions *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool bad = false;
        if (cli::take_sampling_arg(argc, argv, &i, &o->sampling, &bad) ||
            cli::take_constrain_arg(argc, argv, &i, &o->constrain, &bad)) {
            if (bad) return false;
        } else if (!std::strcmp(a, "--chat")) {
            o->chat = true;
        } else if (!std::strcmp(a, "--verbose")) {
            o->verbose = true;
        } else if (i + 1 < argc && !std::strcmp(a, "-m")) {
            o->model = argv[++i];
        } else if (i + 1 < argc && !std::strcmp(a, "-p")) {
            o->prompt = argv[++i];
        } else if (i + 1 < argc && (!std::strcmp(a, "-n") || !std::strcmp(a, "-t") || !std::strcmp(a, "-c"))) {
            long long *dst = a[1] == 'n' ? &o->n_predict : a[1] == 't' ? &o->threads : &o->n_ctx;
            if (!cli::parse_int(argv[++i], dst) || (*dst < 0 && a[1] != 'n')) return false;
        } else {
            return false;
        }
    }
    return !o->model.empty() && !o->prompt.empty();
}

// The prompt text: as given, or rendered as a one-message chat.
loom_status prompt_text(const loom_model *m, const RunOptions &o, std::string *out) {
    if (!o.chat) {
        *out = o.prompt;
        return LOOM_OK;
    }
    const char *roles[] = {"user"};
    const char *contents[] = {o.prompt.c_str()};
    size_t n = 0;
    loom_status st = loom_chat_apply(m, roles, contents, 1, LOOM_CHAT_ADD_GENERATION_PROMPT, nullptr, 0, &n);
    if (st != LOOM_ERR_BUFFER_TOO_SMALL && st != LOOM_OK) return st;
    out->assign(n, '\0');
    return loom_chat_apply(m, roles, contents, 1, LOOM_CHAT_ADD_GENERATION_PROMPT, &(*out)[0], n, &n);
}

int cmd_run(int argc, char **argv) {
    RunOptions o;
    if (!parse_args(argc, argv, &o)) return cli::usage(kUsage.c_str());
    const double t_load = cli::now_seconds();
    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    const double load_s = cli::now_seconds() - t_load;

    std::string text;
    std::vector<int32_t> tokens;
    if ((st = prompt_text(model.m, o, &text)) != LOOM_OK) return cli::fail_status(st, "chat template");
    if ((st = cli::tokenize(model.m, text, &tokens)) != LOOM_OK) return cli::fail_status(st, "tokenize");
    if (tokens.empty()) return cli::fail("the prompt has no tokens");

    cli::ContextOptions co;
    co.n_threads = int32_t(o.threads);
    co.n_ctx = uint32_t(o.n_ctx);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    cli::BatchHandle batch;
    if ((st = loom_batch_new(int32_t(co.n_batch), &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");
    cli::SamplerHandle sampler;
    if (!cli::make_constrained_sampler(model.m, o.constrain, o.sampling, &sampler.s)) return 1;
    // The prompt feeds the penalty window; a grammar constrains only the reply.
    if (!o.constrain.active())
        for (int32_t t : tokens) loom_sampler_accept(sampler.s, t);

    const double t_prompt = cli::now_seconds();
    if ((st = cli::decode_tokens(ctx.c, batch.b, tokens, 0, co.n_batch, false)) != LOOM_OK)
        return cli::fail_status(st, "prompt");
    const double prompt_s = cli::now_seconds() - t_prompt;
    if (!o.chat && !o.constrain.no_display_prompt) std::fwrite(o.prompt.data(), 1, o.prompt.size(), stdout);

    int32_t n_past = int32_t(tokens.size());
    cli::GenerateOptions go;
    go.n_predict = o.n_predict;
    go.stop_at_eog = true;
    cli::GenerateResult r;
    st = cli::generate(model.m, ctx.c, batch.b, sampler.s, go, &n_past, &r);
    std::fputc('\n', stdout);
    if (st != LOOM_OK) return cli::fail_status(st, "generate");
    if (o.verbose) {
        std::fprintf(stderr, "load: %.2f s (backend %s)\n", load_s, loom_model_backend_name(model.m));
        std::fprintf(stderr, "prompt: %zu tokens in %.2f s (%.1f tok/s)\n", tokens.size(), prompt_s,
                     prompt_s > 0 ? double(tokens.size()) / prompt_s : 0.0);
        std::fprintf(stderr, "generate: %d tokens in %.2f s (%.1f tok/s)%s\n", r.n_tokens, r.seconds,
                     r.seconds > 0 ? r.n_tokens / r.seconds : 0.0, r.hit_eog ? ", stopped at end-of-generation" : "");
    }
    return 0;
}

} // namespace

LOOM_COMMAND("run", "generate text from a prompt (--chat: as a chat message)", cmd_run);
