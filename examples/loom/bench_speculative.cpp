#include "bench_speculative.h"

#include "cli.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace cli {

namespace {

struct Sampler {
    loom_sampler *s = nullptr;
    Sampler() {
        if (loom_sampler_new(&s) == LOOM_OK) loom_sampler_add_greedy(s);
    }
    ~Sampler() { loom_sampler_free(s); }
};

struct Timed {
    std::vector<int32_t> tokens;
    double seconds = 0;   // generation only: after the prompt
};

// Plain greedy decoding: the prompt, then one decode per token.
loom_status run_plain(loom_context *ctx, const SpeculativeBench &b, uint32_t n_batch, Timed *out) {
    Sampler smp;
    BatchHandle batch;
    loom_status st = loom_batch_new(int32_t(n_batch), &batch.b);
    if (st != LOOM_OK) return st;
    loom_kv_clear(ctx);
    if ((st = decode_tokens(ctx, batch.b, b.prompt, 0, n_batch, false)) != LOOM_OK) return st;
    const double t0 = now_seconds();
    int32_t pos = int32_t(b.prompt.size());
    for (long long i = 0; i < b.n_gen; ++i) {
        int32_t t = 0;
        if ((st = loom_sample(smp.s, ctx, -1, &t)) != LOOM_OK) return st;
        loom_sampler_accept(smp.s, t);
        out->tokens.push_back(t);
        if (i + 1 == b.n_gen) break;
        loom_batch_clear(batch.b);
        loom_batch_add(batch.b, t, pos++, 0, 1);
        if ((st = loom_decode(ctx, batch.b)) != LOOM_OK) return st;
    }
    out->seconds = now_seconds() - t0;
    return LOOM_OK;
}

// The same text through the speculative decoder (its draft reads the
// prompt in the first round, which is timed: plain decoding has no such cost).
loom_status run_speculative(loom_speculative *spec, const SpeculativeBench &b, Timed *out, int64_t stats[3]) {
    Sampler smp;
    loom_status st = loom_speculative_prompt(spec, b.prompt.data(), int32_t(b.prompt.size()));
    if (st != LOOM_OK) return st;
    std::vector<int32_t> round(257);
    const double t0 = now_seconds();
    while ((long long)out->tokens.size() < b.n_gen) {
        int32_t n = 0, cap = int32_t(std::min<long long>(257, b.n_gen - (long long)out->tokens.size()));
        if ((st = loom_speculative_next(spec, smp.s, round.data(), cap, &n)) != LOOM_OK) return st;
        out->tokens.insert(out->tokens.end(), round.begin(), round.begin() + n);
    }
    out->seconds = now_seconds() - t0;
    return loom_speculative_stats(spec, &stats[0], &stats[1], &stats[2]);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

} // namespace

int bench_speculative(loom_context *target, const SpeculativeOptions &so,
                      const ContextOptions &co, const SpeculativeBench &b) {
    SpeculativeHandle spec;
    if (!make_speculative(target, so, co, &spec)) return 1;
    std::vector<double> plain_tok_s, spec_tok_s, ratios;
    int64_t rounds = 0, drafted = 0, accepted = 0, first_difference = -1;
    for (long long r = 0; r < b.reps; ++r) {
        Timed plain, fast;
        int64_t stats[3] = {0, 0, 0};
        loom_status st = run_plain(target, b, co.n_batch, &plain);
        if (st != LOOM_OK) return fail_status(st, "plain decoding");
        if ((st = run_speculative(spec.s, b, &fast, stats)) != LOOM_OK) return fail_status(st, "speculative decoding");
        if (first_difference < 0 && plain.tokens != fast.tokens)
            first_difference = int64_t(std::mismatch(plain.tokens.begin(), plain.tokens.end(), fast.tokens.begin()).first -
                                       plain.tokens.begin());
        plain_tok_s.push_back(double(b.n_gen) / plain.seconds);
        spec_tok_s.push_back(double(b.n_gen) / fast.seconds);
        ratios.push_back(plain.seconds / fast.seconds);
        rounds += stats[0], drafted += stats[1], accepted += stats[2];
    }
    const double acceptance = drafted > 0 ? double(accepted) / double(drafted) : 0.0;
    const double per_decode = rounds > 0 ? double(b.n_gen * b.reps) / double(rounds) : 0.0;
    const char *source = so.lookup ? "lookup" : "draft-model";
    if (b.json) {
        nlohmann::json j = {{"model", b.model}, {"draft", so.lookup ? "lookup" : so.draft_model},
                            {"draft_max", so.draft_max}, {"threads", co.n_threads}, {"prompt_tokens", b.prompt.size()},
                            {"n_gen", b.n_gen}, {"repetitions", b.reps},
                            {"plain_tok_s", plain_tok_s}, {"speculative_tok_s", spec_tok_s},
                            {"speedup_median", median(ratios)}, {"acceptance", acceptance},
                            {"tokens_per_target_decode", per_decode}, {"drafted", drafted}, {"accepted", accepted},
                            {"identical_text", first_difference < 0}, {"first_difference", first_difference}};
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("plain tg%lld %.2f tok/s (median of %lld)\n", b.n_gen, median(plain_tok_s), b.reps);
    std::printf("%s tg%lld %.2f tok/s (median of %lld)\n", source, b.n_gen, median(spec_tok_s), b.reps);
    std::printf("speedup %.3fx (median of the %lld interleaved run pairs)\n", median(ratios), b.reps);
    std::printf("acceptance %.1f%% (%lld of %lld proposed), %.2f tokens per target decode\n", 100.0 * acceptance,
                (long long)accepted, (long long)drafted, per_decode);
    if (first_difference < 0) std::printf("text identical to plain greedy decoding\n");
    else
        std::printf("text differs from plain greedy decoding from token %lld (the batched verify rows' logits are "
                    "not bit-equal to single-token decoding's: docs/speculative.md)\n",
                    (long long)first_difference);
    return 0;
}

} // namespace cli
