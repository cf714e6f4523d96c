// loom run -m MODEL [-p PROMPT | -f FILE | stdin] [options]
// Generates a continuation of the prompt and streams it to stdout. --chat
// (or --system) wraps the prompt as a user message in the model's chat
// template and stops at end-of-generation. --json-report prints one JSON
// object instead (text, token counts, stop reason, timings); --json and
// --grammar-file constrain the reply (constrain_args.h).
#include "cli.h"
#include "common_options.h"
#include "model_source.h"
#include "constrain_args.h"
#include "generate.h"
#include "prompt_input.h"
#include "speculative_args.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace {

struct RunOptions {
    std::string model, hf, system;
    cli::PromptSource prompt;
    long long n_predict = 128, n_batch = 512;
    bool chat = false, no_display_prompt = false, json = false;
    std::vector<std::string> stops;
    cli::SamplingOptions sampling;
    cli::ConstrainOptions constrain;
    cli::SpeculativeOptions speculative;
    cli::CommonOptions common;
};

void declare(cli::Options *opts, RunOptions *o) {
    cli::add_model_options(opts, &o->model, &o->hf);
    opts->custom("-p, --prompt", "TEXT", [o](const char *v, std::string *) {
        o->prompt.text = v;
        o->prompt.given_text = true;
        return true;
    }, "the prompt", "stdin when it is not a terminal");
    opts->text("-f, --file", "FILE", &o->prompt.file, "read the prompt from FILE ('-': stdin)");
    opts->integer("-n, --n-predict", "N", &o->n_predict, -1, INT32_MAX, "tokens to generate; -1: until the end");
    opts->integer("-b, --batch-size", "N", &o->n_batch, 1, 1 << 24, "prompt tokens per decode step");
    opts->flag("--chat", &o->chat, "send the prompt as a user message in the model's chat template");
    opts->text("--system", "TEXT", &o->system, "a system message (implies --chat)", "none");
    opts->custom("--stop", "TEXT", [o](const char *v, std::string *why) {
        if (!*v) return *why = "a stop string cannot be empty", false;
        o->stops.push_back(v);
        return true;
    }, "stop before TEXT (repeatable)", "none");
    opts->flag("--no-display-prompt", &o->no_display_prompt, "print only the generated text");
    opts->flag("--json-report", &o->json, "print one JSON object: text, token counts, stop reason, timings");
    cli::add_constrain_options(opts, &o->constrain);
    cli::add_sampling_options(opts, &o->sampling);
    cli::add_speculative_options(opts, &o->speculative);
    cli::add_common_options(opts, &o->common);
}

// The prompt text: as given, or rendered as a chat.
loom_status prompt_text(const loom_model *m, const RunOptions &o, const std::string &prompt, std::string *out) {
    if (!o.chat) {
        *out = prompt;
        return LOOM_OK;
    }
    std::vector<const char *> roles, contents;
    if (!o.system.empty()) roles.push_back("system"), contents.push_back(o.system.c_str());
    roles.push_back("user"), contents.push_back(prompt.c_str());
    size_t n = 0;
    loom_status st = loom_chat_apply(m, roles.data(), contents.data(), roles.size(), LOOM_CHAT_ADD_GENERATION_PROMPT,
                                     nullptr, 0, &n);
    if (st != LOOM_ERR_BUFFER_TOO_SMALL && st != LOOM_OK) return st;
    out->assign(n, '\0');
    return loom_chat_apply(m, roles.data(), contents.data(), roles.size(), LOOM_CHAT_ADD_GENERATION_PROMPT, &(*out)[0],
                           n, &n);
}

struct Timings {
    double load_s = 0, prompt_s = 0;
    size_t n_prompt = 0;
    int64_t rounds = 0, drafted = 0, accepted = 0;   // speculative decoding
};

const char *stop_reason(const cli::GenerateResult &r) {
    return r.hit_eog ? "eog" : r.hit_stop ? "stop" : r.hit_full ? "context" : "length";
}

void print_json(const RunOptions &o, const std::string &prompt, const cli::GenerateResult &r, const Timings &t,
                const loom_model *m) {
    nlohmann::json j = {
        {"model", o.model},
        {"backend", loom_model_backend_name(m)},
        {"prompt", prompt},
        {"text", r.text},
        {"stop_reason", stop_reason(r)},
        {"tokens", {{"prompt", t.n_prompt}, {"generated", r.n_tokens}}},
        {"timings",
         {{"load_s", t.load_s},
          {"prompt_s", t.prompt_s},
          {"prompt_tok_s", t.prompt_s > 0 ? double(t.n_prompt) / t.prompt_s : 0.0},
          {"generate_s", r.seconds},
          {"generate_tok_s", r.seconds > 0 ? r.n_tokens / r.seconds : 0.0}}},
    };
    if (o.speculative.active())
        j["speculative"] = {{"rounds", t.rounds}, {"drafted", t.drafted}, {"accepted", t.accepted},
                            {"acceptance", t.drafted > 0 ? double(t.accepted) / double(t.drafted) : 0.0}};
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void print_timings(const cli::GenerateResult &r, const Timings &t, const loom_model *m) {
    std::fprintf(stderr, "load: %.2f s (backend %s)\n", t.load_s, loom_model_backend_name(m));
    std::fprintf(stderr, "prompt: %zu tokens in %.2f s (%.1f tok/s)\n", t.n_prompt, t.prompt_s,
                 t.prompt_s > 0 ? double(t.n_prompt) / t.prompt_s : 0.0);
    std::fprintf(stderr, "generate: %d tokens in %.2f s (%.1f tok/s)%s\n", r.n_tokens, r.seconds,
                 r.seconds > 0 ? r.n_tokens / r.seconds : 0.0,
                 r.hit_eog ? ", stopped at end-of-generation" : r.hit_stop ? ", stopped at a stop string" : "");
    if (t.rounds > 0)
        std::fprintf(stderr, "speculative: %lld target decodes, %lld of %lld proposed tokens kept (%.1f%%)\n",
                     (long long)t.rounds, (long long)t.accepted, (long long)t.drafted,
                     t.drafted > 0 ? 100.0 * double(t.accepted) / double(t.drafted) : 0.0);
}

int cmd_run(int argc, char **argv) {
    RunOptions o;
    cli::Options opts("loom run -m MODEL [-p PROMPT | -f FILE] [options]",
                      "Generates a continuation of the prompt and streams it to stdout.");
    declare(&opts, &o);
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    if (int rc = cli::resolve_model(opts, &o.model, o.hf); rc >= 0) return rc;
    if (!o.system.empty()) o.chat = true;
    if (std::string c = cli::speculative_conflict(o.speculative); !c.empty()) return opts.usage_error(c);
    std::string prompt, why;
    if (!cli::read_prompt(o.prompt, &prompt, &why)) return cli::fail("%s", why.c_str());

    Timings t;
    const double t_load = cli::now_seconds();
    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    t.load_s = cli::now_seconds() - t_load;
    if (!cli::logit_bias_fits(model.m, o.sampling, &why)) return cli::fail("%s", why.c_str());

    std::string text;
    std::vector<int32_t> tokens;
    if ((st = prompt_text(model.m, o, prompt, &text)) != LOOM_OK) return cli::fail_status(st, "chat template");
    if ((st = cli::tokenize(model.m, text, &tokens)) != LOOM_OK) return cli::fail_status(st, "tokenize");
    if (tokens.empty()) return cli::fail("the prompt has no tokens");

    cli::ContextOptions co;
    co.n_threads = int32_t(o.common.threads);
    co.n_ctx = uint32_t(o.common.n_ctx);
    co.n_batch = uint32_t(o.n_batch);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    const uint32_t n_ctx = loom_context_n_ctx(ctx.c);
    cli::warn_past_training_context(model.m, n_ctx);
    if (std::string p = cli::prompt_fit_problem(tokens.size(), n_ctx); !p.empty()) return cli::fail("%s", p.c_str());
    cli::BatchHandle batch;
    if ((st = loom_batch_new(int32_t(co.n_batch), &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");
    cli::SamplerHandle sampler;
    if (!cli::make_constrained_sampler(model.m, o.constrain, o.sampling, &sampler.s)) return 1;
    // The prompt feeds the penalty window; a grammar constrains only the reply.
    if (!o.constrain.active())
        for (int32_t tok : tokens) loom_sampler_accept(sampler.s, tok);

    cli::SpeculativeHandle spec;
    if (o.speculative.active() && !cli::make_speculative(ctx.c, o.speculative, co, &spec)) return 1;

    const double t_prompt = cli::now_seconds();
    // A speculative decoder decodes all but the last prompt token (its first
    // round decodes that one with the proposal).
    st = spec.s ? loom_speculative_prompt(spec.s, tokens.data(), int32_t(tokens.size()))
                : cli::decode_tokens(ctx.c, batch.b, tokens, 0, co.n_batch, false);
    if (st != LOOM_OK) return cli::fail_status(st, "prompt");
    t.prompt_s = cli::now_seconds() - t_prompt;
    t.n_prompt = tokens.size();
    if (!o.chat && !o.json && !o.no_display_prompt) std::fwrite(prompt.data(), 1, prompt.size(), stdout);

    int32_t n_past = int32_t(tokens.size());
    cli::GenerateOptions go;
    go.n_predict = o.n_predict;
    go.stops = o.stops;
    go.print = !o.json;
    cli::GenerateResult r;
    st = spec.s ? cli::generate_speculative(model.m, spec.s, sampler.s, go, &r)
                : cli::generate(model.m, ctx.c, batch.b, sampler.s, go, &n_past, &r);
    if (spec.s) loom_speculative_stats(spec.s, &t.rounds, &t.drafted, &t.accepted);
    if (!o.json) std::fputc('\n', stdout);
    if (st != LOOM_OK) return cli::fail_status(st, "generate");
    if (o.json) print_json(o, prompt, r, t, model.m);
    if (r.hit_full)
        std::fprintf(stderr, "loom: note: the context (%s tokens) is full: the text stops here (raise -c)\n",
                     cli::with_commas(n_ctx).c_str());
    if (cli::verbose()) print_timings(r, t, model.m);
    return 0;
}

} // namespace

LOOM_COMMAND("run", "generate text from a prompt (--chat: as a chat message)", cmd_run);
