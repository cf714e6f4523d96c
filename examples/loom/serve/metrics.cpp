#include "metrics.h"

#include <sstream>

namespace serve {

namespace {

const char *const kRoutes[] = {"/", "/health", "/metrics", "/v1/models", "/v1/chat/completions",
                               "/v1/completions", "/v1/embeddings"};

void metric(std::ostringstream &out, const char *name, const char *type, const char *help, uint64_t value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
        << name << ' ' << value << '\n';
}

} // namespace

void Metrics::count_response(const std::string &path, int status) {
    std::string route = "other";
    for (const char *r : kRoutes)
        if (path == r) route = r;
    std::lock_guard<std::mutex> lock(mu_);
    responses_[{route, status}]++;
}

std::string Metrics::prometheus(const SchedulerStats &s, int32_t n_slots) const {
    std::ostringstream out;
    out << "# HELP loom_http_responses_total HTTP responses by route and status.\n"
           "# TYPE loom_http_responses_total counter\n";
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto &r : responses_)
            out << "loom_http_responses_total{route=\"" << r.first.first << "\",status=\"" << r.first.second
                << "\"} " << r.second << '\n';
    }
    metric(out, "loom_prompt_tokens_total", "counter", "Prompt tokens of admitted tasks.", s.prompt_tokens);
    metric(out, "loom_prompt_tokens_cached_total", "counter", "Prompt tokens reused from the KV cache.",
           s.cached_prompt_tokens);
    metric(out, "loom_generated_tokens_total", "counter", "Tokens sampled.", s.generated_tokens);
    metric(out, "loom_decode_steps_total", "counter",
           "Decode steps of the scheduler (speculative mode: prompts and draft-and-verify rounds).", s.decode_steps);
    metric(out, "loom_speculative_drafted_tokens_total", "counter",
           "Tokens proposed by the draft (speculative mode; 0 otherwise).", s.drafted_tokens);
    metric(out, "loom_speculative_accepted_tokens_total", "counter",
           "Proposed tokens the model kept (speculative mode; 0 otherwise).", s.accepted_tokens);
    metric(out, "loom_tasks_done_total", "counter", "Choices generated to the end.", s.tasks_done);
    metric(out, "loom_tasks_cancelled_total", "counter", "Choices whose client went away.", s.tasks_cancelled);
    metric(out, "loom_slots", "gauge", "Slots (sequences decoded together).", uint64_t(n_slots));
    metric(out, "loom_slots_busy", "gauge", "Slots running a task.", uint64_t(s.slots_busy));
    metric(out, "loom_queue_length", "gauge", "Tasks waiting for a slot.", uint64_t(s.queued));
    return out.str();
}

} // namespace serve
