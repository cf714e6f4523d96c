// One slot: a KV-cache sequence and the task generating in it. Holds the
// task's sampler chain, streaming detokenizer and stop-string matcher, turns
// each generated token into text and log-probabilities, and reports them on
// the task's channel. The scheduler decides what is decoded when. In
// speculative mode the slot is a lane of SpeculativeLanes and holds the
// task's loom_speculative, which decodes for it (speculate()).
#pragma once

#include "task.h"

#include "loom.h"

#include <cstdint>
#include <string>
#include <vector>

namespace serve {

class SpeculativeLanes;

class Slot {
public:
    // `lanes`: speculative mode, this slot being lane `seq` (NULL: sequence `seq` of the shared context).
    Slot(const loom_model *model, int32_t seq, const SpeculativeLanes *lanes = nullptr)
        : model_(model), seq_(seq), lanes_(lanes) {}
    ~Slot();
    Slot(const Slot &) = delete;
    Slot &operator=(const Slot &) = delete;

    int32_t seq() const { return seq_; }
    bool busy() const { return busy_; }
    const Task &task() const { return task_; }

    // Tokens whose K/V this slot's sequence holds, at positions 0..size-1.
    std::vector<int32_t> cached;

    // Starts `task`; the first `n_reused` prompt tokens are already in `cached`.
    // On failure the task is finished with an error and the slot stays free.
    void begin(Task task, int32_t n_reused);

    // Prompt tokens not decoded yet (prefill), and the next of them.
    size_t prompt_left() const { return busy_ ? task_.request->prompt.size() - cached.size() : 0; }
    // The token sampled last, to be decoded next step (-1: none).
    int32_t pending() const { return pending_; }

    // Records that the next `n` prompt tokens / the pending token are now in the cache.
    void prefilled(size_t n);
    void decoded_pending();

    // Samples from the logits of the slot's last decoded entry: reports the
    // token's text, and either keeps it pending or finishes the task.
    void sample(const float *logits, int32_t n_vocab, int32_t slot_ctx);

    // Speculative mode: decodes the task's prompt (the first call) or runs one
    // round and takes the tokens it keeps. Adds the round's proposed and kept
    // draft tokens and the tokens taken to *drafted, *accepted, *generated.
    void speculate(uint64_t *drafted, uint64_t *accepted, uint64_t *generated);

    // Ends the task: "stop", "length", "error" or "" (cancelled: nothing is sent).
    void finish(const std::string &reason, const std::string &error = "");

    bool cancelled() const { return busy_ && task_.channel->cancelled(); }
    int32_t n_generated() const { return n_generated_; }

private:
    loom_status make_sampler(uint64_t seed);
    bool take(int32_t token, const float *logits, int32_t n_vocab);
    void push_text(int32_t token, TokenLogprob *lp, bool *stopped);
    void emit(const char *text, size_t n, TokenLogprob *lp);
    TokenLogprob logprobs_of(const float *logits, int32_t n_vocab, int32_t token) const;
    std::string piece(int32_t token) const;

    const loom_model *model_;
    int32_t seq_;
    const SpeculativeLanes *lanes_;
    bool busy_ = false;
    Task task_;
    loom_sampler *sampler_ = nullptr;
    loom_detokenizer *detok_ = nullptr;
    loom_stop_matcher *stops_ = nullptr;
    int32_t pending_ = -1, n_generated_ = 0, n_reused_ = 0;
    loom_speculative *spec_ = nullptr;
    bool spec_prompted_ = false;
    int64_t spec_drafted_ = 0, spec_accepted_ = 0;   // the decoder's counters, as last seen
};

} // namespace serve
