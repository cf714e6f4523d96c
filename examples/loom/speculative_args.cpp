#include "speculative_args.h"

#include "cli.h"

namespace cli {

void add_speculative_options(Options *opts, SpeculativeOptions *o) {
    opts->section("speculative decoding");
    opts->text("-md, --draft-model, --model-draft", "FILE", &o->draft_model,
               "a smaller model with the same vocabulary proposes tokens the model checks in one batch", "none");
    opts->flag("--lookup", &o->lookup, "propose tokens by n-gram lookup in the prompt and the text so far (no draft model)");
    opts->integer("--draft-max, --draft, --draft-n", "N", &o->draft_max, 1, 256, "most tokens proposed per round");
    opts->real("--draft-p-min", "P", &o->draft_p_min, 0.0, 1.0,
               "the draft model stops proposing when its top token's probability is below P");
    opts->integer("--lookup-ngram-min", "N", &o->ngram_min, 1, 64, "--lookup: shortest suffix matched");
    opts->integer("--lookup-ngram-max", "N", &o->ngram_max, 1, 64, "--lookup: longest suffix matched");
}

std::string speculative_conflict(const SpeculativeOptions &o) {
    if (o.lookup && !o.draft_model.empty()) return "--lookup and --draft-model are two draft sources: choose one";
    if (o.ngram_max < o.ngram_min) return "--lookup-ngram-max must be at least --lookup-ngram-min";
    return "";
}

loom_speculative_params speculative_params(const SpeculativeOptions &o) {
    loom_speculative_params p;
    loom_speculative_default_params(&p);
    p.draft_max = int32_t(o.draft_max);
    p.ngram_min = int32_t(o.ngram_min);
    p.ngram_max = int32_t(o.ngram_max);
    p.draft_p_min = float(o.draft_p_min);
    return p;
}

bool load_draft_model(const SpeculativeOptions &o, ModelHandle *out) {
    if (o.draft_model.empty()) return true;
    const loom_status st = load_model(o.draft_model, false, out);
    if (st != LOOM_OK) return fail_status(st, ("draft model " + o.draft_model).c_str()), false;
    return true;
}

bool speculative_failed(loom_status st, const SpeculativeOptions &o) {
    if (st == LOOM_ERR_TYPE_MISMATCH)
        return fail("draft model %s: %s (the draft model needs the same vocabulary as -m: a smaller model of the "
                    "same family)", o.draft_model.c_str(), loom_last_error()), false;
    return fail_status(st, "speculative decoding"), false;
}

bool make_speculative(loom_context *target, const SpeculativeOptions &o, const ContextOptions &co,
                      SpeculativeHandle *out) {
    if (!load_draft_model(o, &out->draft_model)) return false;
    loom_status st = LOOM_OK;
    if (out->draft_model.m) {
        ContextOptions dco = co;
        dco.n_ctx = loom_context_n_ctx(target);
        if ((st = new_context(out->draft_model.m, dco, nullptr, nullptr, &out->draft_ctx)) != LOOM_OK)
            return fail_status(st, "draft context"), false;
    }
    const loom_speculative_params p = speculative_params(o);
    if ((st = loom_speculative_new(target, out->draft_ctx.c, &p, &out->s)) != LOOM_OK)
        return speculative_failed(st, o);
    return true;
}

} // namespace cli
