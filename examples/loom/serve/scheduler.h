// The scheduler: N slots (KV-cache sequences 0..N-1 of one context) decoded
// together by one thread. Each step is one loom_decode carrying the next
// token of every generating slot plus chunks of prompts still being read
// (chunked prefill under a per-step token budget), so a long prompt never
// stalls the streams already running. A new task takes the free slot whose
// cached tokens share the longest prefix with its prompt; if another slot
// (busy or free) shares a longer one, those cells are shared into the slot
// with loom_kv_seq_copy. Only that prompt's remainder is decoded.
// Requests beyond the slots wait in a bounded queue. Public API only.
//
// Speculative mode (a SpeculativeLanes): each slot decodes in its own
// contexts through the task's loom_speculative; step_speculative() gives
// every busy slot one action (its prompt, or one draft-and-verify round) in
// turn. No shared batch and no prefix reuse there.
#pragma once

#include "task.h"

#include "loom.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace serve {

struct SchedulerOptions {
    int32_t n_slots = 4;
    int32_t slot_ctx = 1024;     // cache cells one slot may use (prompt + reply)
    int32_t step_tokens = 512;   // tokens one decode carries at most (the context's n_batch)
    int32_t queue_max = 64;      // tasks waiting for a slot; beyond: submit refuses
};

// Counters for /metrics (monotonic unless said otherwise).
struct SchedulerStats {
    uint64_t prompt_tokens = 0, cached_prompt_tokens = 0, generated_tokens = 0, decode_steps = 0;
    uint64_t tasks_done = 0, tasks_cancelled = 0;
    uint64_t drafted_tokens = 0, accepted_tokens = 0;   // speculative mode: proposed, and kept by the model
    int32_t slots_busy = 0, queued = 0;    // gauges
};

class Slot;
class SpeculativeLanes;

class Scheduler {
public:
    // `ctx` must have n_seq_max >= n_slots and n_batch >= step_tokens; the
    // scheduler's thread is its only user from start() to stop(). With
    // `lanes` (n_slots of them, used the same way) `ctx` is NULL: speculative mode.
    Scheduler(const loom_model *model, loom_context *ctx, const SchedulerOptions &o,
              const SpeculativeLanes *lanes = nullptr);
    ~Scheduler();

    void start();
    // Finishes nothing: tasks still running end with finish_reason "error".
    void stop();

    // Queues the tasks of one request (all or none). False when the queue
    // has no room for all of them.
    bool submit(std::vector<Task> tasks);
    SchedulerStats stats() const;
    bool idle() const;   // no task running or queued
    const SpeculativeLanes *speculative() const { return lanes_; }   // NULL: not speculative

private:
    void loop();
    void admit();
    void reap_cancelled();
    bool step();
    bool step_speculative();
    void assign(Slot &slot, Task task);
    int32_t reuse_prefix(Slot &slot, const std::vector<int32_t> &prompt);
    void fail_all(const char *what);

    const loom_model *model_;
    loom_context *ctx_;
    SchedulerOptions o_;
    const SpeculativeLanes *lanes_;
    loom_batch *batch_ = nullptr;
    std::vector<std::unique_ptr<Slot>> slots_;

    mutable std::mutex mu_;   // guards queue_, stats_, stopping_
    std::condition_variable cv_;
    std::deque<Task> queue_;
    SchedulerStats stats_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace serve
