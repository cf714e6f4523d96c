// Live parity: loom's tool rendering (render_chatml with tools and tool
// calls, and loom_chat_apply_tools) against Qwen2.5-Instruct's published
// template run by Jinja2 (tests/chat/jinja_render.py, Hugging Face's tojson)
// on hand-written and randomized conversations: nested and non-ASCII
// arguments, numbers in every JSON spelling, several calls, tool responses.
#include "chat/chatml.h"
#include "loom.h"
#include "testdata.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <vector>

namespace {

// One message in two spellings: loom's tool_calls (arguments as a JSON string
// when `string_args`, as OpenAI sends them) and the Jinja side's (arguments as
// the JSON value itself, as Hugging Face's chat format has them).
struct ToolMessage {
    std::string role, content, loom_calls, jinja_calls;   // calls: "" for none
};

struct ToolCase {
    std::vector<ToolMessage> messages;
    std::string tools;   // JSON text, "" for none
    bool add_generation_prompt = true;
};

std::string quote(const std::string &s) { return nlohmann::json(s).dump(); }

// Random JSON text: every number spelling Python reads differently, strings
// with escapes, controls and non-ASCII, nesting.
class JsonGen {
public:
    explicit JsonGen(uint64_t seed) : rng_(seed) {}

    std::string value(int depth) {
        switch (pick(depth > 2 ? 4 : 6)) {
        case 0: return number();
        case 1: return quote(text());
        case 2: return pick(2) ? "true" : "false";
        case 3: return "null";
        case 4: return object(depth + 1);
        default: return array(depth + 1);
        }
    }

    std::string object(int depth) {
        std::string s = "{";
        for (int i = 0, n = pick(5); i < n; ++i)
            s += (i ? ", " : "") + quote(text() + std::to_string(i)) + (pick(2) ? ":" : " : ") + value(depth);
        return s + "}";
    }

    std::string array(int depth) {
        std::string s = "[";
        for (int i = 0, n = pick(4); i < n; ++i) s += (i ? "," : "") + value(depth);
        return s + "]";
    }

    std::string text() {
        static const char *pieces[] = {"city", " ", "\\n", "\\t", "\\u0001", "\\u001f", "\\\"", "\\\\", "/", "\\/",
                                       "\xC3\xA9", "\xE6\xBC\xA2\xE5\xAD\x97", "\xF0\x9F\x99\x82", "\\u00e9",
                                       "\\ud83d\\ude42", "\x7f", "<tool_call>", "{\\\"a\\\": 1}", "'", ""};
        std::string s;
        for (int k = pick(5); k > 0; --k) s += pieces[pick(sizeof pieces / sizeof *pieces)];
        return nlohmann::json::parse("\"" + s + "\"").get<std::string>();
    }

    std::string number() {
        static const char *fixed[] = {"0", "-0", "7", "-12", "123456789012345678901234567890", "1.0", "1.50",
                                      "-0.0", "0.1", "1e2", "1E-7", "2.5e+20", "1e16", "1e15", "0.0001", "0.00001",
                                      "1e400", "-1e400", "1e-400", "-1e-400", "123456789.123456789", "5e-324"};
        if (pick(2)) return fixed[pick(sizeof fixed / sizeof *fixed)];
        std::uniform_real_distribution<double> mant(-10.0, 10.0);
        char buf[64];
        std::snprintf(buf, sizeof buf, pick(2) ? "%.17g" : "%.3g", mant(rng_) * std::pow(10.0, pick(40) - 20));
        std::string s = buf;
        if (s.find_first_of(".e") == std::string::npos) s += ".5";   // a float literal
        return s;
    }

    int pick(size_t n) { return static_cast<int>(rng_() % n); }

private:
    std::mt19937_64 rng_;
};

std::string random_tools(JsonGen &g) {
    int n = g.pick(4);
    if (n == 0) return g.pick(2) ? "" : "[]";
    std::string s = "[";
    for (int i = 0; i < n; ++i)
        s += (i ? "," : "") + std::string("{\"type\": \"function\", \"function\": {\"name\": ") +
             quote("fn_" + std::to_string(i)) + ", \"description\": " + quote(g.text()) +
             ", \"parameters\": " + g.object(1) + "}}";
    return s + "]";
}

// An assistant message with 1..3 calls; each call's arguments a random object.
ToolMessage random_calls(JsonGen &g) {
    ToolMessage m{"assistant", g.pick(2) ? g.text() : "", "[", "["};
    for (int i = 0, n = 1 + g.pick(3); i < n; ++i) {
        std::string args = g.object(1), name = quote("fn_" + std::to_string(g.pick(3)));
        bool flat = g.pick(4) == 0;   // {"name", "arguments"} without "function"
        auto call = [&](const std::string &a) {
            std::string fn = "{\"name\": " + name + ", \"arguments\": " + a + "}";
            return flat ? fn : "{\"id\": \"call_" + std::to_string(i) + "\", \"type\": \"function\", \"function\": " + fn + "}";
        };
        m.loom_calls += (i ? "," : "") + call(g.pick(2) ? quote(args) : args);
        m.jinja_calls += (i ? "," : "") + call(args);
    }
    m.loom_calls += "]";
    m.jinja_calls += "]";
    return m;
}

std::vector<ToolCase> random_cases(uint64_t seed, int n) {
    JsonGen g(seed);
    std::vector<ToolCase> out(static_cast<size_t>(n));
    for (ToolCase &c : out) {
        c.tools = random_tools(g);
        if (g.pick(2)) c.messages.push_back({"system", g.text(), "", ""});
        for (int i = 0, n_msg = 1 + g.pick(6); i < n_msg; ++i) {
            switch (g.pick(4)) {
            case 0: c.messages.push_back({"user", g.text(), "", ""}); break;
            case 1: c.messages.push_back(random_calls(g)); break;
            case 2: c.messages.push_back({"tool", g.text(), "", ""}); break;
            default: c.messages.push_back({"assistant", g.text(), "", g.pick(2) ? "" : "[]"}); break;
            }
            c.messages.back().loom_calls = c.messages.back().loom_calls.empty() ? c.messages.back().jinja_calls
                                                                                 : c.messages.back().loom_calls;
        }
        c.add_generation_prompt = g.pick(3) != 0;
    }
    return out;
}

// The documentation's example: a weather tool, two calls, two responses.
ToolCase weather_case() {
    ToolCase c;
    c.tools = R"([{"type": "function", "function": {"name": "get_weather", "description": "Météo d'une ville — 天气",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                  "unit": {"type": "string", "enum": ["c", "f"]}, "days": {"type": "integer", "minimum": 1,
                  "maximum": 7.0}}, "required": ["city"]}}}])";
    std::string calls = R"([{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": )";
    c.messages = {{"user", "Weather in Zürich and 東京?", "", ""},
                  {"assistant", "",
                   calls + quote(R"({"city": "Zürich", "unit": "c"})") + R"(}}, {"function": {"name": "get_weather",
                   "arguments": "{\"city\":\"東京\",\"opts\":{\"days\":[1,2.50,3e0]}}"}}])",
                   calls + R"({"city": "Zürich", "unit": "c"}}}, {"function": {"name": "get_weather",
                   "arguments": {"city":"東京","opts":{"days":[1,2.50,3e0]}}}}])"},
                  {"tool", "{\"temp\": 21}", "", ""},
                  {"tool", "晴れ, 25°C", "", ""}};
    return c;
}

std::string jinja_request(const std::string &tmpl, const std::vector<ToolCase> &cases) {
    std::string req = "{\"template\":" + quote(tmpl) + ",\"cases\":[";
    for (size_t i = 0; i < cases.size(); ++i) {
        const ToolCase &c = cases[i];
        req += std::string(i ? "," : "") + "{\"add_generation_prompt\":" + (c.add_generation_prompt ? "true" : "false");
        if (!c.tools.empty()) req += ",\"tools\":" + c.tools;
        req += ",\"messages\":[";
        for (size_t k = 0; k < c.messages.size(); ++k) {
            const ToolMessage &m = c.messages[k];
            req += std::string(k ? "," : "") + "{\"role\":" + quote(m.role) + ",\"content\":" + quote(m.content);
            if (!m.jinja_calls.empty()) req += ",\"tool_calls\":" + m.jinja_calls;
            req += "}";
        }
        req += "]}";
    }
    return req + "]}";
}

std::vector<std::string> jinja_render(const std::string &tmpl, const std::vector<ToolCase> &cases) {
    std::string req = jinja_request(tmpl, cases), in = testdata::scratch_dir() + "/jinja_tools_req.json";
    REQUIRE(testdata::write_file(in, req.data(), req.size()));
    int status = -1;
    std::string out = testdata::capture(
        "/usr/bin/python3 '" + testdata::source_path("chat/jinja_render.py") + "' < '" + in + "'", &status);
    REQUIRE(status == 0);
    std::vector<std::string> rendered = nlohmann::json::parse(out).get<std::vector<std::string>>();
    REQUIRE(rendered.size() == cases.size());
    return rendered;
}

std::string read_text(const std::string &path) {
    std::vector<uint8_t> raw = testdata::read_file(path);
    return std::string(raw.begin(), raw.end());
}

void require_jinja() {
    if (testdata::run("/usr/bin/python3 -c 'import jinja2' 2>/dev/null") != 0) testdata::exit_missing("python3-jinja2");
}

std::string render(const loom::ChatMLStyle &style, const ToolCase &c, loom::Status *status) {
    std::vector<loom::ChatMessage> msgs;
    for (const ToolMessage &m : c.messages) msgs.push_back({m.role, m.content, m.loom_calls});
    std::string got;
    *status = loom::render_chatml(style, msgs, c.add_generation_prompt, &got, c.tools);
    return got;
}

} // namespace

TEST_CASE("tool_rendering_matches_jinja_qwen25", "[chat][parity][tools]") {
    require_jinja();
    const std::string tmpl = read_text(testdata::source_path("chat/templates/qwen2.5-instruct.jinja"));
    std::vector<ToolCase> cases = random_cases(16, 400);
    cases.insert(cases.begin(), weather_case());
    std::vector<std::string> want = jinja_render(tmpl, cases);
    const loom::ChatMLStyle style = loom::chatml_style(tmpl);
    for (size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << ": " << jinja_request("", {cases[i]}));
        loom::Status st;
        std::string got = render(style, cases[i], &st);
        REQUIRE(st.is_ok());
        CHECK(got == want[i]);
    }
    // The example really has the tools block and both calls.
    CHECK(want[0].find("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"") != std::string::npos);
    CHECK(want[0].find("\"arguments\": {\"city\": \"東京\", \"opts\": {\"days\": [1, 2.5, 3.0]}}") != std::string::npos);
}

TEST_CASE("chat_apply_tools_renders_through_the_c_api", "[chat][parity][tools]") {
    require_jinja();
    REQUIRE_REF_OR_SKIP();
    // The tiny model with Qwen2.5-Instruct's template in its GGUF.
    const std::string dir = testdata::scratch_dir(), path = dir + "/tools_qwen25.gguf";
    const std::string tmpl = read_text(testdata::source_path("chat/templates/qwen2.5-instruct.jinja"));
    std::string tiny = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(testdata::run("/usr/bin/python3 '" + testdata::source_path("chat/gguf_set_template.py") + "' '" + tiny +
                          "' '" + path + "' '@" + testdata::source_path("chat/templates/qwen2.5-instruct.jinja") +
                          "'") == 0);
    loom_model_params p;
    loom_model_default_params(&p);
    p.vocab_only = 1;
    loom_model *m = nullptr;
    REQUIRE(loom_model_load(path.c_str(), &p, &m) == LOOM_OK);
    ToolCase c = weather_case();
    std::vector<const char *> roles, contents, calls;
    for (const ToolMessage &msg : c.messages)
        roles.push_back(msg.role.c_str()), contents.push_back(msg.content.c_str()),
            calls.push_back(msg.loom_calls.empty() ? nullptr : msg.loom_calls.c_str());
    size_t size = 0;
    REQUIRE(loom_chat_apply_tools(m, roles.data(), contents.data(), calls.data(), roles.size(), c.tools.c_str(),
                                  LOOM_CHAT_ADD_GENERATION_PROMPT, nullptr, 0, &size) == LOOM_ERR_BUFFER_TOO_SMALL);
    std::string got(size, '\0');
    REQUIRE(loom_chat_apply_tools(m, roles.data(), contents.data(), calls.data(), roles.size(), c.tools.c_str(),
                                  LOOM_CHAT_ADD_GENERATION_PROMPT, &got[0], size, &size) == LOOM_OK);
    CHECK(got == jinja_render(tmpl, {c})[0]);
    // Malformed inputs name what is wrong.
    CHECK(loom_chat_apply_tools(m, roles.data(), contents.data(), calls.data(), roles.size(), "{\"a\":1}", 0, nullptr,
                                0, &size) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("tools must be a JSON array") != std::string::npos);
    const char *bad[] = {nullptr, "[{\"function\": {\"arguments\": {}}}]", nullptr, nullptr};
    CHECK(loom_chat_apply_tools(m, roles.data(), contents.data(), bad, roles.size(), nullptr, 0, nullptr, 0, &size) ==
          LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::string(loom_last_error()).find("chat message 1: tool call 0") != std::string::npos);
    loom_model_free(m);

    // Qwen2's template has no place for tools: refused, not dropped.
    loom_model *q2 = nullptr;
    REQUIRE(loom_model_load(tiny.c_str(), &p, &q2) == LOOM_OK);
    CHECK(loom_chat_apply_tools(q2, roles.data(), contents.data(), nullptr, 1, c.tools.c_str(), 0, nullptr, 0,
                                &size) == LOOM_ERR_UNSUPPORTED);
    CHECK(loom_chat_apply_tools(q2, roles.data(), contents.data(), calls.data(), 2, nullptr, 0, nullptr, 0, &size) ==
          LOOM_ERR_UNSUPPORTED);
    CHECK(loom_chat_apply_tools(q2, roles.data(), contents.data(), nullptr, 1, "[]", 0, nullptr, 0, &size) ==
          LOOM_ERR_BUFFER_TOO_SMALL);   // no tools: rendered
    loom_model_free(q2);
}
