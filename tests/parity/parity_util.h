// Helpers of the inference parity tests: run `loom logits` and `llref
// logits` on the same ids, and compare both with the exact reference forward.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parity {

// Logits [n][n_vocab] from `loom logits` (LOOM_EXE) or `llref logits`; empty on failure.
// kv_type: `loom logits --kv-type` ("" for the default f16 cache).
std::vector<float> loom_logits(const std::string &model, const std::vector<int32_t> &tokens,
                               const std::string &kv_type = "");
std::vector<float> llama_logits(const std::string &model, const std::vector<int32_t> &tokens);

// Largest and second largest value of row `r` (width n).
struct Top2 {
    int32_t best = -1;
    float gap = 0.0f;   // best minus second best
};
Top2 top2(const std::vector<float> &logits, size_t r, size_t n);

// Keeps the rows r of every [n][width] array in `arrays` whose margin[r] >=
// min_margin (in order, packed to the front, the arrays shortened); returns
// how many were kept.
size_t drop_rows(const std::vector<float> &margin, float min_margin, size_t width,
                 const std::vector<std::vector<float> *> &arrays);

// RMS of (a - b) over row r.
double row_abs_rms(const std::vector<float> &a, const std::vector<float> &b, size_t r, size_t n);

} // namespace parity
