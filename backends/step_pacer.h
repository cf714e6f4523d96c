// When to stop a stepped graph (Session::compute_step): before each piece
// (an op on the CPU, a submission on a GPU) it predicts how long the piece
// will take from what the same piece took when a graph of the same shape
// last ran, or, for a shape not seen before, from the piece just run; the
// step stops when the prediction would cross the deadline. The first piece
// of a step always runs, so every step makes progress.
//
// Owner: backends (shared by the backends).
#pragma once

#include "backends/backend.h"

#include <vector>

namespace loom {

class StepPacer {
public:
    // A new graph of n_pieces pieces and this shape (loom_decode_step's shape key).
    void start(size_t n_pieces, int64_t shape_key) {
        if (shape_key != key_ || n_pieces != took_ns_.size()) took_ns_.assign(n_pieces, 0);
        key_ = shape_key;
        last_ns_ = 0;
    }
    // Whether `piece` is predicted to end by `deadline` if started `now`.
    bool fits(size_t piece, Clock::time_point now, Clock::time_point deadline) const {
        int64_t ns = piece < took_ns_.size() && took_ns_[piece] > 0 ? took_ns_[piece] : last_ns_;
        return now + std::chrono::nanoseconds(ns) <= deadline;
    }
    // Runs pieces *next, *next + 1, ... < n with run_piece(i) (returning a
    // Status) while they fit before `deadline`, at least one; *next advances
    // past each piece run. CANCELLED when `abort` says so before a piece.
    template <class RunPiece>
    Status step(size_t n, size_t *next, const AbortFn &abort, Clock::time_point deadline, const RunPiece &run_piece) {
        for (bool first = true; *next < n; first = false) {
            const Clock::time_point t0 = Clock::now();
            if (!first && !fits(*next, t0, deadline)) break;
            if (abort && abort()) return error(LOOM_ERR_CANCELLED, "decode cancelled by the abort callback");
            LOOM_TRY(run_piece(*next));
            took(*next, Clock::now() - t0);
            ++*next;
        }
        return Status::ok();
    }
    void took(size_t piece, Clock::duration d) {
        last_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
        if (piece < took_ns_.size()) took_ns_[piece] = last_ns_;
    }

private:
    std::vector<int64_t> took_ns_;   // per piece, from the last graph of shape key_
    int64_t key_ = -1;
    int64_t last_ns_ = 0;            // the piece run last
};

} // namespace loom
