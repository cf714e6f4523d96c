// `loom bench --draft-model M | --lookup`: speculative decoding against
// plain decoding of the same greedy text, interleaved run by run (one plain
// run, then one speculative run, R times), so a machine whose load drifts
// affects both alike. Public API only.
#pragma once

#include "infer_common.h"
#include "speculative_args.h"

#include <string>
#include <vector>

namespace cli {

struct SpeculativeBench {
    std::string model;                 // for the report
    std::vector<int32_t> prompt;
    long long n_gen = 128, reps = 3;
    bool json = false;
};

// Runs the comparison on `target` (a context of n_ctx >= prompt + n_gen +
// draft_max + 1) and prints the report, which says whether the two texts
// are identical (where the backend's logits depend on the batch size, a
// near-tie can go the other way: docs/speculative.md); returns the exit
// status (1 when a call fails).
int bench_speculative(loom_context *target, const SpeculativeOptions &so,
                      const ContextOptions &co, const SpeculativeBench &b);

} // namespace cli
