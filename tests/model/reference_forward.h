// The exact f32 forward pass of a qwen2 / llama GGUF, written straight from
// the math and independent of loom's backends: every weight row dequantized
// with lib/quant's reference codecs, dot products and softmax accumulated in
// double, K/V kept in f32 (no cache rounding), activations never quantized.
// Tests compare loom (and llama.cpp) with it: "the exact result on the same
// dequantized weights". One sequence, positions 0..n-1, every position's logits.
// qwen2moe too: there the choice of experts is discontinuous, so a token whose
// router has a near-tie at the k-th expert can land on either side in any
// engine; route_margin reports, per token, the smallest gap (over layers)
// between the k-th and (k+1)-th router logit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace loom {
class GgufFile;
}

namespace reftest {

// logits [tokens.size()][n_vocab]; *error gets a message and the result is
// empty if the file cannot be read as a model.
std::vector<float> reference_logits(const loom::GgufFile &gguf, const std::vector<int32_t> &tokens,
                                    std::string *error, std::vector<float> *route_margin = nullptr);

// Same, opening the file at `path`.
std::vector<float> reference_logits(const std::string &path, const std::vector<int32_t> &tokens, std::string *error,
                                    std::vector<float> *route_margin = nullptr);

// Relative RMS distance ||a - b|| / ||b|| over all values.
double rel_rms(const std::vector<float> &a, const std::vector<float> &b);

} // namespace reftest
