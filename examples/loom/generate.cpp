#include "generate.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace cli {

const char *const kSamplingUsage =
    "[--temp T] [--top-k K] [--top-p P] [--min-p M] [--seed S] [--repeat-penalty R] [--repeat-last-n N]";

bool take_sampling_arg(int argc, char **argv, int *i, SamplingOptions *o, bool *bad) {
    const char *a = argv[*i];
    double *f = !std::strcmp(a, "--temp") ? &o->temp : !std::strcmp(a, "--top-p") ? &o->top_p
              : !std::strcmp(a, "--min-p") ? &o->min_p : !std::strcmp(a, "--repeat-penalty") ? &o->repeat_penalty
              : nullptr;
    long long *n = !std::strcmp(a, "--top-k") ? &o->top_k : !std::strcmp(a, "--repeat-last-n") ? &o->repeat_last_n
                 : nullptr;
    const bool is_seed = !std::strcmp(a, "--seed");
    if (!f && !n && !is_seed) return false;
    if (*i + 1 >= argc) {
        *bad = true;
        return true;
    }
    const char *v = argv[++*i];
    long long iv = 0;
    if (f) *bad = !parse_float(v, f);
    if (n) *bad = !parse_int(v, n) || *n < 0;
    if (is_seed) {
        *bad = !parse_int(v, &iv) || iv < 0;
        o->seed = static_cast<uint64_t>(iv);
        o->seed_set = true;
    }
    return true;
}

loom_status add_sampling_stages(const SamplingOptions &o, loom_sampler *s) {
    loom_status st = LOOM_OK;
    if (o.repeat_penalty != 1.0 && o.repeat_last_n > 0)
        st = loom_sampler_add_penalties(s, int32_t(o.repeat_last_n), float(o.repeat_penalty), 0.0f, 0.0f);
    if (o.temp <= 0.0) {
        if (st == LOOM_OK) st = loom_sampler_add_greedy(s);
    } else {
        if (st == LOOM_OK && o.top_k > 0) st = loom_sampler_add_top_k(s, int32_t(o.top_k));
        if (st == LOOM_OK && o.top_p < 1.0) st = loom_sampler_add_top_p(s, float(o.top_p));
        if (st == LOOM_OK && o.min_p > 0.0) st = loom_sampler_add_min_p(s, float(o.min_p));
        if (st == LOOM_OK) st = loom_sampler_add_temperature(s, float(o.temp));
        const uint64_t seed = o.seed_set ? o.seed
                                         : uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
        if (st == LOOM_OK) st = loom_sampler_add_dist(s, seed);
    }
    return st;
}

loom_status make_sampler(const SamplingOptions &o, loom_sampler **out) {
    loom_sampler *s = nullptr;
    loom_status st = loom_sampler_new(&s);
    if (st != LOOM_OK) return st;
    if ((st = add_sampling_stages(o, s)) != LOOM_OK) {
        loom_sampler_free(s);
        return st;
    }
    *out = s;
    return LOOM_OK;
}

loom_status tokenize(const loom_model *m, const std::string &text, std::vector<int32_t> *out) {
    size_t n = 0;
    loom_status st = loom_tokenize(m, text.data(), text.size(), LOOM_TOKENIZE_PARSE_SPECIAL, nullptr, 0, &n);
    if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) return st;
    out->resize(n);
    if (n == 0) return LOOM_OK;
    return loom_tokenize(m, text.data(), text.size(), LOOM_TOKENIZE_PARSE_SPECIAL, out->data(), n, &n);
}

namespace {

struct Detok {
    loom_detokenizer *d = nullptr;
    ~Detok() { loom_detokenizer_free(d); }
};

void emit(const char *text, size_t n, GenerateResult *out) {
    if (!n) return;
    std::fwrite(text, 1, n, stdout);
    std::fflush(stdout);
    out->text.append(text, n);
}

// Pushes a token through the detokenizer and prints what completes.
loom_status print_token(loom_detokenizer *d, int32_t token, GenerateResult *out) {
    char buf[256];
    size_t n = 0;
    loom_status st = loom_detokenizer_push(d, token, buf, sizeof buf, &n);
    if (st == LOOM_ERR_BUFFER_TOO_SMALL) {
        std::string big(n, '\0');
        st = loom_detokenizer_push(d, token, &big[0], big.size(), &n);
        if (st == LOOM_OK) emit(big.data(), n, out);
        return st;
    }
    if (st == LOOM_OK) emit(buf, n, out);
    return st;
}

} // namespace

loom_status generate(const loom_model *m, loom_context *ctx, loom_batch *batch, loom_sampler *sampler,
                     const GenerateOptions &o, int32_t *n_past, GenerateResult *out) {
    Detok detok;
    loom_status st = loom_detokenizer_new(m, 0, &detok.d);
    if (st != LOOM_OK) return st;
    const double t0 = now_seconds();
    const uint32_t n_ctx = loom_context_n_ctx(ctx);
    while (o.n_predict < 0 || out->n_tokens < o.n_predict) {
        if (o.interrupt && o.interrupt->load()) break;
        int32_t token = 0;
        if ((st = loom_sample(sampler, ctx, -1, &token)) != LOOM_OK) break;
        loom_sampler_accept(sampler, token);
        out->n_tokens++;
        if (o.stop_at_eog && loom_token_is_eog(m, token)) {
            out->hit_eog = true;
            break;
        }
        if ((st = print_token(detok.d, token, out)) != LOOM_OK) break;
        if (uint32_t(*n_past) >= n_ctx) break;   // the cache is full: stop here
        loom_batch_clear(batch);
        if ((st = loom_batch_add(batch, token, *n_past, 0, 1)) != LOOM_OK) break;
        if ((st = loom_decode(ctx, batch)) != LOOM_OK) break;
        ++*n_past;
    }
    char tail[8];
    size_t n = 0;
    if (loom_detokenizer_flush(detok.d, tail, sizeof tail, &n) == LOOM_OK) emit(tail, n, out);
    out->seconds = now_seconds() - t0;
    return st;
}

} // namespace cli
