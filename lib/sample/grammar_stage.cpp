// The grammar stage: keeps only the candidates whose bytes continue the
// grammar from the text accepted so far (see sampler.h, lib/grammar).
//
// Masking walks the vocabulary's token trie once from the current matcher
// state (a dead byte drops a whole subtree) and keeps the resulting mask per
// state: states recur (every character inside a JSON string leads back to the
// same one), and a recurring state then costs one lookup. When an earlier
// stage has already cut the candidates down to a few, each candidate's bytes
// are stepped directly instead. End-of-generation tokens pass exactly where
// the grammar may end.
#include "grammar/matcher.h"
#include "grammar/token_trie.h"
#include "sample/sampler.h"

#include <unordered_map>

namespace loom {

struct GrammarTables {
    explicit GrammarTables(GrammarVocab v) : pieces(std::move(v.pieces)), trie(pieces), is_eog(pieces.size(), 0) {
        for (int32_t id : v.eog)
            if (id >= 0 && size_t(id) < is_eog.size()) is_eog[size_t(id)] = 1;
    }
    std::vector<std::string> pieces;
    TokenTrie trie;
    std::vector<uint8_t> is_eog;
};

namespace {

class GrammarStage : public SamplerStage {
public:
    GrammarStage(Grammar g, std::shared_ptr<const GrammarTables> t)
        : matcher_(std::move(g)), tables_(std::move(t)), pieces_(tables_->pieces), trie_(tables_->trie),
          is_eog_(tables_->is_eog), direct_(pieces_.size(), 0) {}

    Status start() {
        state_ = matcher_.start();
        if (state_ == GrammarMatcher::kDead) return limit_error("the grammar's start");
        return Status::ok();
    }

    Status apply(Candidates *c, size_t *) override {
        compact_if_due();
        if (c->size() * kDirectFactor < trie_.n_nodes()) {
            for (const Candidate &x : c->items())
                if (allowed_directly(x.id)) direct_[size_t(x.id)] = 1;
            c->filter([&](const Candidate &x) { return size_t(x.id) < direct_.size() && direct_[size_t(x.id)]; });
            for (const Candidate &x : c->items()) direct_[size_t(x.id)] = 0;
        } else {
            const std::vector<uint64_t> *mask = nullptr;
            LOOM_TRY(mask_of_state(&mask));
            c->filter([&](const Candidate &x) {
                return size_t(x.id) < pieces_.size() && ((*mask)[size_t(x.id) >> 6] >> (x.id & 63) & 1);
            });
        }
        if (matcher_.overflow()) return limit_error("masking");
        if (c->size() == 0)
            return error(LOOM_ERR_INVALID_ARGUMENT,
                         "no candidate token continues the grammar here (put the grammar stage first in the chain)");
        return Status::ok();
    }

    Status can_accept(int32_t token) override {
        if (token < 0 || size_t(token) >= pieces_.size())
            return error(LOOM_ERR_INVALID_ARGUMENT, "token %d is outside the grammar's vocabulary", token);
        compact_if_due();
        if (is_eog_[size_t(token)]) {
            if (matcher_.can_end(state_)) return Status::ok();
            return error(LOOM_ERR_INVALID_ARGUMENT, "end-of-generation token %d before the grammar is complete", token);
        }
        if (matcher_.step_all(state_, pieces_[size_t(token)]) == GrammarMatcher::kDead || pieces_[size_t(token)].empty()) {
            if (matcher_.overflow()) return limit_error("accepting a token");
            return error(LOOM_ERR_INVALID_ARGUMENT, "token %d does not continue the grammar", token);
        }
        return Status::ok();
    }

    void accept(int32_t token) override {
        // can_accept passed: the step is cached. An end token leaves the state as is.
        if (!is_eog_[size_t(token)]) state_ = matcher_.step_all(state_, pieces_[size_t(token)]);
    }

    void reset() override { state_ = matcher_.start(); }

private:
    // Candidates x this factor below the trie's node count: check them one by one.
    static constexpr size_t kDirectFactor = 16;
    // Masks kept (each n_vocab bits: 19 KB for 151,936 tokens); all dropped when full.
    static constexpr size_t kMaxMasks = 256;

    bool allowed_directly(int32_t id) {
        if (id < 0 || size_t(id) >= pieces_.size()) return false;
        if (is_eog_[size_t(id)]) return matcher_.can_end(state_);
        return !pieces_[size_t(id)].empty() && matcher_.step_all(state_, pieces_[size_t(id)]) != GrammarMatcher::kDead;
    }

    // The allowed-token bitset of the current state: cached, or one trie walk.
    Status mask_of_state(const std::vector<uint64_t> **out) {
        auto it = masks_.find(state_);
        if (it == masks_.end()) {
            std::vector<uint64_t> mask((pieces_.size() + 63) / 64, 0);
            trie_.walk(matcher_, state_, [&](int32_t id) { mask[size_t(id) >> 6] |= uint64_t(1) << (id & 63); });
            if (matcher_.overflow()) return limit_error("masking");
            if (matcher_.can_end(state_))
                for (size_t id = 0; id < is_eog_.size(); id++)
                    if (is_eog_[id]) mask[id >> 6] |= uint64_t(1) << (id & 63);
            if (masks_.size() >= kMaxMasks) masks_.clear();
            it = masks_.emplace(state_, std::move(mask)).first;
        }
        *out = &it->second;
        return Status::ok();
    }

    void compact_if_due() {
        if (!matcher_.needs_compact()) return;
        state_ = matcher_.compact(state_);
        masks_.clear();   // keyed by state ids, which compact() renumbers
    }

    Status limit_error(const char *where) {
        std::string msg = matcher_.overflow_message();
        matcher_.reset_overflow();
        return error(LOOM_ERR_UNSUPPORTED, "grammar stage, %s: %s", where, msg.c_str());
    }

    GrammarMatcher matcher_;
    std::shared_ptr<const GrammarTables> tables_;   // shared with the model's other grammar stages
    const std::vector<std::string> &pieces_;
    const TokenTrie &trie_;
    const std::vector<uint8_t> &is_eog_;
    std::unordered_map<GrammarMatcher::State, std::vector<uint64_t>> masks_;
    std::vector<uint8_t> direct_;   // per token, set only while apply() checks candidates one by one
    GrammarMatcher::State state_ = GrammarMatcher::kDead;
};

} // namespace

Status make_grammar_tables(GrammarVocab vocab, std::shared_ptr<const GrammarTables> *out) {
    *out = std::make_shared<const GrammarTables>(std::move(vocab));
    return Status::ok();
}

Status make_grammar(std::string_view gbnf, std::string_view root, std::shared_ptr<const GrammarTables> tables,
                    std::unique_ptr<SamplerStage> *out) {
    Grammar g;
    LOOM_TRY(parse_gbnf(gbnf, root, &g));
    auto stage = std::make_unique<GrammarStage>(std::move(g), std::move(tables));
    LOOM_TRY(stage->start());
    *out = std::move(stage);
    return Status::ok();
}

Status make_grammar(std::string_view gbnf, std::string_view root, GrammarVocab vocab,
                    std::unique_ptr<SamplerStage> *out) {
    std::shared_ptr<const GrammarTables> tables;
    LOOM_TRY(make_grammar_tables(std::move(vocab), &tables));
    return make_grammar(gbnf, root, std::move(tables), out);
}

} // namespace loom
