// loom bench -m MODEL [-p 512] [-n 128] [-t 2] [-r 3] [--depth D] [--parallel S] [--json]
// The method of ../shared/ref/llref bench, so the two run side by side
// (tests/bench/compare.sh): per run, clear the cache, (untimed) fill it with
// D tokens, decode a prompt of P tokens in one batch (timed: pp), then N
// single-token decode steps (timed: tg). Prints the best of R runs, exactly
//   pp<P> <X> tok/s
//   tg<N> <Y> tok/s
// With S sequences (a server's concurrent conversations) each is filled with
// D tokens, all together, the prompt goes to sequence 0, and each tg step
// is one decode advancing all S sequences by a token: Y counts all S tokens,
// and a third line gives the time of one step and the process CPU time it
// took (all threads; with -t 1 the work itself, whatever the machine's load),
// `step <ms> ms cpu <ms> ms`.
#include "cli.h"
#include "common_options.h"
#include "bench_speculative.h"
#include "generate.h"
#include "infer_common.h"
#include "model_facts.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

namespace {

struct BenchOptions {
    std::string model;
    long long pp = 512, tg = 128, reps = 3, depth = 0, seqs = 0;
    bool json = false, seqs_given = false;
    std::string prompt_file;            // speculative mode's prompt text
    cli::SpeculativeOptions speculative;
    cli::CommonOptions common;
};

void declare(cli::Options *opts, BenchOptions *o) {
    opts->text("-m, --model", "FILE", &o->model, "the GGUF model (required)");
    opts->integer("-p, --n-prompt", "N", &o->pp, 0, 1 << 20, "prompt tokens, decoded in one batch (pp)");
    opts->integer("-n, --n-gen", "N", &o->tg, 0, 1 << 20, "single-token decode steps (tg)");
    opts->integer("-r, --repetitions", "N", &o->reps, 1, 1000, "runs; the best is printed");
    opts->integer("--depth", "D", &o->depth, 0, 1 << 23, "tokens in the cache before the timed part (per sequence)");
    opts->integer("-np, --parallel, --sequences", "S", &o->seqs, 1, 256,
                  "sequences each tg step advances by one token (one decode; llama-batched-bench's -npl); adds the "
                  "line `step <ms> ms cpu <ms> ms`");
    opts->flag("--json", &o->json, "one JSON object: model, size, threads, best, mean and ± spread per test");
    opts->text("-f, --file", "FILE", &o->prompt_file,
               "with --draft-model or --lookup: the prompt text (else -p token ids as for pp)", "none");
    cli::add_speculative_options(opts, &o->speculative);
    opts->footer("\nWith --draft-model or --lookup: plain and speculative greedy decoding of the same -n tokens\n"
                 "after the same prompt, interleaved R times; prints both speeds, the median speedup, the\n"
                 "acceptance rate and the tokens per target decode, and whether the two texts are identical.\n");
    o->common.threads = 2;   // llref bench's default, so the two compare as run
    cli::add_common_options(opts, &o->common, "S * (depth + pp + tg) + 8");
}

struct RunTimes {
    double pp_s = 0, tg_s = 0, tg_cpu_s = 0;
};

double cpu_seconds() { return double(std::clock()) / CLOCKS_PER_SEC; }

// Untimed: D tokens in each of the S sequences, decoded together (batches
// of up to 512 tokens taking position p of every sequence, then p + 1, ...),
// as concurrent conversations fill a server's cache.
loom_status fill_sequences(loom_context *ctx, loom_batch *batch, const BenchOptions &o, int32_t n_vocab) {
    const long long total = o.depth * o.seqs;
    for (long long i = 0; i < total;) {
        loom_batch_clear(batch);
        for (long long end = std::min(total, i + 512); i < end; i++) {
            const int32_t pos = static_cast<int32_t>(i / o.seqs), seq = static_cast<int32_t>(i % o.seqs);
            loom_status st = loom_batch_add(batch, static_cast<int32_t>((pos * 7919 + 13) % n_vocab), pos, seq, 0);
            if (st != LOOM_OK) return st;
        }
        if (loom_status st = loom_decode(ctx, batch); st != LOOM_OK) return st;
    }
    return LOOM_OK;
}

// One tg step: the next token of every sequence in one batch.
loom_status step_sequences(loom_context *ctx, loom_batch *batch, const BenchOptions &o, int32_t tok, long long i) {
    loom_batch_clear(batch);
    for (long long s = 0; s < o.seqs; s++) {
        const int32_t pos = static_cast<int32_t>(o.depth + (s == 0 ? o.pp : 0) + i);
        loom_status st = loom_batch_add(batch, tok, pos, static_cast<int32_t>(s), 1);
        if (st != LOOM_OK) return st;
    }
    return loom_decode(ctx, batch);
}

// One run from an empty cache. Token ids follow llref bench.
loom_status run_once(loom_context *ctx, loom_batch *batch, const BenchOptions &o, int32_t n_vocab, int rep,
                     RunTimes *t) {
    loom_kv_clear(ctx);
    loom_status st = fill_sequences(ctx, batch, o, n_vocab);
    if (st != LOOM_OK) return st;
    const int32_t base = static_cast<int32_t>(o.depth);
    std::vector<int32_t> prompt(static_cast<size_t>(o.pp));
    for (size_t i = 0; i < prompt.size(); i++) prompt[i] = static_cast<int32_t>((i * 7919 + rep) % n_vocab);
    const double t0 = cli::now_seconds();
    if (!prompt.empty() && (st = cli::decode_tokens(ctx, batch, prompt, base, static_cast<uint32_t>(o.pp), false)) != LOOM_OK)
        return st;
    const double t1 = cli::now_seconds(), c1 = cpu_seconds();
    int32_t tok = 1;
    for (long long i = 0; i < o.tg; i++) {
        if ((st = step_sequences(ctx, batch, o, tok, i)) != LOOM_OK) return st;
        tok = (tok * 31 + 17) % n_vocab;
    }
    t->pp_s = t1 - t0;
    t->tg_s = cli::now_seconds() - t1;
    t->tg_cpu_s = cpu_seconds() - c1;
    return LOOM_OK;
}

// Tokens per second of each run: the best, the mean and the sample standard deviation.
struct Speeds {
    std::vector<double> samples;
    double best() const { return samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end()); }
    double mean() const {
        double sum = 0;
        for (double v : samples) sum += v;
        return samples.empty() ? 0 : sum / double(samples.size());
    }
    double stddev() const {
        if (samples.size() < 2) return 0;
        double m = mean(), ss = 0;
        for (double v : samples) ss += (v - m) * (v - m);
        return std::sqrt(ss / double(samples.size() - 1));
    }
    nlohmann::json to_json(long long n) const {
        return {{"n", n}, {"best_tok_s", best()}, {"mean_tok_s", mean()}, {"stddev_tok_s", stddev()},
                {"samples_tok_s", samples}};
    }
};

void print_json(const BenchOptions &o, const loom_model *m, const Speeds &pp, const Speeds &tg) {
    const cli::ModelFacts f = cli::model_facts(loom_model_gguf(m));
    nlohmann::json j = {
        {"model", o.model},
        {"model_type", f.file_type},
        {"model_size", f.n_bytes},
        {"model_params", f.n_params},
        {"backend", loom_model_backend_name(m)},
        {"threads", o.common.threads},
        {"depth", o.depth},
        {"sequences", o.seqs},
        {"repetitions", o.reps},
    };
    if (o.pp > 0) j["pp"] = pp.to_json(o.pp);
    if (o.tg > 0) j["tg"] = tg.to_json(o.tg);
    std::printf("%s\n", j.dump(2).c_str());
}

// Speculative mode: the prompt (a text file, or pp ids as run_once makes
// them), a context with room for it, then bench_speculative.
int speculative_mode(const BenchOptions &o) {
    if (std::string c = cli::speculative_conflict(o.speculative); !c.empty()) return cli::fail("%s", c.c_str());
    if (o.tg < 1) return cli::fail("-n must be at least 1 with --draft-model or --lookup");
    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    cli::SpeculativeBench b;
    b.model = o.model;
    b.n_gen = o.tg;
    b.reps = o.reps;
    b.json = o.json;
    if (!o.prompt_file.empty()) {
        std::string text, why;
        if (!cli::read_file(o.prompt_file, &text, &why)) return cli::fail("%s", why.c_str());
        if ((st = cli::tokenize(model.m, text, &b.prompt)) != LOOM_OK) return cli::fail_status(st, "tokenize");
    } else {
        for (long long i = 0; i < o.pp; i++) b.prompt.push_back(int32_t((i * 7919) % loom_model_n_vocab(model.m)));
    }
    if (b.prompt.empty()) return cli::fail("the prompt is empty: give -f FILE or -p N > 0");
    cli::ContextOptions co;
    co.n_threads = static_cast<int32_t>(o.common.threads);
    const long long need = (long long)b.prompt.size() + o.tg + o.speculative.draft_max + 8;
    co.n_ctx = static_cast<uint32_t>(o.common.n_ctx ? o.common.n_ctx : need);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    return cli::bench_speculative(ctx.c, o.speculative, co, b);
}

int cmd_bench(int argc, char **argv) {
    BenchOptions o;
    cli::Options opts("loom bench -m MODEL [options]",
                      "Prompt (pp) and decode (tg) speed with llref bench's method; prints the best of the runs:\n"
                      "  pp<P> <X> tok/s\n  tg<N> <Y> tok/s");
    declare(&opts, &o);
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    o.seqs_given = o.seqs > 0;
    o.seqs = std::max(o.seqs, 1LL);
    if (o.model.empty()) return opts.usage_error("-m MODEL is required");
    if (o.speculative.active()) return speculative_mode(o);
    if (o.pp + o.tg == 0) return cli::fail("-p and -n are both 0: nothing to time");
    const long long need = o.seqs * (o.depth + o.pp + o.tg) + 8;
    if (o.common.n_ctx && o.common.n_ctx < need)
        return cli::fail("-c %lld is too small: --sequences * (--depth + -p + -n) need %s cells", o.common.n_ctx,
                         cli::with_commas(need).c_str());
    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model.c_str());
    cli::ContextOptions co;
    co.n_threads = static_cast<int32_t>(o.common.threads);
    co.n_ctx = static_cast<uint32_t>(o.common.n_ctx ? o.common.n_ctx : need);
    co.n_batch = static_cast<uint32_t>(std::max({o.pp, o.seqs, 512LL}));
    co.n_seq_max = static_cast<uint32_t>(o.seqs);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    cli::warn_past_training_context(model.m, co.n_ctx);
    cli::BatchHandle batch;
    if ((st = loom_batch_new(static_cast<int32_t>(co.n_batch), &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");
    const int32_t n_vocab = loom_model_n_vocab(model.m);
    Speeds pp, tg;
    double best_cpu = 0;
    for (long long r = 0; r < o.reps; r++) {
        RunTimes t;
        if ((st = run_once(ctx.c, batch.b, o, n_vocab, static_cast<int>(r), &t)) != LOOM_OK)
            return cli::fail_status(st, "decode");
        if (o.pp > 0) pp.samples.push_back(double(o.pp) / t.pp_s);
        if (o.tg > 0) tg.samples.push_back(double(o.tg * o.seqs) / t.tg_s);
        if (r == 0 || t.tg_cpu_s < best_cpu) best_cpu = t.tg_cpu_s;
    }
    if (o.json) print_json(o, model.m, pp, tg);
    else std::printf("pp%lld %.2f tok/s\ntg%lld %.2f tok/s\n", o.pp, pp.best(), o.tg, tg.best());
    if (!o.json && o.seqs_given && o.tg > 0)
        std::printf("step %.3f ms cpu %.3f ms\n", 1e3 * double(o.seqs) / tg.best(), 1e3 * best_cpu / double(o.tg));
    return 0;
}

} // namespace

LOOM_COMMAND("bench", "prompt and decode speed, the method of llref bench", cmd_bench);
