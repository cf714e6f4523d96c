// Speculative mode of `loom serve` (--lookup or --model-draft): each slot is
// a lane with its own target context (and draft context when a draft model
// is given), of the slot's size, since a loom_speculative drives sequence 0
// of its contexts. Each task makes a loom_speculative over its lane, seeded
// from the request. No cross-slot batching and no prefix reuse in this mode:
// the scheduler runs the lanes' rounds one after another (round-robin).
#pragma once

#include "loom.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cli {
struct SpeculativeOptions;
struct ContextOptions;
} // namespace cli

namespace serve {

// What /health reports.
struct SpeculativeInfo {
    std::string source;        // "lookup" or "draft-model"
    std::string draft_model;   // the draft's file name ("" for lookup)
    int32_t draft_max = 0;
    double draft_p_min = 0.0;
    int32_t ngram_min = 0, ngram_max = 0;
};

class SpeculativeLanes {
public:
    SpeculativeLanes(const loom_speculative_params &params, SpeculativeInfo info)
        : params_(params), info_(std::move(info)) {}
    ~SpeculativeLanes();
    SpeculativeLanes(const SpeculativeLanes &) = delete;
    SpeculativeLanes &operator=(const SpeculativeLanes &) = delete;

    // Takes ownership of the draft model (freed after the lanes' contexts).
    void own_draft_model(loom_model *m) { draft_model_ = m; }
    // Takes ownership of one lane's contexts (draft: NULL for lookup).
    void add(loom_context *target, loom_context *draft);
    int32_t size() const { return int32_t(lanes_.size()); }

    // A decoder over lane `lane` whose acceptance draws use `seed`. Errors
    // as loom_speculative_new's.
    loom_status open(int32_t lane, uint64_t seed, loom_speculative **out) const;

    const SpeculativeInfo &info() const { return info_; }

private:
    struct Lane {
        loom_context *target, *draft;
    };
    loom_speculative_params params_;
    SpeculativeInfo info_;
    loom_model *draft_model_ = nullptr;
    std::vector<Lane> lanes_;
};

// Loads the draft model (if any), makes `n_lanes` lanes of contexts shaped
// by `co` (n_ctx: one slot's), and checks that a decoder can be made over
// them (the draft's vocabulary, the params). On failure prints what went
// wrong ("loom: error: ...") and returns nullptr.
std::unique_ptr<SpeculativeLanes> make_speculative_lanes(const loom_model *target, const cli::SpeculativeOptions &o,
                                                         const cli::ContextOptions &co, int32_t n_lanes);

} // namespace serve
