// loom fim -m MODEL --prefix-file A --suffix-file B [options]
// Code infill with a fill-in-the-middle model (Qwen2.5-Coder): prints the
// middle that joins the prefix to the suffix. Greedy unless --temp is given.
#include "cli.h"
#include "common_options.h"
#include "generate.h"

#include <cstdio>
#include <string>

namespace {

struct FimOptions {
    std::string model, prefix_path, suffix_path;
    long long n_predict = 256;
    cli::SamplingOptions sampling;
    cli::CommonOptions common;
};

void declare(cli::Options *opts, FimOptions *o) {
    opts->text("-m, --model", "FILE", &o->model, "the GGUF model (required)");
    opts->text("--prefix-file", "FILE", &o->prefix_path, "the code before the gap (required)");
    opts->text("--suffix-file", "FILE", &o->suffix_path, "the code after the gap (required)");
    opts->integer("-n, --n-predict", "N", &o->n_predict, -1, INT32_MAX, "most tokens to generate; -1: no limit");
    o->sampling.temp = 0.0;
    cli::add_sampling_options(opts, &o->sampling);
    cli::add_common_options(opts, &o->common);
}

int cmd_fim(int argc, char **argv) {
    FimOptions o;
    cli::Options opts("loom fim -m MODEL --prefix-file A --suffix-file B [options]",
                      "Prints the code that joins the prefix to the suffix (a fill-in-the-middle model).");
    declare(&opts, &o);
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    if (o.model.empty() || o.prefix_path.empty() || o.suffix_path.empty())
        return opts.usage_error("-m, --prefix-file and --suffix-file are required");
    std::string prefix, suffix, why;
    if (!cli::read_file(o.prefix_path, &prefix, &why))
        return cli::fail("cannot read %s: %s", o.prefix_path.c_str(), why.c_str());
    if (!cli::read_file(o.suffix_path, &suffix, &why))
        return cli::fail("cannot read %s: %s", o.suffix_path.c_str(), why.c_str());

    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    if (!cli::logit_bias_fits(model.m, o.sampling, &why)) return cli::fail("%s", why.c_str());
    size_t n = 0;
    st = loom_fim_prompt(model.m, prefix.c_str(), suffix.c_str(), nullptr, 0, &n);
    if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) return cli::fail_status(st, "fim prompt");
    std::string prompt(n, '\0');
    if ((st = loom_fim_prompt(model.m, prefix.c_str(), suffix.c_str(), &prompt[0], n, &n)) != LOOM_OK)
        return cli::fail_status(st, "fim prompt");
    std::vector<int32_t> tokens;
    if ((st = cli::tokenize(model.m, prompt, &tokens)) != LOOM_OK) return cli::fail_status(st, "tokenize");

    cli::ContextOptions co;
    co.n_threads = int32_t(o.common.threads);
    co.n_ctx = uint32_t(o.common.n_ctx);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    const uint32_t n_ctx = loom_context_n_ctx(ctx.c);
    cli::warn_past_training_context(model.m, n_ctx);
    if (std::string p = cli::prompt_fit_problem(tokens.size(), n_ctx); !p.empty()) return cli::fail("%s", p.c_str());
    cli::BatchHandle batch;
    if ((st = loom_batch_new(int32_t(co.n_batch), &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");
    cli::SamplerHandle sampler;
    if ((st = cli::make_sampler(o.sampling, &sampler.s)) != LOOM_OK) return cli::fail_status(st, "sampler");
    if ((st = cli::decode_tokens(ctx.c, batch.b, tokens, 0, co.n_batch, false)) != LOOM_OK)
        return cli::fail_status(st, "prompt");
    int32_t n_past = int32_t(tokens.size());
    cli::GenerateOptions go;
    go.n_predict = o.n_predict;
    cli::GenerateResult r;
    if ((st = cli::generate(model.m, ctx.c, batch.b, sampler.s, go, &n_past, &r)) != LOOM_OK)
        return cli::fail_status(st, "generate");
    return 0;
}

} // namespace

LOOM_COMMAND("fim", "fill in the middle between a prefix and a suffix file (Qwen2.5-Coder)", cmd_fim);
