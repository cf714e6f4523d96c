// The tool-call parser of `loom serve` (examples/loom/serve/tool_call_parser.h)
// and the rule renaming that lets several tool schemas share one grammar.
#include "tool_call_parser.h"
#include "tools_request.h"

#include "grammar/grammar.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

namespace {

struct Parsed {
    std::string content;
    std::vector<serve::ToolCall> calls;
};

// `text` fed in pieces cut at `cuts` (byte offsets), then finished.
Parsed parse_cut(const std::string &text, std::vector<size_t> cuts) {
    serve::ToolCallParser p;
    Parsed out;
    size_t at = 0;
    cuts.push_back(text.size());
    for (size_t cut : cuts) {
        p.push(std::string_view(text).substr(at, cut - at), &out.content, &out.calls);
        at = cut;
    }
    p.finish(&out.content, &out.calls);
    return out;
}

Parsed parse(const std::string &text) { return parse_cut(text, {}); }

std::vector<std::pair<std::string, std::string>> names_args(const Parsed &p) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const serve::ToolCall &c : p.calls) out.emplace_back(c.name, c.arguments);
    return out;
}

const std::string kTwoCalls =
    "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Z\xC3\xBCrich\", \"b\": [1, 2.5], "
    "\"a\": null}}\n</tool_call>\n<tool_call>\n{\"name\": \"set_alarm\", \"arguments\": {}}\n</tool_call>";

} // namespace

TEST_CASE("tool_call_blocks_become_calls_and_text_stays_content", "[serve]") {
    Parsed p = parse(kTwoCalls);
    CHECK(p.content == "Let me check.");
    REQUIRE(p.calls.size() == 2);
    // Arguments as compact JSON, members in the model's order.
    CHECK(names_args(p) == std::vector<std::pair<std::string, std::string>>{
                               {"get_weather", "{\"city\":\"Z\xC3\xBCrich\",\"b\":[1,2.5],\"a\":null}"}, {"set_alarm", "{}"}});
    CHECK(p.calls[0].id.size() == 5 + 24);
    CHECK(p.calls[0].id.rfind("call_", 0) == 0);
    CHECK(p.calls[0].id != p.calls[1].id);
}

TEST_CASE("every_streamed_split_gives_the_whole_replys_result", "[serve]") {
    const std::vector<std::string> texts = {
        kTwoCalls,
        "plain text, no calls \n\t",
        "a <tool_cal and <tool_call>not json</tool_call> after",
        "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": \"</tool\"}}\n</tool_call> tail text\n",
        "cut off <tool_call>\n{\"name\": \"f\", \"argu",
        "<<tool_call>{\"name\":\"g\",\"arguments\":\"{\\\"k\\\": 1}\"}</tool_call><tool_call>",
    };
    std::mt19937 rng(16);
    for (const std::string &text : texts) {
        const Parsed whole = parse(text);
        for (int trial = 0; trial < 200; ++trial) {
            std::vector<size_t> cuts;
            if (trial == 0) for (size_t i = 1; i < text.size(); ++i) cuts.push_back(i);   // byte by byte
            else for (size_t i = 1; i < text.size(); ++i) if (rng() % 4 == 0) cuts.push_back(i);
            const Parsed split = parse_cut(text, cuts);
            INFO(text << " cut " << cuts.size() << " times");
            CHECK(split.content == whole.content);
            CHECK(names_args(split) == names_args(whole));
        }
    }
}

TEST_CASE("malformed_or_partial_blocks_stay_text", "[serve]") {
    CHECK(parse("plain text, no calls \n\t").content == "plain text, no calls \n\t");   // no call: kept whole
    Parsed bad = parse("a <tool_cal and <tool_call>not json</tool_call> after");
    CHECK(bad.content == "a <tool_cal and <tool_call>not json</tool_call> after");
    CHECK(bad.calls.empty());
    Parsed no_name = parse("<tool_call>{\"arguments\": {}}</tool_call>");
    CHECK(no_name.content == "<tool_call>{\"arguments\": {}}</tool_call>");
    Parsed cut = parse("cut off <tool_call>\n{\"name\": \"f\", \"argu");
    CHECK(cut.content == "cut off <tool_call>\n{\"name\": \"f\", \"argu");
    CHECK(cut.calls.empty());
    // An unclosed block whose JSON is whole is still a call (a reply cut at </tool_call>).
    Parsed unclosed = parse("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n");
    CHECK(unclosed.content.empty());
    CHECK(names_args(unclosed) == std::vector<std::pair<std::string, std::string>>{{"f", "{\"x\":1}"}});
    // String arguments are passed on as they are; whitespace next to calls is not content.
    Parsed str = parse("<<tool_call>{\"name\":\"g\",\"arguments\":\"{\\\"k\\\": 1}\"}</tool_call>");
    CHECK(str.content == "<");
    CHECK(names_args(str) == std::vector<std::pair<std::string, std::string>>{{"g", "{\"k\": 1}"}});
    Parsed tail = parse("<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>\n  tail text\n");
    CHECK(tail.content == "tail text");
}

TEST_CASE("prefix_rules_renames_rules_only", "[serve]") {
    const std::string g = "root ::= \"a-b\" item{1,3} [a-z0-9] # note root\nitem ::= (\"\\\"x\" | space)*\nspace ::= \" \"?\n";
    CHECK(serve::prefix_rules(g, "t0-") ==
          "t0-root ::= \"a-b\" t0-item{1,3} [a-z0-9] # note root\nt0-item ::= (\"\\\"x\" | t0-space)*\nt0-space ::= \" \"?\n");
}

TEST_CASE("required_tool_choice_grammar_parses_and_names_each_tool", "[serve]") {
    const serve::RequestJson body = serve::RequestJson::parse(R"({
        "tools": [{"type": "function", "function": {"name": "a_1", "parameters": {"type": "object",
                     "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 9}}, "required": ["n"]}}},
                  {"type": "function", "function": {"name": "b-2"}}],
        "tool_choice": "required"})");
    serve::ToolsRequest t = serve::parse_tools(body, false);
    CHECK(t.parse_calls);
    CHECK(t.tools_json.find("\"name\":\"a_1\"") != std::string::npos);
    CHECK(t.grammar.find("<tool_call>\\n{\\\"name\\\": \\\"a_1\\\", \\\"arguments\\\": \" t0-root") != std::string::npos);
    CHECK(t.grammar.find("\\\"b-2\\\", \\\"arguments\\\": \" t1-root") != std::string::npos);
    // The library's GBNF parser takes it (a grammar that does not parse fails the test).
    loom::Grammar g;
    loom::Status st = loom::parse_gbnf(t.grammar, "root", &g);
    INFO(st.message() << "\n" << t.grammar);
    CHECK(st.is_ok());
}
