#include "interleaved_decode.h"

#include <array>
#include <map>
#include <memory>
#include <utility>

namespace interleaved {

namespace {

constexpr int kSeqs = 6, kRegion = 48, kSteps = 8;
constexpr int32_t kShared = 4;   // seq 4 starts with seq 0's first kShared tokens
constexpr int32_t kKept = 3;     // seq 5 keeps positions < kKept, then goes on differently

struct Ctx {
    loom_context *c = nullptr;
    loom_batch *b = nullptr;
    Ctx() = default;
    Ctx(const Ctx &) = delete;
    ~Ctx() {
        loom_batch_free(b);
        loom_context_free(c);
    }
};

using Logits = std::map<std::pair<int32_t, int32_t>, std::vector<float>>;   // (seq, pos) -> row

struct Run {
    const loom_model *m;
    int32_t n_vocab;
    std::string *error;
    bool fail(const char *what) {
        *error = std::string(what) + ": " + loom_last_error();
        return false;
    }
};

// Token of seq at pos in the final sequences (seq 5's tokens after the hole differ from the first ones).
int32_t token(int32_t seq, int32_t pos, int32_t n_vocab, bool after_hole = true) {
    if (seq == 4 && pos < kShared) seq = 0;
    const int32_t salt = seq == 5 && pos >= kKept && after_hole ? 101 : 0;
    return (seq * 31 + pos * 7 + salt + 3) % n_vocab;
}

bool open(Run &r, uint32_t n_seq, int32_t kv_type, Ctx *out) {
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = p.n_batch = kSeqs * kRegion;
    p.n_seq_max = n_seq;
    p.kv_type = kv_type;
    p.n_threads = 2;
    p.matmul_precision = LOOM_MATMUL_EXACT;
    if (loom_context_new(r.m, &p, &out->c) != LOOM_OK || loom_batch_new(int32_t(p.n_batch), &out->b) != LOOM_OK)
        return r.fail("context");
    return true;
}

// Decodes the entries (seq, pos, token), all wanting logits, and keeps them.
bool decode(Run &r, Ctx &c, const std::vector<std::array<int32_t, 3>> &entries, Logits *out) {
    loom_batch_clear(c.b);
    for (const auto &e : entries)
        if (loom_batch_add(c.b, e[2], e[1], e[0], 1) != LOOM_OK) return r.fail("batch_add");
    if (loom_decode(c.c, c.b) != LOOM_OK) return r.fail("decode");
    for (size_t i = 0; i < entries.size(); i++) {
        const float *l = nullptr;
        if (loom_get_logits(c.c, int32_t(i), &l) != LOOM_OK) return r.fail("get_logits");
        (*out)[{entries[i][0], entries[i][1]}] = std::vector<float>(l, l + r.n_vocab);
    }
    return true;
}

// Positions [p0, p1) of seq as entries.
void add_run(std::vector<std::array<int32_t, 3>> *e, int32_t seq, int32_t p0, int32_t p1, int32_t n_vocab,
             bool after_hole = true) {
    for (int32_t p = p0; p < p1; p++) e->push_back({seq, p, token(seq, p, n_vocab, after_hole)});
}

// The prompt each sequence starts with (decoded as one chunk) and its final length.
const int32_t kPrompt[kSeqs] = {10, 44, 12, 8, 9, 10};
int32_t final_len(int32_t s) { return s == 5 ? kKept + kSteps : kPrompt[s] + kSteps + (s < 3 ? 1 : 0); }
int32_t alone_prompt(int32_t s) { return s == 5 ? kKept : kPrompt[s]; }

bool run_batched(Run &r, int32_t kv_type, Logits *out) {
    Ctx c;
    if (!open(r, kSeqs, kv_type, &c)) return false;
    // Prompts of 0, 1, 2 interleaved entry by entry.
    std::vector<std::array<int32_t, 3>> e;
    for (int32_t p = 0; p < kPrompt[1]; p++)
        for (int32_t s = 0; s < 3; s++)
            if (p < kPrompt[s]) e.push_back({s, p, token(s, p, r.n_vocab)});
    if (!decode(r, c, e, out)) return false;
    // Seq 4 shares seq 0's first tokens; a mixed batch: prompt chunks of 4, 3 and 5 next to one token of 0, 1, 2.
    if (loom_kv_seq_copy(c.c, 0, 4, 0, kShared) != LOOM_OK) return r.fail("seq_copy");
    e.clear();
    add_run(&e, 4, kShared, kPrompt[4], r.n_vocab);
    for (int32_t s = 0; s < 3; s++) add_run(&e, s, kPrompt[s], kPrompt[s] + 1, r.n_vocab);
    add_run(&e, 3, 0, kPrompt[3], r.n_vocab);
    add_run(&e, 5, 0, kPrompt[5], r.n_vocab, false);
    if (!decode(r, c, e, out)) return false;
    // A hole: seq 5 drops everything from kKept on and continues differently.
    if (loom_kv_seq_remove(c.c, 5, kKept, -1) != LOOM_OK) return r.fail("seq_remove");
    for (int32_t p = kKept; p < kPrompt[5]; p++) out->erase({5, p});
    int32_t next[kSeqs];
    for (int32_t s = 0; s < kSeqs; s++) next[s] = s == 5 ? kKept : kPrompt[s] + (s < 3 ? 1 : 0);
    for (int step = 0; step < kSteps; step++) {
        e.clear();
        for (int32_t s = 0; s < kSeqs; s++) {
            add_run(&e, s, next[s], next[s] + 1, r.n_vocab);
            next[s]++;
        }
        if (!decode(r, c, e, out)) return false;
    }
    return true;
}

bool run_alone(Run &r, int32_t kv_type, int32_t s, Logits *out) {
    Ctx c;
    if (!open(r, 1, kv_type, &c)) return false;
    std::vector<std::array<int32_t, 3>> e;
    add_run(&e, s, 0, alone_prompt(s), r.n_vocab);
    for (auto &x : e) x[0] = 0;
    Logits got;
    if (!decode(r, c, e, &got)) return false;
    for (int32_t p = alone_prompt(s); p < final_len(s); p++)
        if (!decode(r, c, {{0, p, token(s, p, r.n_vocab)}}, &got)) return false;
    for (auto &kv : got) (*out)[{s, kv.first.second}] = std::move(kv.second);
    return true;
}

} // namespace

std::vector<RowPair> run(const loom_model *m, int32_t kv_type, std::string *error) {
    Run r{m, loom_model_n_vocab(m), error};
    Logits batched, alone;
    if (!run_batched(r, kv_type, &batched)) return {};
    for (int32_t s = 0; s < kSeqs; s++)
        if (!run_alone(r, kv_type, s, &alone)) return {};
    std::vector<RowPair> rows;
    for (auto &kv : batched) {
        const auto it = alone.find(kv.first);
        if (it == alone.end()) {
            *error = "no alone row for seq " + std::to_string(kv.first.first) + " pos " + std::to_string(kv.first.second);
            return {};
        }
        rows.push_back({kv.first.first, kv.first.second, kv.second, it->second});
    }
    return rows;
}

} // namespace interleaved
