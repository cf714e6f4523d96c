// The grammar stage's cost per token: samples N tokens from random logits
// under a GBNF grammar (grammar stage first, then temperature 1 and a seeded
// draw), and the same chain without the grammar on the same logits; prints
// the stage's build time and the time per token of both chains (mean,
// median, 95th percentile, max). Public API only.
//   grammar_bench MODEL GRAMMAR.gbnf [N=300] [SEED=1]
// docs/grammar.md has the numbers and the 0.5B decode step they compare with.
#include "loom.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void report(const char *what, std::vector<double> t) {
    std::sort(t.begin(), t.end());
    double sum = 0;
    for (double x : t) sum += x;
    std::printf("%-16s mean %.3f ms  median %.3f ms  p95 %.3f ms  max %.3f ms  (%zu tokens)\n", what,
                sum / double(t.size()), t[t.size() / 2], t[t.size() * 95 / 100], t.back(), t.size());
}

int die(const char *what) {
    std::fprintf(stderr, "grammar_bench: %s: %s\n", what, loom_last_error());
    return 1;
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: grammar_bench MODEL GRAMMAR.gbnf [N] [SEED]\n");
        return 2;
    }
    const int n = argc > 3 ? std::atoi(argv[3]) : 300;
    const uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;
    std::ifstream f(argv[2]);
    std::stringstream gbnf;
    gbnf << f.rdbuf();
    loom_model *model = nullptr;
    if (loom_model_load(argv[1], nullptr, &model) != LOOM_OK) return die("load");
    const int32_t n_vocab = loom_model_n_vocab(model);
    loom_sampler *with = nullptr, *without = nullptr;
    double t0 = now_ms();
    if (loom_sampler_new(&with) != LOOM_OK || loom_sampler_add_grammar(with, model, gbnf.str().c_str(), nullptr) != LOOM_OK)
        return die("grammar");
    std::printf("grammar stage built in %.1f ms (%d-token vocabulary)\n", now_ms() - t0, n_vocab);
    if (loom_sampler_add_temperature(with, 1.0f) != LOOM_OK || loom_sampler_add_dist(with, seed) != LOOM_OK ||
        loom_sampler_new(&without) != LOOM_OK || loom_sampler_add_temperature(without, 1.0f) != LOOM_OK ||
        loom_sampler_add_dist(without, seed) != LOOM_OK)
        return die("sampler");
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    std::vector<float> logits(static_cast<size_t>(n_vocab));
    std::vector<double> t_with, t_without;
    std::string sample_text;
    int restarts = 0;
    for (int i = 0; i < n; i++) {
        for (float &x : logits) x = normal(rng);
        int32_t tok = -1, other = -1;
        double a = now_ms();
        if (loom_sampler_sample_logits(with, logits.data(), n_vocab, &tok) != LOOM_OK) return die("sample");
        if (loom_sampler_accept(with, tok) != LOOM_OK) return die("accept");
        double b = now_ms();
        if (loom_sampler_sample_logits(without, logits.data(), n_vocab, &other) != LOOM_OK) return die("sample");
        double c = now_ms();
        t_with.push_back(b - a);
        t_without.push_back(c - b);
        if (loom_token_is_eog(model, tok)) {
            loom_sampler_reset(with);
            restarts++;
            if (restarts == 1) std::printf("first output: %s\n", sample_text.c_str());
        } else if (restarts == 0 && sample_text.size() < 400) {
            char buf[256];
            size_t len = 0;
            if (loom_token_to_piece(model, tok, buf, sizeof buf, &len) == LOOM_OK) sample_text.append(buf, len);
        }
    }
    report("with grammar", t_with);
    report("without", t_without);
    std::printf("completed outputs: %d\n", restarts);
    loom_sampler_free(with);
    loom_sampler_free(without);
    loom_model_free(model);
    return 0;
}
