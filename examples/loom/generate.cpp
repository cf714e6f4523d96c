#include "generate.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <algorithm>

namespace cli {

loom_status tokenize(const loom_model *m, const std::string &text, std::vector<int32_t> *out) {
    size_t n = 0;
    loom_status st = loom_tokenize(m, text.data(), text.size(), LOOM_TOKENIZE_PARSE_SPECIAL, nullptr, 0, &n);
    if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) return st;
    out->resize(n);
    if (n == 0) return LOOM_OK;
    return loom_tokenize(m, text.data(), text.size(), LOOM_TOKENIZE_PARSE_SPECIAL, out->data(), n, &n);
}

namespace {

// Detokenized text through the stop matcher to stdout and the result.
struct Printer {
    loom_detokenizer *detok = nullptr;
    loom_stop_matcher *stops = nullptr;
    bool print = true;
    GenerateResult *out = nullptr;

    ~Printer() {
        loom_detokenizer_free(detok);
        loom_stop_matcher_free(stops);
    }

    loom_status open(const loom_model *m, const GenerateOptions &o, GenerateResult *result) {
        out = result;
        print = o.print;
        std::vector<const char *> s;
        for (const std::string &t : o.stops) s.push_back(t.c_str());
        loom_status st = loom_detokenizer_new(m, 0, &detok);
        return st == LOOM_OK ? loom_stop_matcher_new(s.data(), s.size(), &stops) : st;
    }

    void emit(const char *text, size_t n) {
        if (!n) return;
        if (print) {
            std::fwrite(text, 1, n, stdout);
            std::fflush(stdout);
        }
        out->text.append(text, n);
    }

    loom_status release(const char *text, size_t n) {
        const char *rel = nullptr;
        size_t rel_n = 0;
        int32_t stopped = 0;
        loom_status st = loom_stop_matcher_push(stops, text, n, &rel, &rel_n, &stopped);
        if (st != LOOM_OK) return st;
        emit(rel, rel_n);
        if (stopped) out->hit_stop = true;
        return LOOM_OK;
    }

    // Pushes a token through the detokenizer and releases what completes.
    loom_status token(int32_t token) {
        char buf[256];
        size_t n = 0;
        loom_status st = loom_detokenizer_push(detok, token, buf, sizeof buf, &n);
        if (st == LOOM_ERR_BUFFER_TOO_SMALL) {
            std::string big(n, '\0');
            st = loom_detokenizer_push(detok, token, &big[0], big.size(), &n);
            return st == LOOM_OK ? release(big.data(), n) : st;
        }
        return st == LOOM_OK ? release(buf, n) : st;
    }

    // Counts a sampled token and prints it; false when the reply ends with
    // it (an end of generation, a stop string, an error in *st).
    bool take(const loom_model *m, const GenerateOptions &o, int32_t token, loom_status *st) {
        out->n_tokens++;
        if (o.stop_at_eog && loom_token_is_eog(m, token)) {
            out->hit_eog = true;
            return false;
        }
        *st = this->token(token);
        return *st == LOOM_OK && !out->hit_stop;
    }

    void finish() {
        char tail[8];
        size_t n = 0;
        if (loom_detokenizer_flush(detok, tail, sizeof tail, &n) == LOOM_OK && !out->hit_stop) release(tail, n);
        const char *rel = nullptr;
        size_t rel_n = 0;
        if (!out->hit_stop && loom_stop_matcher_flush(stops, &rel, &rel_n) == LOOM_OK) emit(rel, rel_n);
    }
};

} // namespace

loom_status generate(const loom_model *m, loom_context *ctx, loom_batch *batch, loom_sampler *sampler,
                     const GenerateOptions &o, int32_t *n_past, GenerateResult *out) {
    Printer printer;
    loom_status st = printer.open(m, o, out);
    if (st != LOOM_OK) return st;
    const double t0 = now_seconds();
    const uint32_t n_ctx = loom_context_n_ctx(ctx);
    while (o.n_predict < 0 || out->n_tokens < o.n_predict) {
        if (o.interrupt && o.interrupt->load()) break;
        int32_t token = 0;
        if ((st = loom_sample(sampler, ctx, -1, &token)) != LOOM_OK) break;
        loom_sampler_accept(sampler, token);
        if (!printer.take(m, o, token, &st)) break;
        if (uint32_t(*n_past) >= n_ctx) {   // the cache is full: stop here
            out->hit_full = true;
            break;
        }
        loom_batch_clear(batch);
        if ((st = loom_batch_add(batch, token, *n_past, 0, 1)) != LOOM_OK) break;
        if ((st = loom_decode(ctx, batch)) != LOOM_OK) break;
        ++*n_past;
    }
    printer.finish();
    out->seconds = now_seconds() - t0;
    return st;
}

loom_status generate_speculative(const loom_model *m, loom_speculative *spec, loom_sampler *sampler,
                                 const GenerateOptions &o, GenerateResult *out) {
    Printer printer;
    loom_status st = printer.open(m, o, out);
    if (st != LOOM_OK) return st;
    const double t0 = now_seconds();
    std::vector<int32_t> round(kMaxRoundTokens);
    bool more = true;
    while (more && (o.n_predict < 0 || out->n_tokens < o.n_predict)) {
        if (o.interrupt && o.interrupt->load()) break;
        long long left = o.n_predict < 0 ? kMaxRoundTokens : std::min<long long>(kMaxRoundTokens, o.n_predict - out->n_tokens);
        int32_t n = 0;
        st = loom_speculative_next(spec, sampler, round.data(), int32_t(left), &n);
        if (st == LOOM_ERR_CONTEXT_FULL) {
            out->hit_full = true;
            st = LOOM_OK;
            break;
        }
        if (st != LOOM_OK) break;
        for (int32_t i = 0; i < n && more; ++i) more = printer.take(m, o, round[size_t(i)], &st);
    }
    printer.finish();
    out->seconds = now_seconds() - t0;
    return st;
}

} // namespace cli
