// When to stop a stepped graph (Session::compute_step): before each piece
// (an op on the CPU, a submission on a GPU) it predicts how long the piece
// will take from what the same piece took when a graph of the same shape
// last ran, or, for a shape not seen before, from the piece just run; the
// step stops before a piece predicted to end past the budget. A step whose
// first piece does not fit runs it anyway when the step before ran nothing,
// so a budget smaller than a piece still advances (a piece every other
// call) while a host that steps again with the rest of its frame is not
// handed a piece it has no time for. Budget 0 runs exactly one piece.
//
// Owner: backends (shared by the backends).
#pragma once

#include "backends/backend.h"

#include <algorithm>
#include <vector>

namespace loom {

// The most multiply-adds one matmul piece of a stepped graph does: a larger
// matmul is split over ranges of its weight rows (the granularity of
// loom_decode_step: about a millisecond on one core).
constexpr int64_t kStepPieceMacs = int64_t(2) << 20;

// Weight rows per piece of a matmul of k columns over `rows` activation
// rows, a multiple of `unit` (at least one unit).
inline int64_t step_piece_rows(int64_t k, int64_t rows, int64_t unit) {
    const int64_t per = kStepPieceMacs / std::max<int64_t>(1, k * rows) / unit * unit;
    return per > unit ? per : unit;
}

class StepPacer {
public:
    // A new graph of n_pieces pieces and this shape (loom_decode_step's shape key).
    void start(size_t n_pieces, int64_t shape_key) {
        if (shape_key != key_ || n_pieces != took_ns_.size()) took_ns_.assign(n_pieces, 0);
        key_ = shape_key;
        last_ns_ = 0;
        ran_last_step_ = true;   // the first step of a graph runs a piece only if it fits (or nothing is known)
    }
    // Whether `piece` is predicted to end by `deadline` if started `now`.
    bool fits(size_t piece, Clock::time_point now, Clock::time_point deadline) const {
        int64_t ns = piece < took_ns_.size() && took_ns_[piece] > 0 ? took_ns_[piece] : last_ns_;
        return now + std::chrono::nanoseconds(ns) <= deadline;
    }
    // Runs pieces *next, *next + 1, ... < n with run_piece(i) (returning a
    // Status) as the budget allows (above); *next advances past each piece
    // run. CANCELLED when `abort` says so before a piece.
    template <class RunPiece>
    Status step(size_t n, size_t *next, const AbortFn &abort, int64_t budget_us, const RunPiece &run_piece) {
        const Clock::time_point deadline = Clock::now() + std::chrono::microseconds(budget_us);
        const bool force_one = budget_us == 0 || !ran_last_step_;
        ran_last_step_ = false;
        while (*next < n) {
            const Clock::time_point t0 = Clock::now();
            if (!fits(*next, t0, deadline) && (ran_last_step_ || !force_one)) break;
            if (abort && abort()) return error(LOOM_ERR_CANCELLED, "decode cancelled by the abort callback");
            LOOM_TRY(run_piece(*next));
            took(*next, Clock::now() - t0);
            ++*next;
            ran_last_step_ = true;
            if (budget_us == 0) break;
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
    bool ran_last_step_ = true;      // the step before ran at least one piece
};

} // namespace loom
