// loom bench -m MODEL [-p 512] [-n 128] [-t 2] [-r 3] [--depth D]
// The method of ../shared/ref/llref bench, so the two run side by side
// (tests/bench/compare.sh): per run, clear the cache, (untimed) fill it with
// D tokens, decode a prompt of P tokens in one batch (timed: pp), then N
// single-token decode steps (timed: tg). Prints the best of R runs, exactly
//   pp<P> <X> tok/s
//   tg<N> <Y> tok/s
#include "cli.h"
#include "infer_common.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace {

constexpr const char *kUsage = "loom bench -m MODEL [-p 512] [-n 128] [-t 2] [-r 3] [--depth D]\n"
                                 "  (and the common --backend, --device, --precision exact|fast)";

struct BenchOptions {
    std::string model;
    long long pp = 512, tg = 128, threads = 2, reps = 3, depth = 0;
};

bool parse_args(int argc, char **argv, BenchOptions *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) return false;
        const char *v = argv[++i];
        if (!std::strcmp(a, "-m")) { o->model = v; continue; }
        long long *dst = !std::strcmp(a, "-p") ? &o->pp : !std::strcmp(a, "-n") ? &o->tg
                       : !std::strcmp(a, "-t") ? &o->threads : !std::strcmp(a, "-r") ? &o->reps
                       : !std::strcmp(a, "--depth") ? &o->depth : nullptr;
        if (!dst || !cli::parse_int(v, dst) || *dst < 0) return false;
    }
    return !o->model.empty() && o->threads > 0 && o->reps > 0 && o->pp + o->tg > 0 && o->pp + o->depth < (1LL << 24);
}

struct RunTimes {
    double pp_s = 0, tg_s = 0;
};

// One run from an empty cache. Token ids follow llref bench.
loom_status run_once(loom_context *ctx, loom_batch *batch, const BenchOptions &o, int32_t n_vocab, int rep,
                     RunTimes *t) {
    loom_kv_clear(ctx);
    std::vector<int32_t> fill(static_cast<size_t>(o.depth));
    for (size_t i = 0; i < fill.size(); i++) fill[i] = static_cast<int32_t>((i * 7919 + 13) % n_vocab);
    loom_status st = LOOM_OK;
    if (!fill.empty() && (st = cli::decode_tokens(ctx, batch, fill, 0, 512, false)) != LOOM_OK) return st;
    const int32_t base = static_cast<int32_t>(o.depth);
    std::vector<int32_t> prompt(static_cast<size_t>(o.pp));
    for (size_t i = 0; i < prompt.size(); i++) prompt[i] = static_cast<int32_t>((i * 7919 + rep) % n_vocab);
    const double t0 = cli::now_seconds();
    if (!prompt.empty() && (st = cli::decode_tokens(ctx, batch, prompt, base, static_cast<uint32_t>(o.pp), false)) != LOOM_OK)
        return st;
    const double t1 = cli::now_seconds();
    int32_t tok = 1;
    for (long long i = 0; i < o.tg; i++) {
        loom_batch_clear(batch);
        if ((st = loom_batch_add(batch, tok, base + static_cast<int32_t>(o.pp + i), 0, 1)) != LOOM_OK) return st;
        if ((st = loom_decode(ctx, batch)) != LOOM_OK) return st;
        tok = (tok * 31 + 17) % n_vocab;
    }
    t->pp_s = t1 - t0;
    t->tg_s = cli::now_seconds() - t1;
    return LOOM_OK;
}

int cmd_bench(int argc, char **argv) {
    BenchOptions o;
    if (!parse_args(argc, argv, &o)) return cli::usage(kUsage);
    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    cli::ContextOptions co;
    co.n_threads = static_cast<int32_t>(o.threads);
    co.n_ctx = static_cast<uint32_t>(o.depth + o.pp + o.tg + 8);
    co.n_batch = static_cast<uint32_t>(o.pp > 512 ? o.pp : 512);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    cli::BatchHandle batch;
    if ((st = loom_batch_new(static_cast<int32_t>(co.n_batch), &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");
    const int32_t n_vocab = loom_model_n_vocab(model.m);
    double best_pp = 0, best_tg = 0;
    for (long long r = 0; r < o.reps; r++) {
        RunTimes t;
        if ((st = run_once(ctx.c, batch.b, o, n_vocab, static_cast<int>(r), &t)) != LOOM_OK)
            return cli::fail_status(st, "decode");
        if (o.pp > 0 && o.pp / t.pp_s > best_pp) best_pp = o.pp / t.pp_s;
        if (o.tg > 0 && o.tg / t.tg_s > best_tg) best_tg = o.tg / t.tg_s;
    }
    std::printf("pp%lld %.2f tok/s\ntg%lld %.2f tok/s\n", o.pp, best_pp, o.tg, best_tg);
    return 0;
}

} // namespace

LOOM_COMMAND("bench", "prompt and decode speed, the method of llref bench", cmd_bench);
