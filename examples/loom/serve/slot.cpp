#include "slot.h"

#include <algorithm>
#include <random>

namespace serve {

Slot::~Slot() { finish(""); }

loom_status Slot::make_sampler() {
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
    // Choices of one request with a seed differ by their index, and stay reproducible.
    uint64_t seed = p.seed_set ? p.seed + uint64_t(task_.index) : std::random_device{}();
    if (st == LOOM_OK) st = loom_sampler_add_dist(sampler_, seed);
    return st;
}

void Slot::begin(Task task, int32_t n_reused) {
    task_ = std::move(task);
    busy_ = true;
    pending_ = -1;
    n_generated_ = 0;
    n_reused_ = n_reused;
    const auto &stop = task_.request->stop;
    std::vector<const char *> stops;
    for (const std::string &s : stop) stops.push_back(s.c_str());
    loom_status st = make_sampler();
    if (st == LOOM_OK) st = loom_detokenizer_new(model_, 0, &detok_);
    if (st == LOOM_OK) st = loom_stop_matcher_new(stops.data(), stops.size(), &stops_);
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

void Slot::sample(const float *logits, int32_t n_vocab, int32_t slot_ctx) {
    int32_t token = 0;
    if (loom_sampler_sample_logits(sampler_, logits, n_vocab, &token) != LOOM_OK) {
        finish("error", std::string("sampling failed: ") + loom_last_error());
        return;
    }
    loom_sampler_accept(sampler_, token);
    n_generated_++;
    if (loom_token_is_eog(model_, token)) {
        finish("stop");
        return;
    }
    TokenLogprob lp;
    if (task_.request->top_logprobs >= 0) lp = logprobs_of(logits, n_vocab, token);
    bool stopped = false;
    push_text(token, task_.request->top_logprobs >= 0 ? &lp : nullptr, &stopped);
    const int32_t max_tokens = task_.request->max_tokens;
    if (stopped) {
        finish("stop");
    } else if ((max_tokens >= 0 && n_generated_ >= max_tokens) || int32_t(cached.size()) >= slot_ctx) {
        // (the second: the slot is full, the pending token would need cell slot_ctx + 1)
        finish("length");
    } else {
        pending_ = token;
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
    loom_sampler_free(sampler_);
    loom_detokenizer_free(detok_);
    loom_stop_matcher_free(stops_);
    sampler_ = nullptr;
    detok_ = nullptr;
    stops_ = nullptr;
    pending_ = -1;
    busy_ = false;
    task_ = Task();
}

} // namespace serve
