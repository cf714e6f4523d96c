// GBNF parsing (errors with line and column, limits) and the matcher over
// bytes: which strings a grammar accepts, fed whole and split at every byte.
#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "grammar/token_trie.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace loom;

namespace {

Grammar parse_ok(const std::string &text) {
    Grammar g;
    Status st = parse_gbnf(text, "root", &g);
    INFO(st.message());
    REQUIRE(st.is_ok());
    return g;
}

std::string parse_error(const std::string &text) {
    Grammar g;
    Status st = parse_gbnf(text, "root", &g);
    REQUIRE(st.code() == LOOM_ERR_FORMAT);
    return st.message();
}

// Whole-string acceptance, checked the same with a fresh matcher per prefix
// split: the state after `s` must not depend on how it was cut.
bool accepts(const std::string &gbnf, const std::string &s) {
    GrammarMatcher m(parse_ok(gbnf));
    GrammarMatcher::State whole = m.step_all(m.start(), s);
    for (size_t cut = 0; cut <= s.size(); cut++) {
        GrammarMatcher fresh(parse_ok(gbnf));
        GrammarMatcher::State a = fresh.step_all(fresh.start(), s.substr(0, cut));
        GrammarMatcher::State b = fresh.step_all(a, s.substr(cut));
        REQUIRE(fresh.can_end(b) == m.can_end(whole));
    }
    return m.can_end(whole);
}

// True when `s` can be continued to a sentence or is one (not dead).
bool viable_prefix(const std::string &gbnf, const std::string &s) {
    GrammarMatcher m(parse_ok(gbnf));
    return m.step_all(m.start(), s) != GrammarMatcher::kDead;
}

const char *kJson = R"(root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws

object ::=
  "{" ws (
            string ":" ws value
    ("," ws string ":" ws value)*
  )? "}" ws

array  ::=
  "[" ws (
            value
    ("," ws value)*
  )? "]" ws

string ::=
  "\"" (
    [^"\\\x7F\x00-\x1F] |
    "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
  )* "\"" ws

number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

# Optional space: by convention, applied in this grammar after literal chars when allowed
ws ::= | " " | "\n" [ \t]{0,20}
)";

} // namespace

TEST_CASE("parser reports line and column of malformed grammars", "[grammar]") {
    CHECK_THAT(parse_error("root ::= foo\n"), Catch::Contains("line 1, column 10") && Catch::Contains("'foo'"));
    CHECK_THAT(parse_error("root ::= \"a\"\nx ::= \"abc\n"), Catch::Contains("line 2, column 7") &&
                                                                Catch::Contains("unterminated string"));
    CHECK_THAT(parse_error("root ::= [a-z\n"), Catch::Contains("line 1, column 10"));
    CHECK_THAT(parse_error("root := \"a\"\n"), Catch::Contains("line 1, column 6") && Catch::Contains("::="));
    CHECK_THAT(parse_error("root ::= (\"a\" | \"b\"\n"), Catch::Contains("line 1, column 10") &&
                                                          Catch::Contains("unclosed"));
    CHECK_THAT(parse_error("root ::= \"a\" )\n"), Catch::Contains("line 1, column 14"));
    CHECK_THAT(parse_error("\n\nroot ::= \"\\q\"\n"), Catch::Contains("line 3, column 11") &&
                                                   Catch::Contains("unknown escape"));
    CHECK_THAT(parse_error("root ::= \"\\x4\"\n"), Catch::Contains("hex digits"));
    CHECK_THAT(parse_error("root ::= \"\\U00110000\"\n"), Catch::Contains("past U+10FFFF"));
    CHECK_THAT(parse_error("root ::= [z-a]\n"), Catch::Contains("reversed"));
    CHECK_THAT(parse_error("root ::= []\n"), Catch::Contains("empty character class"));
    CHECK_THAT(parse_error("root ::= * \"a\"\n"), Catch::Contains("nothing before it"));
    CHECK_THAT(parse_error("root ::= \"a\"{3,2}\n"), Catch::Contains("max < min"));
    CHECK_THAT(parse_error("root ::= \"a\"{5000}\n"), Catch::Contains("over 4096"));
    CHECK_THAT(parse_error("root ::= <think>\n"), Catch::Contains("token matches"));
    CHECK_THAT(parse_error("root ::= \"a\"\nroot ::= \"b\"\n"), Catch::Contains("line 2, column 1") &&
                                                             Catch::Contains("defined twice"));
    CHECK_THAT(parse_error("start ::= \"a\"\n"), Catch::Contains("no rule named 'root'"));
    CHECK_THAT(parse_error("root ::= \"\xff\"\n"), Catch::Contains("invalid UTF-8"));
}

TEST_CASE("parser refuses left recursion, direct, indirect and behind nullable rules", "[grammar]") {
    CHECK_THAT(parse_error("root ::= root \"a\" | \"b\"\n"), Catch::Contains("left-recursive"));
    CHECK_THAT(parse_error("root ::= x\nx ::= y \"a\"\ny ::= root | \"b\"\n"),
               Catch::Contains("left-recursive") && Catch::Contains("->"));
    CHECK_THAT(parse_error("root ::= e root \"x\" | \"y\"\ne ::= \"\" | \"z\"\n"), Catch::Contains("left-recursive"));
    CHECK_THAT(parse_error("root ::= (\"a\"? root) | \"b\"\n"), Catch::Contains("left-recursive"));
    // Right recursion and recursion after a terminal are fine.
    CHECK(accepts("root ::= \"a\" root | \"b\"\n", "aaab"));
    CHECK(accepts("root ::= \"(\" root \")\" | \"\"\n", "((()))"));
    CHECK_FALSE(accepts("root ::= \"(\" root \")\" | \"\"\n", "(()"));
}

TEST_CASE("parser limits nesting, size and repetition before allocating", "[grammar]") {
    std::string deep = "root ::= " + std::string(200, '(') + "\"a\"" + std::string(200, ')') + "\n";
    CHECK_THAT(parse_error(deep), Catch::Contains("nested deeper than 64"));
    std::string ok_deep = "root ::= " + std::string(60, '(') + "\"a\"" + std::string(60, ')') + "\n";
    CHECK(accepts(ok_deep, "a"));
    CHECK_THAT(parse_error("root ::= " + std::string(size_t(1) << 20, ' ') + "\"a\"\n"),
               Catch::Contains("over the limit"));
    // Expanded repetitions are counted: 4096 copies of a 300-character literal.
    CHECK_THAT(parse_error("root ::= \"" + std::string(300, 'a') + "\"{4096}\n"), Catch::Contains("symbols"));
    // A repeated group is one symbol per copy: 4096 x 4096 stays small.
    CHECK(accepts("root ::= ((\"ab\"{4096}){4096}) | \"x\"\n", "x"));
}

TEST_CASE("repetition operators match the counts they name", "[grammar]") {
    const char *g = "root ::= \"a\"{2,3} \"b\"* \"c\"+ \"d\"? \"e\"{2} \"f\"{1,}\n";
    CHECK(accepts(g, "aaccceef"));
    CHECK(accepts(g, "aaabbbcdeeff"));
    CHECK_FALSE(accepts(g, "accceef"));      // one a
    CHECK_FALSE(accepts(g, "aaaacceef"));    // four a
    CHECK_FALSE(accepts(g, "aaeef"));        // no c
    CHECK_FALSE(accepts(g, "aacddeef"));     // two d
    CHECK_FALSE(accepts(g, "aaceeef"));      // three e
    CHECK_FALSE(accepts(g, "aacee"));        // no f
    // A repeated literal repeats whole; a repeated group too.
    CHECK(accepts("root ::= \"ab\"{2}\n", "abab"));
    CHECK_FALSE(accepts("root ::= \"ab\"{2}\n", "abb"));
    CHECK(accepts("root ::= (\"x\" | \"yz\")* \"!\"\n", "xyzxx!"));
}

TEST_CASE("character classes, escapes, comments and any-character", "[grammar]") {
    CHECK(accepts("root ::= [a-cx] [^a-z]\n", "b7"));
    CHECK_FALSE(accepts("root ::= [a-cx] [^a-z]\n", "bq"));
    CHECK(accepts("root ::= \"\\x41\\u00e9\\U0001F600\\n\\t\\\\\\\"\\[\\]\\-\"\n",
                  "A\xc3\xa9\xf0\x9f\x98\x80\n\t\\\"[]-"));
    CHECK(accepts("# leading comment\nroot ::= x # trailing\n\n# between\nx ::= \"x\"\n", "x"));
    CHECK(accepts("root ::= . . .\n", "a\xc3\xa9\xe2\x82\xac"));
    CHECK(accepts("root ::= [ぁ-ゟ]+\n", "ぁあゟ"));
    CHECK_FALSE(accepts("root ::= [ぁ-ゟ]+\n", "ぁa"));
    CHECK(accepts("root ::=\n  \"a\" |\n  \"b\"\n", "b"));
    CHECK(accepts("root ::= | \"b\"\n", ""));
}

TEST_CASE("matcher needs valid UTF-8 and prunes split sequences early", "[grammar]") {
    const char *any = "root ::= .*\n";
    CHECK(accepts(any, "\xc3\xa9\xf0\x9f\x98\x80"));
    CHECK_FALSE(viable_prefix(any, "\x80"));             // stray continuation
    CHECK_FALSE(viable_prefix(any, "\xc0\x80"));         // overlong
    CHECK_FALSE(viable_prefix(any, "\xed\xa0\x80"));     // surrogate
    CHECK_FALSE(viable_prefix(any, "\xf4\x90\x80\x80")); // past U+10FFFF
    CHECK_FALSE(accepts(any, "\xc3"));                   // unfinished at the end
    CHECK(viable_prefix(any, "\xc3"));
    // A class of 3-byte characters only: a 2-byte lead dies at once.
    CHECK_FALSE(viable_prefix("root ::= [ぁ-ゟ]\n", "\xc3"));
    CHECK(viable_prefix("root ::= [ぁ-ゟ]\n", "\xe3\x81"));
    CHECK_FALSE(viable_prefix("root ::= [ぁ-ゟ]\n", "\xe3\x80"));   // U+300x: below the range
}

TEST_CASE("json grammar accepts JSON and refuses near misses", "[grammar]") {
    CHECK(accepts(kJson, "{\"a\": [1, 2.5, \"x\\u00e9\", true], \"b\": null, \"c\": {}}"));
    CHECK(accepts(kJson, "{\n  \"k\": -0.5e+3\n}"));
    CHECK(accepts(kJson, "{\"\xc3\xa9\xe2\x82\xac\": []}"));
    CHECK_FALSE(accepts(kJson, "{\"a\" 1}"));
    CHECK_FALSE(accepts(kJson, "{\"a\": 01}"));
    CHECK_FALSE(accepts(kJson, "{\"a\": \"\x01\"}"));
    CHECK_FALSE(accepts(kJson, "[1]"));   // root is an object
    CHECK_FALSE(accepts(kJson, "{\"a\": 1"));
    CHECK(viable_prefix(kJson, "{\"a\": [1, "));
}

TEST_CASE("matcher limits ambiguity and depth instead of exhausting memory", "[grammar]") {
    // Every split of a run of a's into x's and y's is a parse: refused past the limit.
    GrammarMatcher amb(parse_ok("root ::= (x | y)*\nx ::= \"a\"+\ny ::= \"a\"+\n"));
    GrammarMatcher::State s = amb.start();
    for (int i = 0; i < 64 && s != GrammarMatcher::kDead; i++) s = amb.step(s, 'a');
    // Either the parses were merged (hash-consed stacks) or the limit spoke; never a crash.
    CHECK((s != GrammarMatcher::kDead || amb.overflow()));
    GrammarMatcher deep(parse_ok("root ::= \"(\" root \")\" | \"x\"\n"));
    s = deep.start();
    for (uint32_t i = 0; i < GrammarMatcher::kMaxDepth + 10 && s != GrammarMatcher::kDead; i++) s = deep.step(s, '(');
    CHECK(s == GrammarMatcher::kDead);
    CHECK_THAT(deep.overflow_message(), Catch::Contains("deeper"));
}

TEST_CASE("closing deep nesting pops every level without recursion", "[grammar]") {
    GrammarMatcher m(parse_ok("root ::= \"[\" root? \"]\" ws\nws ::= \" \"?\n"));
    std::string text = std::string(3000, '[') + std::string(3000, ']');
    CHECK(m.can_end(m.step_all(m.start(), text)));
    CHECK_FALSE(m.can_end(m.step_all(m.start(), text.substr(1))));
}

TEST_CASE("compact keeps the state's meaning", "[grammar]") {
    GrammarMatcher m(parse_ok(kJson));
    GrammarMatcher::State s = m.step_all(m.start(), "{\"a\": [[1, ");
    s = m.compact(s);
    CHECK(m.can_end(m.step_all(s, "2]]}")));
    CHECK(m.step_all(s, "2]}}") == GrammarMatcher::kDead);
}

TEST_CASE("token trie walk allows exactly the tokens that step alive", "[grammar]") {
    std::vector<std::string> pieces = {"{", "{\"", "\"", "a", "ab", "", "}", " ", "{\"a", "\xc3", "\xa9", "\xc3\xa9",
                                       "x", "ab", "\"}"};
    TokenTrie trie(pieces);
    GrammarMatcher m(parse_ok(kJson));
    for (const std::string &prefix : {std::string(""), std::string("{"), std::string("{\"a"), std::string("{\"\xc3")}) {
        GrammarMatcher::State s = m.step_all(m.start(), prefix);
        REQUIRE(s != GrammarMatcher::kDead);
        std::set<int32_t> walked;
        trie.walk(m, s, [&](int32_t id) { CHECK(walked.insert(id).second); });
        std::set<int32_t> direct;
        for (size_t id = 0; id < pieces.size(); id++)
            if (!pieces[id].empty() && m.step_all(s, pieces[id]) != GrammarMatcher::kDead) direct.insert(int32_t(id));
        INFO("prefix " << prefix);
        CHECK(walked == direct);
        CHECK_FALSE(direct.empty());
    }
}
