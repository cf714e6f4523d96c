// loom fim -m MODEL --prefix-file A --suffix-file B [-n N] [sampling] [-t THREADS]
// Code infill with a fill-in-the-middle model (Qwen2.5-Coder): prints the
// middle that joins the prefix to the suffix. Greedy unless --temp is given.
#include "cli.h"
#include "generate.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace {

const std::string kUsage =
    std::string("loom fim -m MODEL --prefix-file A --suffix-file B [-n N] [-t THREADS] ") + cli::kSamplingUsage;

int cmd_fim(int argc, char **argv) {
    std::string model_path, prefix_path, suffix_path;
    long long n_predict = 256, threads = 0;
    cli::SamplingOptions sampling;
    sampling.temp = 0.0;
    for (int i = 1; i < argc; i++) {
        bool bad = false;
        if (cli::take_sampling_arg(argc, argv, &i, &sampling, &bad)) {
            if (bad) return cli::usage(kUsage.c_str());
        } else if (i + 1 < argc && !std::strcmp(argv[i], "-m")) {
            model_path = argv[++i];
        } else if (i + 1 < argc && !std::strcmp(argv[i], "--prefix-file")) {
            prefix_path = argv[++i];
        } else if (i + 1 < argc && !std::strcmp(argv[i], "--suffix-file")) {
            suffix_path = argv[++i];
        } else if (i + 1 < argc && !std::strcmp(argv[i], "-n")) {
            if (!cli::parse_int(argv[++i], &n_predict)) return cli::usage(kUsage.c_str());
        } else if (i + 1 < argc && !std::strcmp(argv[i], "-t")) {
            if (!cli::parse_int(argv[++i], &threads) || threads < 0) return cli::usage(kUsage.c_str());
        } else {
            return cli::usage(kUsage.c_str());
        }
    }
    if (model_path.empty() || prefix_path.empty() || suffix_path.empty()) return cli::usage(kUsage.c_str());
    std::string prefix, suffix;
    std::string why;
    if (!cli::read_file(prefix_path, &prefix, &why)) return cli::fail("cannot read %s: %s", prefix_path.c_str(), why.c_str());
    if (!cli::read_file(suffix_path, &suffix, &why)) return cli::fail("cannot read %s: %s", suffix_path.c_str(), why.c_str());

    cli::ModelHandle model;
    loom_status st = cli::load_model(model_path, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, model_path.c_str());
    size_t n = 0;
    st = loom_fim_prompt(model.m, prefix.c_str(), suffix.c_str(), nullptr, 0, &n);
    if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) return cli::fail_status(st, "fim prompt");
    std::string prompt(n, '\0');
    if ((st = loom_fim_prompt(model.m, prefix.c_str(), suffix.c_str(), &prompt[0], n, &n)) != LOOM_OK)
        return cli::fail_status(st, "fim prompt");
    std::vector<int32_t> tokens;
    if ((st = cli::tokenize(model.m, prompt, &tokens)) != LOOM_OK) return cli::fail_status(st, "tokenize");

    cli::ContextOptions co;
    co.n_threads = int32_t(threads);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    cli::BatchHandle batch;
    if ((st = loom_batch_new(int32_t(co.n_batch), &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");
    cli::SamplerHandle sampler;
    if ((st = cli::make_sampler(sampling, &sampler.s)) != LOOM_OK) return cli::fail_status(st, "sampler");
    if ((st = cli::decode_tokens(ctx.c, batch.b, tokens, 0, co.n_batch, false)) != LOOM_OK)
        return cli::fail_status(st, "prompt");
    int32_t n_past = int32_t(tokens.size());
    cli::GenerateOptions go;
    go.n_predict = n_predict;
    cli::GenerateResult r;
    if ((st = cli::generate(model.m, ctx.c, batch.b, sampler.s, go, &n_past, &r)) != LOOM_OK)
        return cli::fail_status(st, "generate");
    return 0;
}

} // namespace

LOOM_COMMAND("fim", "fill in the middle between a prefix and a suffix file (Qwen2.5-Coder)", cmd_fim);
