#include "kld_stats.h"

#include "logprob_file.h"

#include <algorithm>
#include <cmath>

namespace cli {

namespace {

// Linear interpolation between the sorted values around `fraction`.
float percentile(const std::vector<float> &sorted, double fraction) {
    const double p = fraction * double(sorted.size() - 1);
    const size_t i = size_t(p);
    const double t = p - double(i);
    const float next = sorted[std::min(i + 1, sorted.size() - 1)];
    return float((1 - t) * sorted[i] + t * next);
}

} // namespace

void KldStats::add(const float *logits, const uint16_t *base_row, int32_t n_vocab, int32_t next) {
    int32_t top = 0, top_base = 0;
    for (int32_t i = 1; i < n_vocab; i++) top = logits[i] > logits[top] ? i : top;
    double sum = 0.0;
    for (int32_t i = 0; i < n_vocab; i++) sum += std::exp(double(logits[i]) - double(logits[top]));
    const double lse = double(logits[top]) + std::log(sum); // log of the softmax denominator
    double kld = 0.0;
    float best_base = logprob_at(base_row, 0);
    for (int32_t i = 0; i < n_vocab; i++) {
        const float lp_base = logprob_at(base_row, i);
        if (lp_base > best_base) best_base = lp_base, top_base = i;
        // Base probabilities below e^-16 are dropped, as llama-perplexity does.
        if (lp_base > -16.0f) kld += std::exp(double(lp_base)) * (double(lp_base) - (double(logits[i]) - lse));
    }
    const double nll = lse - double(logits[next]);
    const double nll_base = -double(logprob_at(base_row, next));
    sum_nll_ += nll;
    sum_nll2_ += nll * nll;
    sum_nll_base_ += nll_base;
    sum_nll_base2_ += nll_base * nll_base;
    sum_nll_nll_base_ += nll * nll_base;
    sum_kld_ += kld;
    sum_kld2_ += kld * kld;
    const double dp = std::exp(-nll) - std::exp(-nll_base);
    sum_dp_ += dp;
    sum_dp2_ += dp * dp;
    sum_dp4_ += dp * dp * dp * dp;
    same_top_ += top == top_base;
    count_++;
    kld_.push_back(float(kld));
    dp_.push_back(float(dp));
}

KldStats::MeanErr KldStats::mean_err(double sum, double sum2, size_t count) {
    if (count < 1) return {0.0, 0.0};
    const double mean = sum / double(count);
    const double var = sum2 / double(count) - mean * mean;
    return {mean, var > 0 && count > 10 ? std::sqrt(var / double(count - 1)) : 0.0};
}

double KldStats::log_ppl_cov() const {
    if (count_ < 10) return 0.0;
    const double n = double(count_);
    return (sum_nll_nll_base_ / n - (sum_nll_ / n) * (sum_nll_base_ / n)) / (n - 1);
}

void KldStats::print_chunk_heading(FILE *out) {
    std::fprintf(out, "chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              "
                      "\xce\x94p RMS            Same top p\n");
}

void KldStats::print_chunk(FILE *out, long long chunk) const {
    const MeanErr lp = mean_err(sum_nll_, sum_nll2_, count_), lb = mean_err(sum_nll_base_, sum_nll_base2_, count_);
    const MeanErr kl = mean_err(sum_kld_, sum_kld2_, count_), mse = mean_err(sum_dp2_, sum_dp4_, count_);
    const double ratio_err = std::sqrt(lp.err * lp.err + lb.err * lb.err - 2.0 * log_ppl_cov());
    const double rms = std::sqrt(mse.mean), top = double(same_top_) / double(count_);
    std::fprintf(out, "%4lld    %9.4f \xc2\xb1 %9.4f    %10.5f \xc2\xb1 %10.5f    %10.5f \xc2\xb1 %10.5f", chunk,
                 std::exp(lp.mean), std::exp(lp.mean) * lp.err, lp.mean - lb.mean, ratio_err, kl.mean, kl.err);
    std::fprintf(out, "    %6.3f \xc2\xb1 %6.3f %%    %6.3f \xc2\xb1 %6.3f %%\n", 100.0 * rms,
                 rms > 0 ? 100.0 * 0.5 / rms * mse.err : 0.0, 100.0 * top,
                 count_ > 1 ? 100.0 * std::sqrt(top * (1 - top) / double(count_ - 1)) : 0.0);
}

void KldStats::print_summary(FILE *out) const {
    if (count_ < 2) return;
    const MeanErr lp = mean_err(sum_nll_, sum_nll2_, count_), lb = mean_err(sum_nll_base_, sum_nll_base2_, count_);
    const double ppl = std::exp(lp.mean), ppl_base = std::exp(lb.mean);
    const double cov = log_ppl_cov();
    const double ratio_err = std::sqrt(lp.err * lp.err + lb.err * lb.err - 2.0 * cov);
    const char *pm = "\xc2\xb1", *dp = "\xce\x94p";
    std::fprintf(out, "====== Perplexity statistics ======\n");
    std::fprintf(out, "Mean PPL(Q)                   : %10.6f %s %10.6f\n", ppl, pm, ppl * lp.err);
    std::fprintf(out, "Mean PPL(base)                : %10.6f %s %10.6f\n", ppl_base, pm, ppl_base * lb.err);
    std::fprintf(out, "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", 100.0 * cov / (lp.err * lb.err));
    std::fprintf(out, "Mean ln(PPL(Q)/PPL(base))     : %10.6f %s %10.6f\n", lp.mean - lb.mean, pm, ratio_err);
    const double ratio = std::exp(lp.mean - lb.mean);
    std::fprintf(out, "Mean PPL(Q)/PPL(base)         : %10.6f %s %10.6f\n", ratio, pm, ratio * ratio_err);
    const double diff_err = std::sqrt(ppl * lp.err * ppl * lp.err + ppl_base * lb.err * ppl_base * lb.err -
                                      2.0 * ppl * ppl_base * cov);
    std::fprintf(out, "Mean PPL(Q)-PPL(base)         : %10.6f %s %10.6f\n\n", ppl - ppl_base, pm, diff_err);

    std::vector<float> kld = kld_, dps = dp_;
    std::sort(kld.begin(), kld.end());
    std::sort(dps.begin(), dps.end());
    const MeanErr kl = mean_err(sum_kld_, sum_kld2_, count_);
    std::fprintf(out, "====== KL divergence statistics ======\n");
    std::fprintf(out, "Mean    KLD: %10.6f %s %10.6f\n", kl.mean, pm, kl.err);
    std::fprintf(out, "Maximum KLD: %10.6f\n", double(kld.back()));
    std::fprintf(out, "99.0%%   KLD: %10.6f\n", double(percentile(kld, 0.99)));
    std::fprintf(out, "Median  KLD: %10.6f\n", double(percentile(kld, 0.5)));
    std::fprintf(out, "Minimum KLD: %10.6f\n\n", double(kld.front()));

    const MeanErr mdp = mean_err(sum_dp_, sum_dp2_, count_), mse = mean_err(sum_dp2_, sum_dp4_, count_);
    const double rms = std::sqrt(mse.mean), top = double(same_top_) / double(count_);
    std::fprintf(out, "====== Token probability statistics ======\n");
    std::fprintf(out, "Mean    %s: %6.3f %s %5.3f %%\n", dp, 100.0 * mdp.mean, pm, 100.0 * mdp.err);
    std::fprintf(out, "Maximum %s: %6.3f%%\n", dp, 100.0 * double(dps.back()));
    std::fprintf(out, "Median  %s: %6.3f%%\n", dp, 100.0 * double(percentile(dps, 0.5)));
    std::fprintf(out, "Minimum %s: %6.3f%%\n", dp, 100.0 * double(dps.front()));
    std::fprintf(out, "RMS %s    : %6.3f %s %5.3f %%\n", dp, 100.0 * rms, pm, rms > 0 ? 100.0 * 0.5 / rms * mse.err : 0.0);
    std::fprintf(out, "Same top p: %6.3f %s %5.3f %%\n", 100.0 * top, pm,
                 100.0 * std::sqrt(top * (1 - top) / double(count_ - 1)));
}

} // namespace cli
