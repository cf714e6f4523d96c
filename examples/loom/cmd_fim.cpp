// loom fim -m MODEL (--prefix-file A | --prefix TEXT) (--suffix-file B | --suffix TEXT)
//          [--repo NAME --path PATH --context-file FILE...] [options]
// Code infill with a fill-in-the-middle model (Qwen2.5-Coder): prints the
// middle that joins the prefix to the suffix. Greedy unless --temp is given.
#include "cli.h"
#include "common_options.h"
#include "generate.h"

#include <cstdio>
#include <string>

namespace {

struct FimOptions {
    std::string model, prefix_path, suffix_path, prefix, suffix, repo, path;
    bool prefix_given = false, suffix_given = false;
    std::vector<std::string> context_files;
    long long n_predict = 256;
    cli::SamplingOptions sampling;
    cli::CommonOptions common;
};

void declare(cli::Options *opts, FimOptions *o) {
    opts->text("-m, --model", "FILE", &o->model, "the GGUF model (required)");
    opts->text("--prefix-file", "FILE", &o->prefix_path, "the code before the gap");
    opts->text("--suffix-file", "FILE", &o->suffix_path, "the code after the gap");
    opts->custom("--prefix", "TEXT", [o](const char *v, std::string *) {
        o->prefix = v, o->prefix_given = true;
        return true;
    }, "the code before the gap, inline", nullptr);
    opts->custom("--suffix", "TEXT", [o](const char *v, std::string *) {
        o->suffix = v, o->suffix_given = true;
        return true;
    }, "the code after the gap, inline", nullptr);
    opts->text("--repo", "NAME", &o->repo, "repository-level form: the repository's name", "none");
    opts->text("--path", "PATH", &o->path, "repository form: the path of the file being edited", "the prefix file's");
    opts->custom("--context-file", "FILE", [o](const char *v, std::string *) {
        o->context_files.push_back(v);
        return true;
    }, "repository form: another file of the repository, shown before (repeatable)", "none");
    opts->integer("-n, --n-predict", "N", &o->n_predict, -1, INT32_MAX, "most tokens to generate; -1: no limit");
    o->sampling.temp = 0.0;
    cli::add_sampling_options(opts, &o->sampling);
    cli::add_common_options(opts, &o->common);
}

bool read_named(const std::string &path, std::string *out, std::string *why) {
    std::string reason;
    if (cli::read_file(path, out, &reason)) return true;
    *why = "cannot read " + path + ": " + reason;
    return false;
}

// The plain prompt, or the repository form when --repo is given.
loom_status fim_prompt(const loom_model *m, const FimOptions &o, const std::vector<std::string> &contents,
                       std::string *out) {
    std::vector<const char *> paths, texts;
    for (size_t i = 0; i < contents.size(); i++) {
        paths.push_back(o.context_files[i].c_str());
        texts.push_back(contents[i].c_str());
    }
    const std::string path = !o.path.empty() ? o.path : o.prefix_path;
    auto build = [&](char *buf, size_t cap, size_t *n) {
        return o.repo.empty() ? loom_fim_prompt(m, o.prefix.c_str(), o.suffix.c_str(), buf, cap, n)
                              : loom_fim_repo_prompt(m, o.repo.c_str(), paths.data(), texts.data(), paths.size(),
                                                     path.c_str(), o.prefix.c_str(), o.suffix.c_str(), buf, cap, n);
    };
    size_t n = 0;
    loom_status st = build(nullptr, 0, &n);
    if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) return st;
    out->assign(n, '\0');
    return build(&(*out)[0], n, &n);
}

int cmd_fim(int argc, char **argv) {
    FimOptions o;
    cli::Options opts("loom fim -m MODEL (--prefix-file A | --prefix TEXT) (--suffix-file B | --suffix TEXT) [options]",
                      "Prints the code that joins the prefix to the suffix (a fill-in-the-middle model, Qwen2.5-Coder).\n"
                      "With --repo, the repository-level prompt: --context-file files first, then the edited file.");
    declare(&opts, &o);
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    if (o.model.empty()) return opts.usage_error("-m MODEL is required");
    if (o.prefix_given == !o.prefix_path.empty() || o.suffix_given == !o.suffix_path.empty())
        return opts.usage_error("give the prefix (--prefix or --prefix-file) and the suffix (--suffix or --suffix-file)");
    if (o.repo.empty() && (!o.context_files.empty() || !o.path.empty()))
        return opts.usage_error("--context-file and --path need --repo");
    if (!o.repo.empty() && o.path.empty() && o.prefix_path.empty())
        return opts.usage_error("--repo needs --path (the edited file's path in the repository)");
    std::string why;
    if (!o.prefix_given && !read_named(o.prefix_path, &o.prefix, &why)) return cli::fail("%s", why.c_str());
    if (!o.suffix_given && !read_named(o.suffix_path, &o.suffix, &why)) return cli::fail("%s", why.c_str());
    std::vector<std::string> contents(o.context_files.size());
    for (size_t i = 0; i < contents.size(); i++)
        if (!read_named(o.context_files[i], &contents[i], &why)) return cli::fail("%s", why.c_str());

    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    if (!cli::logit_bias_fits(model.m, o.sampling, &why)) return cli::fail("%s", why.c_str());
    std::string prompt;
    if ((st = fim_prompt(model.m, o, contents, &prompt)) != LOOM_OK) return cli::fail_status(st, "fim prompt");
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
