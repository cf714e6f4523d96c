#include "speculative_lanes.h"

#include "../cli.h"
#include "../infer_common.h"
#include "../model_source.h"
#include "../speculative_args.h"

#include <utility>

namespace serve {

namespace {

SpeculativeInfo info_of(const cli::SpeculativeOptions &o) {
    SpeculativeInfo i;
    i.source = o.lookup ? "lookup" : "draft-model";
    i.draft_model = o.lookup ? "" : cli::model_file_name(o.draft_model);
    i.draft_max = int32_t(o.draft_max);
    i.draft_p_min = o.draft_p_min;
    i.ngram_min = int32_t(o.ngram_min);
    i.ngram_max = int32_t(o.ngram_max);
    return i;
}

} // namespace

SpeculativeLanes::~SpeculativeLanes() {
    for (Lane &l : lanes_) {
        loom_context_free(l.draft);
        loom_context_free(l.target);
    }
    loom_model_free(draft_model_);
}

void SpeculativeLanes::add(loom_context *target, loom_context *draft) { lanes_.push_back({target, draft}); }

loom_status SpeculativeLanes::open(int32_t lane, uint64_t seed, loom_speculative **out) const {
    loom_speculative_params p = params_;
    p.seed = seed;
    const Lane &l = lanes_[size_t(lane)];
    return loom_speculative_new(l.target, l.draft, &p, out);
}

namespace {

// The draft's vocabulary and the params, checked by making a decoder over
// lane 0 (at start, not at the first request). False after printing why.
bool check_decoder(const SpeculativeLanes &lanes, const cli::SpeculativeOptions &o) {
    loom_speculative *probe = nullptr;
    const loom_status st = lanes.open(0, 0, &probe);
    loom_speculative_free(probe);
    return st == LOOM_OK || cli::speculative_failed(st, o);
}

} // namespace

std::unique_ptr<SpeculativeLanes> make_speculative_lanes(const loom_model *target, const cli::SpeculativeOptions &o,
                                                         const cli::ContextOptions &co, int32_t n_lanes) {
    auto lanes = std::make_unique<SpeculativeLanes>(cli::speculative_params(o), info_of(o));
    cli::ModelHandle m;
    if (!cli::load_draft_model(o, &m)) return nullptr;
    loom_model *draft_model = nullptr;
    std::swap(draft_model, m.m);
    if (draft_model) lanes->own_draft_model(draft_model);
    loom_status st = LOOM_OK;
    for (int32_t i = 0; i < n_lanes; i++) {
        cli::ContextHandle t, d;
        if ((st = cli::new_context(target, co, nullptr, nullptr, &t)) != LOOM_OK)
            return cli::fail_status(st, "a slot's context (lower -c or -np)"), nullptr;
        if (draft_model && (st = cli::new_context(draft_model, co, nullptr, nullptr, &d)) != LOOM_OK)
            return cli::fail_status(st, "a slot's draft context (lower -c or -np)"), nullptr;
        lanes->add(t.c, d.c);
        t.c = d.c = nullptr;
        if (i == 0 && !check_decoder(*lanes, o)) return nullptr;
    }
    return lanes;
}

} // namespace serve
