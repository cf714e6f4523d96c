#include "sampling_options.h"

#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace cli {

bool parse_logit_bias(const char *v, int32_t *token, float *bias, std::string *why) {
    const char *sign = v;
    while (*sign >= '0' && *sign <= '9') sign++;
    if (sign == v || (*sign != '+' && *sign != '-'))
        return *why = "expected TOKEN+BIAS or TOKEN-BIAS (e.g. 15043+1, 15043-inf)", false;
    long long id = 0;
    if (!parse_integer_text(std::string(v, sign).c_str(), &id, why) || id > INT32_MAX)
        return *why = "token id must be 0.." + std::to_string(INT32_MAX), false;
    double b = 0;
    if (!std::strcmp(sign + 1, "inf")) {
        if (*sign == '+') return *why = "a bias of +inf is not allowed (-inf bans the token)", false;
        b = -HUGE_VAL;
    } else if (!parse_real_text(sign + 1, &b, why) || std::fabs(b) > 3.4e38) {
        return *why = "the bias is not a finite number", false;
    } else if (*sign == '-') {
        b = -b;
    }
    *token = int32_t(id);
    *bias = float(b);
    return true;
}

void add_sampling_options(Options *opts, SamplingOptions *o) {
    opts->section("sampling");
    opts->real("--temp", "T", &o->temp, 0.0, HUGE_VAL, "temperature; 0: greedy (always the likeliest token)");
    opts->integer("--top-k", "K", &o->top_k, 0, INT32_MAX, "keep the K likeliest tokens; 0: off");
    opts->real("--top-p", "P", &o->top_p, 0.0, 1.0, "nucleus: keep the likeliest tokens up to mass P; 1: off",
               true);
    opts->real("--min-p", "P", &o->min_p, 0.0, 1.0, "keep tokens at least P times as likely as the best; 0: off");
    opts->integer("--seed", "S", &o->seed, -1, LLONG_MAX, "random seed; -1: from the clock");
    opts->real("--repeat-penalty", "R", &o->repeat_penalty, 0.0, HUGE_VAL, "penalize repeated tokens; 1: off", true);
    opts->integer("--repeat-last-n", "N", &o->repeat_last_n, 0, INT32_MAX, "tokens the penalties look back over");
    opts->real("--presence-penalty", "P", &o->presence_penalty, -HUGE_VAL, HUGE_VAL, "subtracted once per seen token; 0: off");
    opts->real("--frequency-penalty", "F", &o->frequency_penalty, -HUGE_VAL, HUGE_VAL,
               "subtracted per occurrence of a seen token; 0: off");
    opts->custom("--logit-bias", "TOKEN(+|-)BIAS", [o](const char *v, std::string *why) {
        int32_t token = 0;
        float bias = 0;
        if (!parse_logit_bias(v, &token, &bias, why)) return false;
        o->bias_tokens.push_back(token);
        o->biases.push_back(bias);
        return true;
    }, "add BIAS to a token's logit (repeatable; 15043-inf bans token 15043)", "none");
}

loom_status add_sampling_stages(const SamplingOptions &o, loom_sampler *s) {
    loom_status st = LOOM_OK;
    const bool penalties = (o.repeat_penalty != 1.0 || o.presence_penalty != 0.0 || o.frequency_penalty != 0.0);
    if (penalties && o.repeat_last_n > 0)
        st = loom_sampler_add_penalties(s, int32_t(o.repeat_last_n), float(o.repeat_penalty),
                                        float(o.frequency_penalty), float(o.presence_penalty));
    if (st == LOOM_OK && !o.bias_tokens.empty())
        st = loom_sampler_add_logit_bias(s, o.bias_tokens.data(), o.biases.data(), o.biases.size());
    if (o.temp <= 0.0) return st == LOOM_OK ? loom_sampler_add_greedy(s) : st;
    if (st == LOOM_OK && o.top_k > 0) st = loom_sampler_add_top_k(s, int32_t(o.top_k));
    if (st == LOOM_OK && o.top_p < 1.0) st = loom_sampler_add_top_p(s, float(o.top_p));
    if (st == LOOM_OK && o.min_p > 0.0) st = loom_sampler_add_min_p(s, float(o.min_p));
    if (st == LOOM_OK) st = loom_sampler_add_temperature(s, float(o.temp));
    const uint64_t seed = o.seed >= 0 ? uint64_t(o.seed)
                                      : uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
    if (st == LOOM_OK) st = loom_sampler_add_dist(s, seed);
    return st;
}

bool logit_bias_fits(const loom_model *m, const SamplingOptions &o, std::string *why) {
    const int32_t n_vocab = loom_model_n_vocab(m);
    for (int32_t t : o.bias_tokens)
        if (t >= n_vocab)
            return *why = "--logit-bias: token " + std::to_string(t) + " is past the vocabulary (ids 0.." +
                          std::to_string(n_vocab - 1) + ")", false;
    return true;
}

loom_status make_sampler(const SamplingOptions &o, loom_sampler **out) {
    loom_sampler *s = nullptr;
    loom_status st = loom_sampler_new(&s);
    if (st == LOOM_OK) st = add_sampling_stages(o, s);
    if (st != LOOM_OK) {
        loom_sampler_free(s);
        return st;
    }
    *out = s;
    return LOOM_OK;
}

} // namespace cli
