// Speculative sampling's acceptance rule (see acceptance.h).
#include "speculative/acceptance.h"

#include <algorithm>

namespace loom {

namespace {

template <typename T>
int32_t draw_from(const std::vector<T> &w, Xoshiro256 *rng) {
    double total = 0;
    for (T x : w) total += double(x);
    if (!(total > 0)) return w.empty() ? 0 : int32_t(std::max_element(w.begin(), w.end()) - w.begin());
    double target = rng->uniform() * total, acc = 0;
    int32_t last = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        if (!(w[i] > 0)) continue;
        acc += double(w[i]);
        last = int32_t(i);
        if (target < acc) return int32_t(i);
    }
    return last; // rounding: the last token with weight
}

} // namespace

int32_t draw_dense(const std::vector<double> &weights, Xoshiro256 *rng) { return draw_from(weights, rng); }
int32_t draw_dense(const std::vector<float> &weights, Xoshiro256 *rng) { return draw_from(weights, rng); }

DraftVerdict accept_draft_token(const std::vector<float> &p, const std::vector<float> &q, int32_t draft,
                                Xoshiro256 *rng, std::vector<double> *residual) {
    const double px = p[size_t(draft)], qx = q[size_t(draft)];
    // u < p/q without dividing: q(x) = 0 (never drawn, but tolerated) keeps any x with p(x) > 0.
    if (px > 0 && rng->uniform() * qx < px) return {true, draft};
    residual->assign(p.size(), 0.0);
    for (size_t i = 0; i < p.size(); ++i) (*residual)[i] = std::max(0.0, double(p[i]) - double(q[i]));
    // p == q up to rounding leaves no residual mass (rejection then had
    // probability ~0): draw from p itself.
    double mass = 0;
    for (double r : *residual) mass += r;
    int32_t token = mass > 1e-12 ? draw_dense(*residual, rng) : draw_dense(p, rng);
    return {false, token};
}

} // namespace loom
