#include "scheduler.h"

#include "slot.h"

#include <algorithm>

namespace serve {

namespace {

size_t common_prefix(const std::vector<int32_t> &a, const std::vector<int32_t> &b) {
    size_t n = std::min(a.size(), b.size()), i = 0;
    while (i < n && a[i] == b[i]) i++;
    return i;
}

} // namespace

Scheduler::Scheduler(const loom_model *model, loom_context *ctx, const SchedulerOptions &o,
                     const SpeculativeLanes *lanes)
    : model_(model), ctx_(ctx), o_(o), lanes_(lanes) {
    for (int32_t i = 0; i < o_.n_slots; i++) slots_.push_back(std::make_unique<Slot>(model, i, lanes));
}

Scheduler::~Scheduler() {
    stop();
    loom_batch_free(batch_);
}

void Scheduler::start() {
    if (!batch_ && !lanes_) loom_batch_new(o_.step_tokens, &batch_);
    thread_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool Scheduler::submit(std::vector<Task> tasks) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_ || queue_.size() + tasks.size() > size_t(o_.queue_max)) return false;
        for (Task &t : tasks) queue_.push_back(std::move(t));
        stats_.queued = int32_t(queue_.size());
    }
    cv_.notify_all();
    return true;
}

SchedulerStats Scheduler::stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
}

bool Scheduler::idle() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.empty() && stats_.slots_busy == 0;
}

// Keeps or shares the longest cached prefix of `prompt` for `slot`; returns
// its length. At least the prompt's last token is always decoded again (its
// logits are needed).
int32_t Scheduler::reuse_prefix(Slot &slot, const std::vector<int32_t> &prompt) {
    const size_t cap = prompt.size() - 1;
    size_t own = std::min(common_prefix(slot.cached, prompt), cap), best = own;
    Slot *donor = nullptr;
    for (auto &other : slots_) {
        if (other.get() == &slot) continue;
        size_t n = std::min(common_prefix(other->cached, prompt), cap);
        if (n > best) best = n, donor = other.get();
    }
    if (!donor) {
        loom_kv_seq_remove(ctx_, slot.seq(), int32_t(own), -1);
        slot.cached.resize(own);
        return int32_t(own);
    }
    loom_kv_seq_remove(ctx_, slot.seq(), 0, -1);
    slot.cached.clear();
    if (loom_kv_seq_copy(ctx_, donor->seq(), slot.seq(), 0, int32_t(best)) != LOOM_OK) return 0;
    slot.cached.assign(prompt.begin(), prompt.begin() + long(best));
    return int32_t(best);
}

void Scheduler::assign(Slot &slot, Task task) {
    const std::vector<int32_t> &prompt = task.request->prompt;
    if (prompt.empty()) {
        Event e;
        e.index = task.index;
        e.finish_reason = "error";
        e.error = "the prompt has no tokens";
        task.channel->push(std::move(e));
        return;
    }
    const int32_t reused = lanes_ ? 0 : reuse_prefix(slot, prompt);
    {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.prompt_tokens += prompt.size();
        stats_.cached_prompt_tokens += uint64_t(reused);
    }
    slot.begin(std::move(task), reused);
}

// Moves queued tasks into free slots: each takes the free slot that already
// holds the longest prefix of its prompt.
void Scheduler::admit() {
    for (;;) {
        Task task;
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (queue_.empty()) return;
            if (std::none_of(slots_.begin(), slots_.end(), [](const auto &s) { return !s->busy(); })) return;
            task = std::move(queue_.front());
            queue_.pop_front();
            stats_.queued = int32_t(queue_.size());
        }
        if (task.channel->cancelled()) continue;
        Slot *pick = nullptr;
        size_t pick_len = 0;
        for (auto &s : slots_) {
            if (s->busy()) continue;
            size_t n = common_prefix(s->cached, task.request->prompt);
            if (!pick || n > pick_len || (n == pick_len && s->cached.size() < pick->cached.size()))
                pick = s.get(), pick_len = n;
        }
        assign(*pick, std::move(task));
    }
}

void Scheduler::fail_all(const char *what) {
    std::string msg = std::string(what) + ": " + loom_last_error();
    for (auto &s : slots_) {
        s->finish("error", msg);
        s->cached.clear();
    }
    loom_kv_clear(ctx_);
}

// Frees the slots whose client went away.
void Scheduler::reap_cancelled() {
    for (auto &s : slots_)
        if (s->cancelled()) {
            s->finish("");
            std::lock_guard<std::mutex> lock(mu_);
            stats_.tasks_cancelled++;
        }
}

// One decode: the pending token of every generating slot, then prompt chunks
// while the step's token budget lasts. False when there was nothing to do.
bool Scheduler::step() {
    reap_cancelled();
    loom_batch_clear(batch_);
    std::vector<std::pair<Slot *, int32_t>> outputs;   // slot, batch entry with its logits
    std::vector<std::pair<Slot *, size_t>> chunks;     // slot, prompt tokens in this step
    for (auto &s : slots_) {
        if (!s->busy() || s->pending() < 0) continue;
        outputs.emplace_back(s.get(), loom_batch_size(batch_));
        loom_batch_add(batch_, s->pending(), int32_t(s->cached.size()), s->seq(), 1);
    }
    for (auto &s : slots_) {
        size_t left = s->prompt_left(), room = size_t(o_.step_tokens - loom_batch_size(batch_));
        if (!left || !room || s->pending() >= 0) continue;
        const size_t n = std::min(left, room), at = s->cached.size();
        const auto &prompt = s->task().request->prompt;
        for (size_t j = 0; j < n; j++)
            loom_batch_add(batch_, prompt[at + j], int32_t(at + j), s->seq(), j + 1 == left ? 1 : 0);
        chunks.emplace_back(s.get(), n);
        if (n == left) outputs.emplace_back(s.get(), loom_batch_size(batch_) - 1);
    }
    if (loom_batch_size(batch_) == 0) return false;
    if (loom_decode(ctx_, batch_) != LOOM_OK) {
        fail_all("decode failed");
        return true;
    }
    for (auto &c : chunks) c.first->prefilled(c.second);
    for (auto &s : slots_)
        if (s->busy() && s->pending() >= 0) s->decoded_pending();
    const int32_t n_vocab = loom_model_n_vocab(model_);
    uint64_t generated = 0, done = 0;
    for (auto &out : outputs) {
        const float *logits = nullptr;
        if (loom_get_logits(ctx_, out.second, &logits) != LOOM_OK) {
            out.first->finish("error", std::string("no logits: ") + loom_last_error());
            continue;
        }
        out.first->sample(logits, n_vocab, o_.slot_ctx);
        generated++;
        done += out.first->busy() ? 0 : 1;
    }
    std::lock_guard<std::mutex> lock(mu_);
    stats_.tasks_done += done;
    stats_.decode_steps++;
    stats_.generated_tokens += generated;
    return true;
}

// Speculative mode: one action of every busy slot in turn (its prompt, or one
// round). False when there was nothing to do.
bool Scheduler::step_speculative() {
    reap_cancelled();
    uint64_t drafted = 0, accepted = 0, generated = 0, done = 0, rounds = 0;
    for (auto &s : slots_) {
        if (!s->busy()) continue;
        s->speculate(&drafted, &accepted, &generated);
        rounds++;
        done += s->busy() ? 0 : 1;
    }
    if (!rounds) return false;
    std::lock_guard<std::mutex> lock(mu_);
    stats_.tasks_done += done;
    stats_.decode_steps += rounds;
    stats_.generated_tokens += generated;
    stats_.drafted_tokens += drafted;
    stats_.accepted_tokens += accepted;
    return true;
}

void Scheduler::loop() {
    for (;;) {
        admit();
        int32_t busy = 0;
        for (auto &s : slots_) busy += s->busy() ? 1 : 0;
        {
            std::lock_guard<std::mutex> lock(mu_);
            stats_.slots_busy = busy;
        }
        if (lanes_ ? step_speculative() : step()) continue;
        std::unique_lock<std::mutex> lock(mu_);
        stats_.slots_busy = 0;
        for (auto &s : slots_) stats_.slots_busy += s->busy() ? 1 : 0;
        if (stopping_) break;
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_ && queue_.empty()) break;
    }
    for (auto &s : slots_) s->finish("error", "the server is shutting down");
}

} // namespace serve
