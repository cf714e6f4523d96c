// Helpers of the inference parity tests: run `loom logits` and `llref
// logits` on the same ids, and compare both with the exact reference forward.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parity {

// Logits [n][n_vocab] from `loom logits` (LOOM_EXE) or `llref logits`; empty on failure.
std::vector<float> loom_logits(const std::string &model, const std::vector<int32_t> &tokens);
std::vector<float> llama_logits(const std::string &model, const std::vector<int32_t> &tokens);

// Largest and second largest value of row `r` (width n).
struct Top2 {
    int32_t best = -1;
    float gap = 0.0f;   // best minus second best
};
Top2 top2(const std::vector<float> &logits, size_t r, size_t n);

// RMS of (a - b) over row r.
double row_abs_rms(const std::vector<float> &a, const std::vector<float> &b, size_t r, size_t n);

} // namespace parity
