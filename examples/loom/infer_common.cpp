#include "infer_common.h"

#include "backend_args.h"
#include "cli.h"
#include "common_options.h"
#include "options.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cli {

namespace {

// Redraws the bar when the percentage changes (*user_data: the last one drawn).
int progress_bar(void *user_data, float fraction) {
    int *last = static_cast<int *>(user_data);
    const int percent = static_cast<int>(fraction * 100.0f + 0.5f);
    if (percent == *last) return 0;
    *last = percent;
    const int width = 40, filled = static_cast<int>(fraction * width + 0.5f);
    std::fprintf(stderr, "\rloading [%.*s%*s] %3d%%", filled, "########################################",
                 width - filled, "", percent);
    std::fflush(stderr);
    return 0;
}

double mib(uint64_t bytes) { return double(bytes) / (1024.0 * 1024.0); }

// The plan, one line per nonzero kind, on stderr (--verbose).
void print_plan(const char *what, const loom_memory_plan &p) {
    std::fprintf(stderr, "loom: memory plan of the %s (%s): %.2f MiB in all (host %.2f, device %.2f, mapped %.2f)\n",
                 what, p.backend == LOOM_BACKEND_VULKAN ? "vulkan" : "cpu", mib(p.total), mib(p.host), mib(p.device),
                 mib(p.weights_mapped));
    const struct {
        const char *name;
        uint64_t bytes;
    } kinds[] = {{"weights read in place (mapped)", p.weights_mapped}, {"weights, host copies", p.weights_host},
                 {"weights, device", p.weights_device}, {"KV cache", p.kv_cache}, {"activations", p.activations},
                 {"scratch", p.scratch}, {"logits", p.logits}, {"attention mask", p.mask}};
    for (const auto &k : kinds)
        if (k.bytes) std::fprintf(stderr, "loom:   %-32s %10.2f MiB\n", k.name, mib(k.bytes));
}

} // namespace

loom_status load_model(const std::string &path, bool vocab_only, ModelHandle *out) {
    loom_model_params mp;
    loom_model_default_params(&mp);
    mp.vocab_only = vocab_only ? 1 : 0;
    apply_backend_args(&mp);
    const bool bar = stderr_is_terminal();
    int last_percent = -1;
    if (bar) mp.progress = progress_bar, mp.progress_user_data = &last_percent;
    if (verbose()) {
        log_to_stderr();
        loom_memory_plan plan;
        plan.struct_size = sizeof plan;
        if (!vocab_only && loom_model_estimate(path.c_str(), &mp, &plan) == LOOM_OK) print_plan("model", plan);
    }
    const loom_status st = loom_model_load(path.c_str(), &mp, &out->m);
    if (last_percent >= 0) std::fputc('\n', stderr);   // once, however often the loader reported 100%
    return st;
}

std::string prompt_fit_problem(size_t n_tokens, uint32_t n_ctx) {
    if (n_tokens < n_ctx) return "";
    return "the prompt is " + with_commas((long long)n_tokens) + " tokens but the context holds " +
           with_commas(n_ctx) + " (raise -c)";
}

void warn_past_training_context(const loom_model *m, uint32_t n_ctx) {
    const int32_t train = loom_model_n_ctx_train(m);
    if (train > 0 && n_ctx > uint32_t(train))
        std::fprintf(stderr, "loom: warning: the context (%s tokens) is longer than the model was trained on (%s); "
                             "text past %s tokens may be poor\n",
                     with_commas(n_ctx).c_str(), with_commas(train).c_str(), with_commas(train).c_str());
}

loom_status new_context(const loom_model *m, const ContextOptions &o, loom_abort_fn abort, void *abort_ud,
                        ContextHandle *out) {
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.n_threads = o.n_threads;
    cp.n_ctx = o.n_ctx;
    cp.n_batch = o.n_batch;
    cp.n_seq_max = o.n_seq_max;
    if (o.kv_type >= 0) cp.kv_type = o.kv_type;
    apply_precision_arg(&cp);
    cp.abort_callback = abort;
    cp.abort_user_data = abort_ud;
    if (verbose()) {
        loom_memory_plan plan;
        plan.struct_size = sizeof plan;
        if (loom_context_estimate(m, &cp, &plan) == LOOM_OK) print_plan("context (worst case)", plan);
    }
    return loom_context_new(m, &cp, &out->c);
}

loom_status decode_tokens(loom_context *ctx, loom_batch *batch, const std::vector<int32_t> &tokens, int32_t start,
                          uint32_t n_batch, bool all_logits, int32_t seq) {
    size_t i = 0;
    while (i < tokens.size()) {
        loom_batch_clear(batch);
        size_t end = i + n_batch < tokens.size() ? i + n_batch : tokens.size();
        for (size_t j = i; j < end; j++) {
            int want = all_logits || j + 1 == tokens.size();
            loom_status st = loom_batch_add(batch, tokens[j], start + static_cast<int32_t>(j), seq, want);
            if (st != LOOM_OK) return st;
        }
        loom_status st = loom_decode(ctx, batch);
        if (st != LOOM_OK) return st;
        i = end;
    }
    return LOOM_OK;
}

int32_t argmax(const float *logits, int32_t n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; i++)
        if (logits[i] > logits[best]) best = i;
    return best;
}

bool parse_int(const char *s, long long *out) {
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(s, &end, 10);
    if (!*s || *end || errno) return false;
    *out = v;
    return true;
}

bool parse_float(const char *s, double *out) {
    char *end = nullptr;
    double v = std::strtod(s, &end);
    if (!*s || *end) return false;
    *out = v;
    return true;
}

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

} // namespace cli
