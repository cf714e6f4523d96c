// Built-in ChatML rendering against Jinja2 renderings of the real templates
// (golden/chatml.json, made by make_golden.py).
#include "chat/chatml.h"
#include "testdata.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace {

std::string read_text(const std::string &rel) {
    std::vector<uint8_t> raw = testdata::read_file(testdata::source_path(rel));
    return std::string(raw.begin(), raw.end());
}

std::vector<loom::ChatMessage> messages_of(const nlohmann::json &list) {
    std::vector<loom::ChatMessage> out;
    // ChatMessage holds views: point them into the document's own strings.
    for (const nlohmann::json &m : list)
        out.push_back({m.at("role").get_ref<const std::string &>(), m.at("content").get_ref<const std::string &>(), {}});
    return out;
}

} // namespace

TEST_CASE("chatml_matches_jinja_golden_renderings", "[chat]") {
    const nlohmann::json cases = nlohmann::json::parse(read_text("chat/golden/chatml.json"));
    REQUIRE(cases.size() == 78);
    for (const nlohmann::json &c : cases) {
        const std::string name = c.at("template");
        std::string tmpl = read_text("chat/templates/" + name);
        REQUIRE(loom::chat_template_kind(tmpl) == loom::ChatTemplateKind::ChatML);
        std::string got;
        REQUIRE(loom::render_chatml(loom::chatml_style(tmpl), messages_of(c.at("messages")),
                                    c.at("add_generation_prompt").get<bool>(), &got)
                    .is_ok());
        INFO("template " << name);
        CHECK(got == c.at("expected").get<std::string>());
    }
}

TEST_CASE("default_system_prompt_comes_from_the_template_text", "[chat]") {
    loom::ChatMLStyle q2 = loom::chatml_style(read_text("chat/templates/qwen2.jinja"));
    CHECK(q2.has_default_system);
    CHECK(q2.default_system == "You are a helpful assistant.");
    CHECK_FALSE(q2.qwen25);
    loom::ChatMLStyle q25 = loom::chatml_style(read_text("chat/templates/qwen2.5-instruct.jinja"));
    CHECK(q25.default_system == "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
    CHECK(q25.qwen25);
    CHECK(loom::chatml_style(read_text("chat/templates/qwen2-llamacpp.jinja")).default_system ==
          "You are a helpful assistant");
    CHECK_FALSE(loom::chatml_style("{{ '<|im_start|>' + m + '<|im_end|>' }}").has_default_system);
}

TEST_CASE("template_kind_tells_chatml_from_none_and_other", "[chat]") {
    CHECK(loom::chat_template_kind("") == loom::ChatTemplateKind::None);
    CHECK(loom::chat_template_kind("{{ bos_token }}[INST] {{ m }} [/INST]") == loom::ChatTemplateKind::Other);
    CHECK(loom::chat_template_kind("<|im_start|> only") == loom::ChatTemplateKind::Other);
    CHECK(loom::chat_template_kind(read_text("chat/templates/qwen2.5-instruct.jinja")) ==
          loom::ChatTemplateKind::ChatML);
}

TEST_CASE("rejects_unknown_roles", "[chat]") {
    std::string out;
    loom::Status s = loom::render_chatml({}, {{"user", "a", {}}, {"narrator", "b", {}}}, true, &out);
    CHECK(s.code() == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(s.message().find("narrator") != std::string::npos);
}
