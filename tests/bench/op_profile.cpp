// Where a decode's time goes, op by op, on the CPU backend: loads MODEL,
// decodes a prompt of PROMPT tokens in each of SEQS sequences as one batch
// (timed as its own table), then N decodes of one token per sequence (the
// SEQS sequences together, as `loom bench --parallel`), with every op of
// the context's session timed (Session::set_op_times). Per label (an op
// kind; a matmul group by its weights' types, k, output and input rows):
// calls and milliseconds per decode, the share of the ops' time, and for
// matmuls the weight bytes read per second; and the wall time of a whole
// loom_decode, whose difference to the ops' is what runs outside them
// (recording the graph, copying the logits out). The tokens are varied ids
// (no repeated text for the caches).
//
//   op_profile MODEL [N=64] [THREADS=2] [PROMPT=0] [fast|exact] [SEQS=1]
//
// A measuring tool, not a test: docs/performance.md quotes its tables.
#include "context/context.h"
#include "loom.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int fail(const char *what, loom_status s) {
    std::fprintf(stderr, "op_profile: %s: %s\n", what, loom_last_error());
    return s == LOOM_OK ? 1 : int(s);
}

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// The table of one phase: `decodes` graphs ran into `t` in `wall` seconds of loom_decode.
void print(const char *title, const loom::OpTimes &t, int decodes, double wall) {
    double total = 0;
    for (const loom::OpTimes::Entry &e : t.entries) total += e.seconds;
    std::vector<loom::OpTimes::Entry> rows = t.entries;
    std::stable_sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) { return a.seconds > b.seconds; });
    std::printf("# %s: %d decode(s), %.3f ms per loom_decode, of it ops %.3f ms\n", title, decodes,
                1e3 * wall / decodes, 1e3 * total / decodes);
    std::printf("%-52s %9s %10s %7s %9s\n", "op", "calls/dec", "ms/dec", "share", "GB/s");
    for (const loom::OpTimes::Entry &e : rows) {
        char gbs[32] = "";
        if (e.bytes > 0) std::snprintf(gbs, sizeof gbs, "%.1f", double(e.bytes) / e.seconds / 1e9);
        std::printf("%-52s %9.1f %10.3f %6.1f%% %9s\n", e.label.c_str(), double(e.calls) / decodes,
                    1e3 * e.seconds / decodes, 100 * e.seconds / total, gbs);
    }
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: op_profile MODEL [N=64] [THREADS=2] [PROMPT=0] [fast|exact] [SEQS=1]\n");
        return 2;
    }
    const int n = argc > 2 ? std::atoi(argv[2]) : 64;
    const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
    const int prompt = argc > 4 ? std::atoi(argv[4]) : 0;
    const bool exact = argc > 5 && std::strcmp(argv[5], "exact") == 0;
    const int seqs = argc > 6 ? std::atoi(argv[6]) : 1;
    if (n < 1 || threads < 1 || prompt < 0 || seqs < 1 || seqs > 256) {
        std::fprintf(stderr, "op_profile: N and THREADS must be positive, PROMPT not negative, SEQS in 1..256\n");
        return 2;
    }
    loom_model_params mp;
    loom_model_default_params(&mp);
    mp.backend = LOOM_BACKEND_CPU;
    loom_model *model = nullptr;
    loom_status s = loom_model_load(argv[1], &mp, &model);
    if (s != LOOM_OK) return fail("load", s);
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.n_ctx = uint32_t(seqs * (prompt + n + 16));
    cp.n_batch = uint32_t(seqs * std::max(prompt, 1));
    cp.n_seq_max = uint32_t(seqs);
    cp.n_threads = threads;
    cp.matmul_precision = exact ? LOOM_MATMUL_EXACT : LOOM_MATMUL_FAST;
    loom_context *ctx = nullptr;
    if ((s = loom_context_new(model, &cp, &ctx)) != LOOM_OK) return fail("context", s);
    loom_batch *batch = nullptr;
    if ((s = loom_batch_new(int32_t(cp.n_batch), &batch)) != LOOM_OK) return fail("batch", s);
    const int32_t vocab = std::min<int32_t>(loom_model_n_vocab(model), 150000);
    auto token = [&](int i) { return int32_t((uint32_t(i) * 2654435761u >> 7) % uint32_t(vocab)); };

    // Positions [pos, pos + len) of every sequence, the last of each wanting logits.
    auto fill = [&](int pos, int len) {
        loom_batch_clear(batch);
        for (int q = 0; q < seqs; q++)
            for (int i = 0; i < len; i++) loom_batch_add(batch, token(q * 7919 + pos + i), pos + i, q, i == len - 1);
    };
    loom::OpTimes prompt_times, decode_times;
    double prompt_wall = 0, decode_wall = 0;
    int pos = 0;
    if (prompt > 0) {
        fill(pos, prompt);
        ctx->session->set_op_times(&prompt_times);
        const double t0 = now_s();
        if ((s = loom_decode(ctx, batch)) != LOOM_OK) return fail("prompt decode", s);
        prompt_wall = now_s() - t0;
        pos += prompt;
    } else {   // one token first, untimed: the caches and pages warm
        fill(pos++, 1);
        if ((s = loom_decode(ctx, batch)) != LOOM_OK) return fail("decode", s);
    }
    ctx->session->set_op_times(&decode_times);
    for (int i = 0; i < n; i++, pos++) {
        fill(pos, 1);
        const double t0 = now_s();
        if ((s = loom_decode(ctx, batch)) != LOOM_OK) return fail("decode", s);
        decode_wall += now_s() - t0;
    }
    ctx->session->set_op_times(nullptr);
    std::printf("# %s, %d threads, %s precision, %d sequence(s)\n", argv[1], threads, exact ? "exact" : "fast", seqs);
    if (prompt > 0) print("prompt", prompt_times, 1, prompt_wall);
    print("decode", decode_times, n, decode_wall);
    loom_batch_free(batch);
    loom_context_free(ctx);
    loom_model_free(model);
    return 0;
}
