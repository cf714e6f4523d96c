#include "slot.h"

#include "speculative_lanes.h"

#include <algorithm>
#include <array>
#include <random>

namespace serve {

namespace {

constexpr int32_t kRoundMax = 257;   // tokens one speculative round can keep: draft_max (<= 256) + 1

} // namespace

Slot::~Slot() { finish(""); }

loom_status Slot::make_sampler(uint64_t seed) {
    const SamplingParams &p = task_.request->sampling;
    loom_status st = loom_sampler_new(&sampler_);
    // The grammar first: it then masks the whole vocabulary in one trie walk.
    if (st == LOOM_OK && !p.grammar.empty()) st = loom_sampler_add_grammar(sampler_, model_, p.grammar.c_str(), "root");
    if (st == LOOM_OK && !p.logit_bias.empty()) {
        std::vector<int32_t> ids;
        std::vector<float> biases;
        for (const auto &b : p.logit_bias) {
            ids.push_back(b.first);
            biases.push_back(b.second <= -100.0f ? -INFINITY : b.second);
        }
        st = loom_sampler_add_logit_bias(sampler_, ids.data(), biases.data(), ids.size());
    }
    if (st == LOOM_OK && (p.presence_penalty != 0.0 || p.frequency_penalty != 0.0))
        st = loom_sampler_add_penalties(sampler_, 1 << 20, 1.0f, float(p.frequency_penalty),
                                        float(p.presence_penalty));
    if (p.temperature <= 0.0) return st == LOOM_OK ? loom_sampler_add_greedy(sampler_) : st;
    if (st == LOOM_OK && p.top_p < 1.0) st = loom_sampler_add_top_p(sampler_, float(p.top_p));
    if (st == LOOM_OK) st = loom_sampler_add_temperature(sampler_, float(p.temperature));
    if (st == LOOM_OK) st = loom_sampler_add_dist(sampler_, seed);
    return st;
}

void Slot::begin(Task task, int32_t n_reused) {
    task_ = std::move(task);
    busy_ = true;
    pending_ = -1;
    n_generated_ = 0;
    n_reused_ = n_reused;
    spec_prompted_ = false;
    spec_drafted_ = spec_accepted_ = 0;
    const auto &stop = task_.request->stop;
    std::vector<const char *> stops;
    for (const std::string &s : stop) stops.push_back(s.c_str());
    // Choices of one request with a seed differ by their index, and stay reproducible.
    const SamplingParams &p = task_.request->sampling;
    const uint64_t seed = p.seed_set ? p.seed + uint64_t(task_.index) : std::random_device{}();
    loom_status st = make_sampler(seed);
    if (st == LOOM_OK) st = loom_detokenizer_new(model_, 0, &detok_);
    if (st == LOOM_OK) st = loom_stop_matcher_new(stops.data(), stops.size(), &stops_);
    if (st == LOOM_OK && lanes_) st = lanes_->open(seq_, seed, &spec_);
    if (st != LOOM_OK) finish("error", std::string("cannot start the task: ") + loom_last_error());
}

void Slot::prefilled(size_t n) {
    const auto &prompt = task_.request->prompt;
    const size_t at = cached.size();
    cached.insert(cached.end(), prompt.begin() + long(at), prompt.begin() + long(at + n));
}

void Slot::decoded_pending() {
    cached.push_back(pending_);
    pending_ = -1;
}

std::string Slot::piece(int32_t token) const {
    char buf[256];
    size_t n = 0;
    if (loom_token_to_piece(model_, token, buf, sizeof buf, &n) != LOOM_OK) return std::string();
    return std::string(buf, n);
}

TokenLogprob Slot::logprobs_of(const float *logits, int32_t n_vocab, int32_t token) const {
    const int32_t k = std::min(task_.request->top_logprobs, n_vocab);
    std::vector<int32_t> top(size_t(std::max(k, 0)));
    std::vector<float> top_lp(top.size());
    TokenLogprob lp;
    lp.token = piece(token);
    // Cannot fail here: the token was just sampled from these logits.
    if (loom_logprobs(logits, n_vocab, token, &lp.logprob, k, top.data(), top_lp.data()) != LOOM_OK) return lp;
    for (int32_t i = 0; i < k; i++) lp.top.emplace_back(piece(top[size_t(i)]), top_lp[size_t(i)]);
    return lp;
}

void Slot::emit(const char *text, size_t n, TokenLogprob *lp) {
    if (n == 0 && !lp) return;
    Event e;
    e.index = task_.index;
    e.text.assign(text, n);
    if (lp) e.logprobs.push_back(std::move(*lp));
    task_.channel->push(std::move(e));
}

void Slot::push_text(int32_t token, TokenLogprob *lp, bool *stopped) {
    char buf[512];
    size_t n = 0;
    if (loom_detokenizer_push(detok_, token, buf, sizeof buf, &n) != LOOM_OK) n = 0;
    const char *release = nullptr;
    size_t release_len = 0;
    int32_t stop = 0;
    loom_stop_matcher_push(stops_, buf, n, &release, &release_len, &stop);
    emit(release, release_len, lp);
    *stopped = stop != 0;
}

// Reports one generated token (already accepted into the sampler): its text
// through the stop strings, with its log-probabilities when the request asks
// and `logits` (the row it was sampled from) are given. Ends the task at an
// end of generation, a stop string or max_tokens; false then.
bool Slot::take(int32_t token, const float *logits, int32_t n_vocab) {
    n_generated_++;
    if (loom_token_is_eog(model_, token)) {
        finish("stop");
        return false;
    }
    const bool want_lp = logits && task_.request->top_logprobs >= 0;
    TokenLogprob lp;
    if (want_lp) lp = logprobs_of(logits, n_vocab, token);
    bool stopped = false;
    push_text(token, want_lp ? &lp : nullptr, &stopped);
    const int32_t max_tokens = task_.request->max_tokens;
    if (stopped) {
        finish("stop");
        return false;
    }
    if (max_tokens >= 0 && n_generated_ >= max_tokens) {
        finish("length");
        return false;
    }
    return true;
}

void Slot::sample(const float *logits, int32_t n_vocab, int32_t slot_ctx) {
    int32_t token = 0;
    if (loom_sampler_sample_logits(sampler_, logits, n_vocab, &token) != LOOM_OK) {
        finish("error", std::string("sampling failed: ") + loom_last_error());
        return;
    }
    loom_sampler_accept(sampler_, token);
    if (!take(token, logits, n_vocab)) return;
    // The slot is full: the pending token would need cell slot_ctx + 1.
    if (int32_t(cached.size()) >= slot_ctx) finish("length");
    else pending_ = token;
}

void Slot::speculate(uint64_t *drafted, uint64_t *accepted, uint64_t *generated) {
    if (!spec_prompted_) {
        const auto &prompt = task_.request->prompt;
        if (loom_speculative_prompt(spec_, prompt.data(), int32_t(prompt.size())) != LOOM_OK)
            return finish("error", std::string("decoding the prompt failed: ") + loom_last_error());
        spec_prompted_ = true;
        return;
    }
    // A round keeps no more tokens than max_tokens leaves.
    const int32_t max_tokens = task_.request->max_tokens;
    const int32_t cap = max_tokens >= 0 ? std::clamp(max_tokens - n_generated_, 1, kRoundMax) : kRoundMax;
    std::array<int32_t, kRoundMax> tokens;
    int32_t n = 0;
    const loom_status st = loom_speculative_next(spec_, sampler_, tokens.data(), cap, &n);
    int64_t d = 0, a = 0;
    if (loom_speculative_stats(spec_, nullptr, &d, &a) == LOOM_OK) {
        *drafted += uint64_t(d - spec_drafted_);
        *accepted += uint64_t(a - spec_accepted_);
        spec_drafted_ = d, spec_accepted_ = a;
    }
    // A full cache: no room for another token, as in sample().
    if (st == LOOM_ERR_CONTEXT_FULL) return finish("length");
    if (st != LOOM_OK) return finish("error", std::string("speculative decoding failed: ") + loom_last_error());
    for (int32_t i = 0; i < n; i++) {
        ++*generated;
        if (!take(tokens[size_t(i)], nullptr, 0)) return;
    }
}

void Slot::finish(const std::string &reason, const std::string &error) {
    if (!busy_) return;
    if (reason == "stop" || reason == "length") {
        char tail[8];
        size_t n = 0;
        const char *release = nullptr;
        size_t release_len = 0;
        int32_t stop = 0;
        if (loom_detokenizer_flush(detok_, tail, sizeof tail, &n) == LOOM_OK && n)
            loom_stop_matcher_push(stops_, tail, n, &release, &release_len, &stop);
        emit(release, release_len, nullptr);
        if (!stop && loom_stop_matcher_flush(stops_, &release, &release_len) == LOOM_OK)
            emit(release, release_len, nullptr);
    }
    if (!reason.empty()) {
        Event e;
        e.index = task_.index;
        e.finish_reason = reason;
        e.error = error;
        e.prompt_tokens = int32_t(task_.request->prompt.size());
        e.completion_tokens = n_generated_;
        e.cached_tokens = n_reused_;
        task_.channel->push(std::move(e));
    }
    loom_speculative_free(spec_);
    loom_sampler_free(sampler_);
    loom_detokenizer_free(detok_);
    loom_stop_matcher_free(stops_);
    sampler_ = nullptr;
    detok_ = nullptr;
    stops_ = nullptr;
    spec_ = nullptr;
    pending_ = -1;
    busy_ = false;
    task_ = Task();
}

} // namespace serve
