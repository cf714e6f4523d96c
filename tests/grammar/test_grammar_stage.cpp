// The grammar sampler stage on a synthetic vocabulary: the trie-walk mask (a
// full candidate list) and the one-by-one check (after top-k narrowed the
// list) keep the same tokens, which are exactly those whose bytes step alive
// in a separate matcher; cached masks stay right as states recur.
#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "sample/sampler.h"

#include <catch2/catch.hpp>

#include <random>
#include <set>

using namespace loom;

namespace {

const char *kGrammar = R"(root ::= "{" ( pair ("," pair)* )? "}"
pair ::= str ":" ( str | num | root | "[" ( num ("," num)* )? "]" )
str ::= "\"" [^"]* "\""
num ::= "-"? [0-9]+
)";

GrammarVocab random_vocab(uint64_t seed, size_t n) {
    const std::string alphabet[] = {"{", "}", "\"", ":", ",", "[", "]", "-", "1", "2", "a", "b", " ", "\xc3", "\xa9",
                                    "\xe2\x82\xac"};
    std::mt19937_64 rng(seed);
    GrammarVocab v;
    for (const std::string &a : alphabet) v.pieces.push_back(a);   // every byte class reachable in one token
    while (v.pieces.size() < n) {
        std::string p;
        for (size_t len = 1 + rng() % 4; p.size() < len;) p += alphabet[rng() % 16];
        v.pieces.push_back(p);
    }
    v.pieces.push_back("");   // a special token: never text
    v.eog = {int32_t(v.pieces.size())};
    v.pieces.push_back("");   // the end-of-generation token
    return v;
}

std::set<int32_t> kept(const SamplerChain &chain) {
    std::set<int32_t> ids;
    for (const Candidate &c : chain.candidates().items()) ids.insert(c.id);
    return ids;
}

} // namespace

TEST_CASE("grammar stage masks by trie and by direct check alike, and exactly", "[grammar]") {
    GrammarVocab vocab = random_vocab(7, 3000);
    const int32_t n_vocab = int32_t(vocab.pieces.size()), eog = vocab.eog[0];
    SamplerChain full, narrowed, topk_only;
    std::unique_ptr<SamplerStage> st;
    REQUIRE(make_grammar(kGrammar, "root", vocab, &st).is_ok());
    REQUIRE(full.add(std::move(st)).is_ok());
    std::unique_ptr<SamplerStage> k1, k2;
    REQUIRE(make_top_k(40, &k1).is_ok());
    REQUIRE(make_top_k(40, &k2).is_ok());
    REQUIRE(narrowed.add(std::move(k1)).is_ok());
    REQUIRE(make_grammar(kGrammar, "root", vocab, &st).is_ok());
    REQUIRE(narrowed.add(std::move(st)).is_ok());
    REQUIRE(topk_only.add(std::move(k2)).is_ok());
    Grammar g;
    REQUIRE(parse_gbnf(kGrammar, "root", &g).is_ok());
    GrammarMatcher ref(std::move(g));
    GrammarMatcher::State at = ref.start();

    std::mt19937_64 rng(11);
    std::normal_distribution<float> normal;
    std::vector<float> logits(static_cast<size_t>(n_vocab));
    int ended = 0;
    for (int step = 0; step < 400; step++) {
        for (float &x : logits) x = normal(rng);
        int32_t a = -1, b = -1, c = -1;
        REQUIRE(full.sample(logits.data(), n_vocab, &a).is_ok());
        std::set<int32_t> allowed = kept(full);
        std::set<int32_t> expect;
        for (int32_t id = 0; id < n_vocab; id++) {
            const std::string &p = vocab.pieces[size_t(id)];
            bool ok = id == eog ? ref.can_end(at) : !p.empty() && ref.step_all(at, p) != GrammarMatcher::kDead;
            if (ok) expect.insert(id);
        }
        REQUIRE(allowed == expect);
        REQUIRE(topk_only.sample(logits.data(), n_vocab, &c).is_ok());
        std::set<int32_t> both;
        for (int32_t id : kept(topk_only))
            if (allowed.count(id)) both.insert(id);
        Status s = narrowed.sample(logits.data(), n_vocab, &b);
        if (both.empty()) {
            CHECK(s.code() == LOOM_ERR_INVALID_ARGUMENT);
        } else {
            REQUIRE(s.is_ok());
            CHECK(kept(narrowed) == both);
        }
        // Walk on with a random allowed token (the end token restarts the text).
        auto it = allowed.begin();
        std::advance(it, long(rng() % allowed.size()));
        REQUIRE(full.accept(*it).is_ok());
        if (!both.empty() || *it != eog) REQUIRE(narrowed.accept(*it).is_ok());
        if (*it == eog) {
            full.reset();
            narrowed.reset();
            at = ref.start();
            ended++;
        } else {
            at = ref.step_all(at, vocab.pieces[size_t(*it)]);
        }
        if (!ref.can_end(at)) CHECK(full.accept(eog).code() == LOOM_ERR_INVALID_ARGUMENT);
    }
    CHECK(ended > 0);
}
