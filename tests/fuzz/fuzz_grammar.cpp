// The GBNF parser and the matcher: input = grammar text, a NUL, then text to
// match. Parsing succeeds or fails with FORMAT; a parsed grammar then runs
// over the text, where the state after the text must not depend on where the
// text is cut, nor on a compact() in between, and a trie walk over the text's
// slices must allow exactly the slices that step alive.
#include "fuzz_support.h"
#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "grammar/token_trie.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string in(reinterpret_cast<const char *>(data), size);
    size_t nul = in.find('\0');
    std::string gbnf = in.substr(0, nul), text = nul == std::string::npos ? "" : in.substr(nul + 1);
    loom::Grammar g;
    loom::Status st = loom::parse_gbnf(gbnf, "root", &g);
    if (!st.is_ok()) {
        FUZZ_ASSERT(st.code() == LOOM_ERR_FORMAT && !st.message().empty());
        return 0;
    }
    using M = loom::GrammarMatcher;
    M whole(g), split(std::move(g));
    M::State a = whole.step_all(whole.start(), text);
    size_t cut = text.size() / 2;
    M::State b = split.step_all(split.start(), text.substr(0, cut));
    if (b != M::kDead) b = split.compact(b);
    b = split.step_all(b, text.substr(cut));
    if (!whole.overflow() && !split.overflow()) {
        FUZZ_ASSERT((a == M::kDead) == (b == M::kDead));
        FUZZ_ASSERT(whole.can_end(a) == split.can_end(b));
    }
    std::vector<std::string> pieces;
    for (size_t i = 0; i + 1 < text.size() && pieces.size() < 64; i += 2) pieces.push_back(text.substr(i, 1 + i % 5));
    loom::TokenTrie trie(pieces);
    whole.reset_overflow();
    M::State s = whole.start();
    if (s == M::kDead) return 0;
    std::vector<uint8_t> walked(pieces.size(), 0);
    trie.walk(whole, s, [&](int32_t id) { walked[size_t(id)]++; });
    if (whole.overflow()) return 0;
    for (size_t id = 0; id < pieces.size(); id++)
        FUZZ_ASSERT(walked[id] == (whole.step_all(s, pieces[id]) != M::kDead ? 1 : 0) || whole.overflow());
    return 0;
}
