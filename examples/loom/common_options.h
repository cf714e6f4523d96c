// The options every subcommand's help lists under "global options": -t, -c
// and --verbose (parsed by each subcommand's table) and --backend, --device,
// --precision (taken out of argv by main before dispatch, backend_args.h).
#pragma once

#include "options.h"

namespace cli {

struct CommonOptions {
    long long threads = 0;   // 0: the library's default (cores, at most 8)
    long long n_ctx = 0;     // 0: the library's default (min(4096, training context))
};

// Adds -t/--threads, -c/--ctx-size and --verbose under "global options",
// and the backend options' lines to the help's end. `ctx_default`: the text
// shown as -c's default; `threads_help`: -t's line (quantize's threads differ).
void add_common_options(Options *opts, CommonOptions *c, const char *ctx_default = "the model's, at most 4096",
                        const char *threads_help = "CPU threads; 0: the number of cores, at most 8");

// --verbose was given: library log lines go to stderr (set up by load_model).
bool verbose();

// Sends the library's log lines to stderr as "loom: [level] message".
void log_to_stderr();

} // namespace cli
