#include "common_options.h"

#include "loom.h"

#include <cstdio>

namespace cli {

namespace {

bool g_verbose = false;   // the CLI's own setting (the library keeps no such state)

const char kBackendHelp[] =
    "  --backend auto|cpu|vulkan    where the model runs (default: auto: the first Vulkan GPU, else cpu)\n"
    "  --device N                   Vulkan device index, see 'loom devices' (default: the one auto picks)\n"
    "  --gpu-layers N, -ngl N       layers on the Vulkan device, from the last back (the output head counts as\n"
    "                               one more); the rest run on the CPU. -1: all (default), 0: none\n"
    "  --precision exact|fast       matmul precision: exact f32, or 8-bit activations as llama.cpp (default: fast)\n"
    "  --no-repack, -nr             CPU: read the weights in place from the file mapping (shared with other\n"
    "                               processes, slower decode) instead of copying them into huge pages\n";

void log_line(void *, loom_log_level level, const char *message) {
    static const char *const kNames[] = {"debug", "info", "warn", "error"};
    const int i = level >= LOOM_LOG_DEBUG && level <= LOOM_LOG_ERROR ? int(level) : 1;
    std::fprintf(stderr, "loom: [%s] %s\n", kNames[i], message);
}

} // namespace

void add_common_options(Options *opts, CommonOptions *c, const char *ctx_default, const char *threads_help) {
    opts->section("global options");
    opts->integer("-t, --threads", "N", &c->threads, 0, 256, threads_help);
    opts->integer("-c, --ctx-size", "N", &c->n_ctx, 0, 1 << 24, "context size in tokens; 0: the default",
                  ctx_default);
    opts->flag("--verbose", &g_verbose, "timings, and the library's log lines, on stderr");
    opts->footer(kBackendHelp);
    for (const char *n : {"--backend", "--device", "--precision", "--gpu-layers", "-ngl", "--n-gpu-layers",
                          "--no-repack", "-nr"}) opts->known_name(n);
}

bool verbose() { return g_verbose; }

void log_to_stderr() { loom_set_log_callback(log_line, nullptr); }

} // namespace cli
