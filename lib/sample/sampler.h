// The sampler chain: stages that reshape the candidate list, applied in the
// order they were added, ending in a pick.
//
//   penalties    over the last `last_n` accepted tokens, for each token seen
//                c times: logit = logit > 0 ? logit / repeat : logit * repeat
//                (once), then logit -= c * frequency + (c > 0) * presence
//   logit_bias   logit += bias (a bias of -infinity bans the token)
//   temperature  logit /= t; t == 0 keeps only the argmax
//   top_k        keeps the k highest logits
//   top_p        keeps the smallest highest-probability prefix whose mass >= p
//   min_p        keeps tokens with probability >= p * (highest probability)
//   typical      locally typical: sorts by |-log p - H| (H the entropy) and
//                keeps the smallest such prefix whose mass >= p
//   greedy       picks the highest logit (lowest id on ties)
//   dist(seed)   picks by a draw from softmax of the remaining logits
//   grammar      removes tokens whose bytes cannot continue a GBNF grammar
//                from the text accepted so far (grammar_stage.cpp)
//   mask         removes tokens a caller's callback clears, or those not in
//                an allowed list (mask_stage.cpp)
// Probability-based stages work on the softmax of the current logits. Every
// stage keeps at least one token. A chain without a pick stage ends with greedy.
// Owner: lib/sample.
#pragma once

#include "common/status.h"
#include "sample/candidates.h"
#include "sample/rng.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loom {

class SamplerStage {
public:
    virtual ~SamplerStage() = default;
    // Narrows or reweights `c`. A pick stage sets *picked to an index into c.
    virtual Status apply(Candidates *c, size_t *picked) = 0;
    // Refuses a token accept() cannot take (the chain asks every stage first).
    virtual Status can_accept(int32_t /*token*/) { return Status::ok(); }
    virtual void accept(int32_t /*token*/) {}
    virtual void reset() {}
    virtual bool picks() const { return false; }
    // A pick by a random draw from the candidates' softmax (dist).
    virtual bool draws() const { return false; }
};

// Stage constructors; arguments are validated (INVALID_ARGUMENT with the reason).
Status make_temperature(float t, std::unique_ptr<SamplerStage> *out);
Status make_top_k(int32_t k, std::unique_ptr<SamplerStage> *out);
Status make_top_p(float p, std::unique_ptr<SamplerStage> *out);
Status make_min_p(float p, std::unique_ptr<SamplerStage> *out);
Status make_typical(float p, std::unique_ptr<SamplerStage> *out);
Status make_penalties(int32_t last_n, float repeat, float frequency, float presence,
                      std::unique_ptr<SamplerStage> *out);
Status make_logit_bias(const int32_t *tokens, const float *biases, size_t n, std::unique_ptr<SamplerStage> *out);
// Mask stages: a callback clearing allowed[id] bytes (n_vocab of them, all 1
// on entry; nonzero return: CANCELLED), or a list of allowed ids (n >= 1,
// ids >= 0; ids past a call's vocabulary are ignored). Either fails with
// INVALID_ARGUMENT when it would remove every candidate.
using MaskFn = std::function<int(uint8_t *allowed, int32_t n_vocab)>;
Status make_mask(MaskFn fn, std::unique_ptr<SamplerStage> *out);
Status make_allowed_tokens(const int32_t *tokens, size_t n, std::unique_ptr<SamplerStage> *out);
std::unique_ptr<SamplerStage> make_greedy();
std::unique_ptr<SamplerStage> make_dist(uint64_t seed);

// The vocabulary a grammar stage masks: pieces[id] is token id's bytes, empty
// for tokens never allowed as text (special tokens); eog the end-of-generation
// ids, allowed exactly where the grammar may end.
struct GrammarVocab {
    std::vector<std::string> pieces;
    std::vector<int32_t> eog;
};
// What every grammar stage over one vocabulary shares, read-only: the
// pieces, the end-of-generation flags and the token trie (for a 151,936-token
// vocabulary ~100 ms to build; lib/api keeps one per model).
struct GrammarTables;
Status make_grammar_tables(GrammarVocab vocab, std::shared_ptr<const GrammarTables> *out);
// Errors: FORMAT from parse_gbnf (line and column), INVALID_ARGUMENT when
// the grammar matches nothing from its start.
Status make_grammar(std::string_view gbnf, std::string_view root, std::shared_ptr<const GrammarTables> tables,
                    std::unique_ptr<SamplerStage> *out);
// The same, building the tables of `vocab` for this stage alone.
Status make_grammar(std::string_view gbnf, std::string_view root, GrammarVocab vocab,
                    std::unique_ptr<SamplerStage> *out);

class SamplerChain {
public:
    // INVALID_ARGUMENT when the chain already ends in a pick stage.
    Status add(std::unique_ptr<SamplerStage> stage);
    // Runs the stages over `logits` and picks a token. Does not accept it.
    Status sample(const float *logits, int32_t n_vocab, int32_t *token);
    // Every stage accepts `token`, or none does (INVALID_ARGUMENT from the
    // stage that refuses it, e.g. a grammar the token cannot continue).
    Status accept(int32_t token);
    void reset();
    // Runs the stages before the pick stage over `logits`, leaving the
    // survivors with their softmax p in candidates(): the distribution the
    // chain draws from (speculative decoding's p and q). Accepts nothing.
    Status distribution(const float *logits, int32_t n_vocab);
    // True when the chain ends in a draw (dist), false when it picks greedily.
    bool draws() const { return !stages_.empty() && stages_.back()->draws(); }
    // The candidates as the last sample() left them (for tests).
    const Candidates &candidates() const { return cand_; }

private:
    std::vector<std::unique_ptr<SamplerStage>> stages_;
    Candidates cand_;
};

} // namespace loom
