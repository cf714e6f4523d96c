// Constrained output for `loom run`: --grammar-file F (a GBNF grammar the
// generated text must match, llama.cpp's format), --json (a JSON object) and
// --no-display-prompt (stdout holds only the generated text, so it pipes into
// a parser).
// Kept apart from the other options so the run command only forwards to it.
#pragma once

#include "generate.h"

#include <string>

namespace cli {

struct ConstrainOptions {
    std::string grammar_file;
    bool json = false;
    bool no_display_prompt = false;
    bool active() const { return json || !grammar_file.empty(); }
};

extern const char *const kConstrainUsage;

// If argv[*i] is one of the options above, consumes it (and its value) and
// returns true; *bad is set for a missing value.
bool take_constrain_arg(int argc, char **argv, int *i, ConstrainOptions *o, bool *bad);

// A sampler chain: the grammar stage first (when one is given), then the
// sampling stages of `so`. On failure prints the error and returns false.
bool make_constrained_sampler(const loom_model *m, const ConstrainOptions &co, const SamplingOptions &so,
                              loom_sampler **out);

} // namespace cli
