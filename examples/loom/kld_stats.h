// Statistics of `loom perplexity --kl-divergence`: a model's next-token
// distributions against a base model's (read from a logprob_file), as
// llama-perplexity reports them: both perplexities and their ratio with
// uncertainties, the KL divergence, the change in the probability of the
// right token (Δp) and how often both models have the same top token.
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

namespace cli {

class KldStats {
public:
    // One scored position: this model's logits, the base row, the next token.
    void add(const float *logits, const uint16_t *base_row, int32_t n_vocab, int32_t next);
    // The running line after a chunk (chunk numbered from 1).
    void print_chunk(FILE *out, long long chunk) const;
    static void print_chunk_heading(FILE *out);
    // The summary at the end.
    void print_summary(FILE *out) const;

private:
    struct MeanErr {
        double mean, err;
    };
    static MeanErr mean_err(double sum, double sum2, size_t count);
    double log_ppl_cov() const;

    double sum_nll_ = 0, sum_nll2_ = 0, sum_nll_base_ = 0, sum_nll_base2_ = 0, sum_nll_nll_base_ = 0;
    double sum_kld_ = 0, sum_kld2_ = 0, sum_dp_ = 0, sum_dp2_ = 0, sum_dp4_ = 0;
    size_t same_top_ = 0, count_ = 0;
    std::vector<float> kld_, dp_; // per position, for the percentiles
};

} // namespace cli
