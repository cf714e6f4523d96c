// Constrained output for `loom run`: --grammar-file F (a GBNF grammar the
// generated text must match, llama.cpp's format), --json-schema F (JSON
// valid against a JSON schema) and --json (a JSON object).
// With run's --no-display-prompt stdout holds only the generated text, so it
// pipes into a parser.
// Kept apart from the other options so the run command only forwards to it.
#pragma once

#include "generate.h"
#include "options.h"

#include <string>

namespace cli {

struct ConstrainOptions {
    std::string grammar_file;
    std::string json_schema_file;
    bool json = false;
    bool active() const { return json || !grammar_file.empty() || !json_schema_file.empty(); }
};

// Adds --grammar-file, --json-schema and --json to the command's option table.
void add_constrain_options(Options *opts, ConstrainOptions *o);

// A sampler chain: the grammar stage first (when one is given), then the
// sampling stages of `so`. On failure prints the error and returns false.
bool make_constrained_sampler(const loom_model *m, const ConstrainOptions &co, const SamplingOptions &so,
                              loom_sampler **out);

} // namespace cli
