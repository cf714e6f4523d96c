// Where a decode's time goes, op by op, on the CPU backend: loads MODEL,
// decodes a prompt of PROMPT tokens as one batch (timed as its own table),
// then N one-token decodes, with every op of the context's session timed
// (Session::set_op_times). Per label (an op kind; a matmul group by its
// weights' types, k and output rows): calls and milliseconds per decode,
// the share of the ops' time, and for matmuls the weight bytes read per
// second. The tokens are varied ids (no repeated text for the caches).
//
//   op_profile MODEL [N=64] [THREADS=2] [PROMPT=0] [fast|exact]
//
// A measuring tool, not a test: docs/performance.md quotes its tables.
#include "context/context.h"
#include "loom.h"

#include <algorithm>
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

// The table of one phase: `decodes` graphs ran into `t`.
void print(const char *title, const loom::OpTimes &t, int decodes) {
    double total = 0;
    for (const loom::OpTimes::Entry &e : t.entries) total += e.seconds;
    std::vector<loom::OpTimes::Entry> rows = t.entries;
    std::stable_sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) { return a.seconds > b.seconds; });
    std::printf("# %s: %d decode(s), ops %.3f ms per decode\n", title, decodes, 1e3 * total / decodes);
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
        std::fprintf(stderr, "usage: op_profile MODEL [N=64] [THREADS=2] [PROMPT=0] [fast|exact]\n");
        return 2;
    }
    const int n = argc > 2 ? std::atoi(argv[2]) : 64;
    const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
    const int prompt = argc > 4 ? std::atoi(argv[4]) : 0;
    const bool exact = argc > 5 && std::strcmp(argv[5], "exact") == 0;
    if (n < 1 || threads < 1 || prompt < 0) {
        std::fprintf(stderr, "op_profile: N and THREADS must be positive, PROMPT not negative\n");
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
    cp.n_ctx = uint32_t(prompt + n + 16);
    cp.n_batch = uint32_t(std::max(prompt, 1));
    cp.n_threads = threads;
    cp.matmul_precision = exact ? LOOM_MATMUL_EXACT : LOOM_MATMUL_FAST;
    loom_context *ctx = nullptr;
    if ((s = loom_context_new(model, &cp, &ctx)) != LOOM_OK) return fail("context", s);
    loom_batch *batch = nullptr;
    if ((s = loom_batch_new(std::max(prompt, 1), &batch)) != LOOM_OK) return fail("batch", s);
    const int32_t vocab = std::min<int32_t>(loom_model_n_vocab(model), 150000);
    auto token = [&](int i) { return int32_t((uint32_t(i) * 2654435761u >> 7) % uint32_t(vocab)); };

    loom::OpTimes prompt_times, decode_times;
    int pos = 0;
    if (prompt > 0) {
        for (int i = 0; i < prompt; i++) loom_batch_add(batch, token(pos + i), pos + i, 0, i == prompt - 1);
        ctx->session->set_op_times(&prompt_times);
        if ((s = loom_decode(ctx, batch)) != LOOM_OK) return fail("prompt decode", s);
        pos += prompt;
    } else {   // one token first, untimed: the caches and pages warm
        loom_batch_add(batch, token(0), pos++, 0, 1);
        if ((s = loom_decode(ctx, batch)) != LOOM_OK) return fail("decode", s);
    }
    ctx->session->set_op_times(&decode_times);
    for (int i = 0; i < n; i++, pos++) {
        loom_batch_clear(batch);
        loom_batch_add(batch, token(pos), pos, 0, 1);
        if ((s = loom_decode(ctx, batch)) != LOOM_OK) return fail("decode", s);
    }
    ctx->session->set_op_times(nullptr);
    std::printf("# %s, %d threads, %s precision\n", argv[1], threads, exact ? "exact" : "fast");
    if (prompt > 0) print("prompt", prompt_times, 1);
    print("decode", decode_times, n);
    loom_batch_free(batch);
    loom_context_free(ctx);
    loom_model_free(model);
    return 0;
}
