// Speculative decoding options shared by `loom run`, `loom bench` and
// `loom serve` (--draft-model / --model-draft / -md, --draft-max / --draft, --draft-p-min, --lookup and
// its n-gram sizes, llama.cpp's names where it has them) and the draft they
// set up: a second model and context, or prompt lookup. Public API only.
#pragma once

#include "infer_common.h"
#include "options.h"

#include <string>

namespace cli {

struct SpeculativeOptions {
    std::string draft_model;
    long long draft_max = 8, ngram_min = 2, ngram_max = 4;
    double draft_p_min = 0.0;
    bool lookup = false;
    bool active() const { return lookup || !draft_model.empty(); }
};

void add_speculative_options(Options *opts, SpeculativeOptions *o);
// "" or why the options cannot go together.
std::string speculative_conflict(const SpeculativeOptions &o);

// The decoder's params from the options (seed: the default).
loom_speculative_params speculative_params(const SpeculativeOptions &o);

// The draft (its model and context, none for --lookup) and the speculative
// decoder over `target`. Frees in reverse order of creation.
struct SpeculativeHandle {
    ModelHandle draft_model;
    ContextHandle draft_ctx;
    loom_speculative *s = nullptr;
    SpeculativeHandle() = default;
    SpeculativeHandle(const SpeculativeHandle &) = delete;
    ~SpeculativeHandle() { loom_speculative_free(s); }
};

// Loads --draft-model into `out` (nothing for --lookup). On failure prints
// the error naming the file and returns false.
bool load_draft_model(const SpeculativeOptions &o, ModelHandle *out);

// Prints why loom_speculative_new failed with `st` (a draft with another
// vocabulary gets a hint: use a smaller model of the same family); returns
// false.
bool speculative_failed(loom_status st, const SpeculativeOptions &o);

// Loads the draft model (if any) with a context shaped like `co`, and
// creates the decoder. On failure prints the error (naming what failed) and
// returns false.
bool make_speculative(loom_context *target, const SpeculativeOptions &o, const ContextOptions &co,
                      SpeculativeHandle *out);

} // namespace cli
