// One generation request as the scheduler sees it (token ids and sampling
// settings, already validated), and the channel its results flow back on.
// The HTTP thread that made the request reads the channel; the scheduler's
// thread writes it. Public API only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace serve {

struct SamplingParams {
    double temperature = 1.0;                         // 0: greedy
    double top_p = 1.0;
    double presence_penalty = 0.0, frequency_penalty = 0.0;
    std::vector<std::pair<int32_t, float>> logit_bias; // token id, bias
    bool seed_set = false;
    uint64_t seed = 0;
    std::string grammar;                              // GBNF from response_format; empty: none
};

struct GenRequest {
    std::vector<int32_t> prompt;      // rendered and tokenized
    int32_t max_tokens = -1;          // < 0: until end-of-generation or the slot is full
    SamplingParams sampling;
    std::vector<std::string> stop;
    int32_t top_logprobs = -1;        // < 0: no logprobs; 0..20 alternatives per token
    int32_t n = 1;                    // choices, each its own task
};

// The log-probability of one generated token and, if asked, its top alternatives.
struct TokenLogprob {
    std::string token;                // the token's bytes
    float logprob = 0.0f;
    std::vector<std::pair<std::string, float>> top;
};

// What a task reports: a piece of text (with the logprobs of the tokens that
// produced it), or the end of the choice (finish_reason set).
struct Event {
    int32_t index = 0;                // choice index
    std::string text;
    std::vector<TokenLogprob> logprobs;
    std::string finish_reason;        // "", "stop", "length", "error"
    std::string error;                // finish_reason == "error": what went wrong
    int32_t prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
};

// One request's results: every choice's events in order. Shared between the
// HTTP thread (reader) and the scheduler (writer).
class Channel {
public:
    explicit Channel(int32_t n_choices) : n_choices_(n_choices) {}

    void push(Event e);
    // Waits up to `timeout_ms` for events; moves them into *out. True while
    // more may come (some choice has not finished).
    bool pop(std::vector<Event> *out, int timeout_ms);
    // The reader went away (client disconnected): the scheduler frees the slots.
    void cancel() { cancelled_.store(true); }
    bool cancelled() const { return cancelled_.load(); }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> events_;
    int32_t n_choices_, n_finished_ = 0;
    std::atomic<bool> cancelled_{false};
};

// One choice of one request.
struct Task {
    std::shared_ptr<const GenRequest> request;
    int32_t index = 0;
    std::shared_ptr<Channel> channel;
};

} // namespace serve
