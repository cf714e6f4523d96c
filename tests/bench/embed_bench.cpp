// What an embeddings-only context saves: the same P-token prompts decoded
// (every entry an output, mean pooling) by a context that also computes
// logits (LOOM_EMBEDDINGS_WITH_LOGITS) and by one that does not
// (LOOM_EMBEDDINGS_ONLY); prints the best of R runs of each in ms and the ratio,
// interleaved so both see the same machine load. Public API only.
//   embed_bench MODEL [P=64] [THREADS=2] [R=5]
#include "loom.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Run {
    loom_context *ctx = nullptr;
    loom_batch *batch = nullptr;
    ~Run() {
        loom_batch_free(batch);
        loom_context_free(ctx);
    }
};

bool make(const loom_model *m, int32_t mode, int32_t p, int32_t threads, Run *r) {
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.n_ctx = uint32_t(p);
    cp.n_batch = uint32_t(p);
    cp.n_threads = threads;
    cp.embeddings = mode;
    cp.pooling_type = LOOM_POOLING_MEAN;
    return loom_context_new(m, &cp, &r->ctx) == LOOM_OK && loom_batch_new(p, &r->batch) == LOOM_OK;
}

// One decode of the prompt from an empty cache, in ms (-1 on failure).
double time_one(Run &r, const std::vector<int32_t> &toks) {
    loom_kv_clear(r.ctx);
    loom_batch_clear(r.batch);
    if (loom_batch_add_tokens(r.batch, toks.data(), int32_t(toks.size()), 0, 0, LOOM_BATCH_OUTPUTS_ALL) != LOOM_OK)
        return -1;
    const double t0 = now_ms();
    if (loom_decode(r.ctx, r.batch) != LOOM_OK) return -1;
    const float *e = nullptr;
    if (loom_get_embeddings_seq(r.ctx, 0, &e) != LOOM_OK) return -1;
    return now_ms() - t0;
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: embed_bench MODEL [P=64] [THREADS=2] [R=5]\n");
        return 2;
    }
    const int32_t p = argc > 2 ? std::atoi(argv[2]) : 64, threads = argc > 3 ? std::atoi(argv[3]) : 2;
    const int reps = argc > 4 ? std::atoi(argv[4]) : 5;
    loom_model *m = nullptr;
    if (loom_model_load(argv[1], nullptr, &m) != LOOM_OK) {
        std::fprintf(stderr, "embed_bench: %s\n", loom_last_error());
        return 1;
    }
    std::vector<int32_t> toks(size_t(std::max(p, 1)));
    for (size_t i = 0; i < toks.size(); i++) toks[i] = int32_t((i * 7919 + 13) % 10000);
    Run with, only;
    if (!make(m, LOOM_EMBEDDINGS_WITH_LOGITS, p, threads, &with) || !make(m, LOOM_EMBEDDINGS_ONLY, p, threads, &only)) {
        std::fprintf(stderr, "embed_bench: %s\n", loom_last_error());
        loom_model_free(m);
        return 1;
    }
    double best_with = 1e300, best_only = 1e300;
    for (int r = 0; r < reps; r++) {
        const double a = time_one(with, toks), b = time_one(only, toks);
        if (a < 0 || b < 0) {
            std::fprintf(stderr, "embed_bench: %s\n", loom_last_error());
            loom_model_free(m);
            return 1;
        }
        best_with = std::min(best_with, a);
        best_only = std::min(best_only, b);
    }
    std::printf("pp%d with logits %.1f ms, embeddings only %.1f ms, speedup %.2fx\n", p, best_with, best_only,
                best_with / best_only);
    loom_model_free(m);
    return 0;
}
