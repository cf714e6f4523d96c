// The sampler stages (semantics in sampler.h).
#include "sample/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace loom {

namespace {

bool finite(float x) { return std::isfinite(x); }

class Temperature : public SamplerStage {
public:
    explicit Temperature(float t) : t_(t) {}
    Status apply(Candidates *c, size_t *) override {
        if (t_ == 0.0f) {
            c->truncate_sorted(1);
            return Status::ok();
        }
        // Where the highest logit / t overflows a float (t below ~|logit| * 3e-39,
        // or an infinite logit), every gap between distinct floats divides to
        // far beyond exp's range: the limit t -> 0+ puts all the mass, equally,
        // on the logits equal to the highest. Keep exactly those (dividing
        // would make every large logit +inf and the draw uniform over them).
        float m = -std::numeric_limits<float>::infinity();
        for (const Candidate &x : c->items()) m = std::max(m, x.logit);
        if (!(std::fabs(double(m)) / double(t_) <= double(std::numeric_limits<float>::max()))) {
            c->filter([m](const Candidate &x) { return x.logit == m; });
            return Status::ok();
        }
        for (Candidate &x : c->items()) x.logit /= t_; // order is unchanged for t > 0
        return Status::ok();
    }

private:
    float t_;
};

class TopK : public SamplerStage {
public:
    explicit TopK(int32_t k) : k_(static_cast<size_t>(k)) {}
    Status apply(Candidates *c, size_t *) override {
        c->truncate_sorted(k_);
        return Status::ok();
    }

private:
    size_t k_;
};

// The smallest prefix of the sorted candidates whose probability mass reaches p.
class TopP : public SamplerStage {
public:
    explicit TopP(float p) : p_(p) {}
    Status apply(Candidates *c, size_t *) override {
        if (p_ >= 1.0f) return Status::ok();
        c->softmax();
        double mass = 0;
        for (size_t i = 0, chunk = 256; i < c->size(); ++i) {
            if (i == 0 || i >= chunk) c->sort_prefix(i == 0 ? chunk : (chunk *= 2));
            mass += c->items()[i].p;
            if (mass >= p_) {
                c->truncate_sorted(i + 1);
                break;
            }
        }
        return Status::ok();
    }

private:
    float p_;
};

class MinP : public SamplerStage {
public:
    explicit MinP(float p) : p_(p) {}
    Status apply(Candidates *c, size_t *) override {
        c->softmax();
        float top = c->items()[c->argmax()].p;
        float bar = p_ * top;
        c->filter([bar](const Candidate &x) { return x.p >= bar; });
        return Status::ok();
    }

private:
    float p_;
};

class Typical : public SamplerStage {
public:
    explicit Typical(float p) : p_(p) {}
    Status apply(Candidates *c, size_t *) override {
        if (p_ >= 1.0f) return Status::ok();
        c->softmax();
        double entropy = 0;
        for (const Candidate &x : c->items())
            if (x.p > 0) entropy -= x.p * std::log(static_cast<double>(x.p));
        // Sort by (|surprise - entropy|, id) with the gap computed once per token.
        HostVector<Candidate> &v = c->items();
        std::vector<std::pair<double, size_t>> order(v.size());
        for (size_t i = 0; i < v.size(); ++i) {
            double p = v[i].p;
            order[i] = {p > 0 ? std::fabs(-std::log(p) - entropy) : std::numeric_limits<double>::infinity(), i};
        }
        std::sort(order.begin(), order.end(), [&](const auto &a, const auto &b) {
            return a.first < b.first || (a.first == b.first && v[a.second].id < v[b.second].id);
        });
        HostVector<Candidate> sorted(v.size());
        for (size_t i = 0; i < v.size(); ++i) sorted[i] = v[order[i].second];
        v.swap(sorted);
        c->unsorted();
        double mass = 0;
        size_t keep = v.size();
        for (size_t i = 0; i < v.size(); ++i)
            if ((mass += v[i].p) >= p_) {
                keep = i + 1;
                break;
            }
        v.resize(keep);
        return Status::ok();
    }

private:
    float p_;
};

class Penalties : public SamplerStage {
public:
    Penalties(int32_t last_n, float repeat, float frequency, float presence)
        : last_n_(static_cast<size_t>(last_n)), repeat_(repeat), frequency_(frequency), presence_(presence) {}

    Status apply(Candidates *c, size_t *) override {
        if (window_.empty()) return Status::ok();
        std::unordered_map<int32_t, int32_t> counts;
        for (int32_t t : window_) counts[t]++;
        std::vector<int32_t> ids;
        for (const auto &kv : counts) ids.push_back(kv.first);
        c->for_ids(ids, [&](Candidate &x) {
            x.logit = x.logit > 0 ? x.logit / repeat_ : x.logit * repeat_;
            x.logit -= static_cast<float>(counts[x.id]) * frequency_ + presence_;
        });
        c->unsorted();
        return Status::ok();
    }
    void accept(int32_t token) override {
        if (last_n_ == 0) return;
        window_.push_back(token);
        if (window_.size() > last_n_) window_.pop_front();
    }
    void reset() override { window_.clear(); }

private:
    size_t last_n_;
    float repeat_, frequency_, presence_;
    std::deque<int32_t> window_;
};

class LogitBias : public SamplerStage {
public:
    explicit LogitBias(std::vector<std::pair<int32_t, float>> biases) {
        for (const auto &b : biases) {
            ids_.push_back(b.first);
            sum_[b.first] += b.second; // a repeated token gets the sum of its biases, once
            max_id_ = std::max(max_id_, b.first);
        }
        std::sort(ids_.begin(), ids_.end());
        ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
    }
    Status apply(Candidates *c, size_t *) override {
        if (max_id_ >= c->n_vocab())
            return error(LOOM_ERR_INVALID_ARGUMENT, "logit bias token %d is outside the vocabulary of %d", max_id_,
                         c->n_vocab());
        c->for_ids(ids_, [&](Candidate &x) { x.logit += sum_[x.id]; });
        c->unsorted();
        return Status::ok();
    }

private:
    std::vector<int32_t> ids_;
    std::unordered_map<int32_t, float> sum_;
    int32_t max_id_ = -1;
};

class Greedy : public SamplerStage {
public:
    Status apply(Candidates *c, size_t *picked) override {
        *picked = c->argmax();
        return Status::ok();
    }
    bool picks() const override { return true; }
};

class Dist : public SamplerStage {
public:
    explicit Dist(uint64_t seed) : seed_(seed), rng_(seed) {}
    Status apply(Candidates *c, size_t *picked) override {
        c->softmax();
        // Inverse CDF over the candidates in their current order.
        double u = rng_.uniform(), total = 0;
        for (const Candidate &x : c->items()) total += x.p;
        double target = u * total, acc = 0;
        *picked = c->argmax();
        for (size_t i = 0; i < c->size(); ++i) {
            acc += c->items()[i].p;
            if (c->items()[i].p > 0 && target < acc) {
                *picked = i;
                break;
            }
        }
        return Status::ok();
    }
    void reset() override { rng_.reseed(seed_); }
    bool picks() const override { return true; }
    bool draws() const override { return true; }

private:
    uint64_t seed_;
    Xoshiro256 rng_;
};

} // namespace

Status make_temperature(float t, std::unique_ptr<SamplerStage> *out) {
    if (!finite(t) || t < 0) return error(LOOM_ERR_INVALID_ARGUMENT, "temperature %g must be finite and >= 0", t);
    *out = std::make_unique<Temperature>(t);
    return Status::ok();
}

Status make_top_k(int32_t k, std::unique_ptr<SamplerStage> *out) {
    if (k <= 0) return error(LOOM_ERR_INVALID_ARGUMENT, "top-k %d must be >= 1", k);
    *out = std::make_unique<TopK>(k);
    return Status::ok();
}

Status make_top_p(float p, std::unique_ptr<SamplerStage> *out) {
    if (!(p > 0 && p <= 1)) return error(LOOM_ERR_INVALID_ARGUMENT, "top-p %g must be in (0, 1]", p);
    *out = std::make_unique<TopP>(p);
    return Status::ok();
}

Status make_min_p(float p, std::unique_ptr<SamplerStage> *out) {
    if (!(p >= 0 && p <= 1)) return error(LOOM_ERR_INVALID_ARGUMENT, "min-p %g must be in [0, 1]", p);
    *out = std::make_unique<MinP>(p);
    return Status::ok();
}

Status make_typical(float p, std::unique_ptr<SamplerStage> *out) {
    if (!(p > 0 && p <= 1)) return error(LOOM_ERR_INVALID_ARGUMENT, "typical-p %g must be in (0, 1]", p);
    *out = std::make_unique<Typical>(p);
    return Status::ok();
}

Status make_penalties(int32_t last_n, float repeat, float frequency, float presence,
                      std::unique_ptr<SamplerStage> *out) {
    if (last_n < 0) return error(LOOM_ERR_INVALID_ARGUMENT, "penalty window %d must be >= 0", last_n);
    if (!finite(repeat) || repeat <= 0)
        return error(LOOM_ERR_INVALID_ARGUMENT, "repetition penalty %g must be finite and > 0", repeat);
    if (!finite(frequency) || !finite(presence))
        return error(LOOM_ERR_INVALID_ARGUMENT, "frequency and presence penalties must be finite");
    *out = std::make_unique<Penalties>(last_n, repeat, frequency, presence);
    return Status::ok();
}

Status make_logit_bias(const int32_t *tokens, const float *biases, size_t n, std::unique_ptr<SamplerStage> *out) {
    std::vector<std::pair<int32_t, float>> list;
    for (size_t i = 0; i < n; ++i) {
        if (tokens[i] < 0) return error(LOOM_ERR_INVALID_ARGUMENT, "logit bias %zu: token %d is negative", i, tokens[i]);
        if (std::isnan(biases[i]) || biases[i] == std::numeric_limits<float>::infinity())
            return error(LOOM_ERR_INVALID_ARGUMENT, "logit bias %zu: bias must be finite or -infinity", i);
        list.emplace_back(tokens[i], biases[i]);
    }
    *out = std::make_unique<LogitBias>(std::move(list));
    return Status::ok();
}

std::unique_ptr<SamplerStage> make_greedy() { return std::make_unique<Greedy>(); }
std::unique_ptr<SamplerStage> make_dist(uint64_t seed) { return std::make_unique<Dist>(seed); }

} // namespace loom
