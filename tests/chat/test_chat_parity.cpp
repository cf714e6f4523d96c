// Live parity: loom's ChatML against Jinja2 (python3-jinja2) on randomized
// conversations, through the C API and the `loom chat-template` tool on
// synthetic Qwen2 models; EOG ids against gguf_token_ids.py, FIM tokens against llama.cpp's
// tokenizer (llref tokenize) on the same files.
#include "chat/chatml.h"
#include "loom.h"
#include "testdata.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Conversation {
    std::vector<std::string> roles, contents;
    bool add_generation_prompt = true;
};

std::string read_text(const std::string &path) {
    std::vector<uint8_t> raw = testdata::read_file(path);
    return std::string(raw.begin(), raw.end());
}

std::vector<Conversation> random_conversations(uint64_t seed, int n) {
    static const char *pieces[] = {"hello", " ", "\n", "\r\n", "\t", "\xC3\xA9", "\xE6\xBC\xA2\xE5\xAD\x97",
                                   "\xF0\x9F\x99\x82", "\"", "'", "\\", "{{", "}}", "{%", "<|im_end|>",
                                   "<|im_start|>", "system", "tool", "12345", "</tool_response>", ""};
    static const char *roles[] = {"system", "user", "assistant", "tool"};
    std::mt19937_64 rng(seed);
    std::vector<Conversation> out(static_cast<size_t>(n));
    for (Conversation &c : out) {
        int n_msg = 1 + static_cast<int>(rng() % 7);
        for (int i = 0; i < n_msg; ++i) {
            c.roles.push_back(roles[rng() % 4]);
            std::string text;
            for (int k = static_cast<int>(rng() % 8); k > 0; --k) text += pieces[rng() % (sizeof pieces / sizeof *pieces)];
            c.contents.push_back(text);
        }
        c.add_generation_prompt = rng() % 3 != 0;
    }
    return out;
}

std::string messages_json(const Conversation &c) {
    std::string s = "[";
    for (size_t i = 0; i < c.roles.size(); ++i)
        s += (i ? "," : "") + std::string("{\"role\":") + nlohmann::json(c.roles[i]).dump() +
             ",\"content\":" + nlohmann::json(c.contents[i]).dump() + "}";
    return s + "]";
}

// Jinja2's renderings of `convs` with `tmpl` (tests/chat/jinja_render.py).
std::vector<std::string> jinja_render(const std::string &tmpl, const std::vector<Conversation> &convs) {
    std::string req = "{\"template\":" + nlohmann::json(tmpl).dump() + ",\"cases\":[";
    for (size_t i = 0; i < convs.size(); ++i)
        req += (i ? "," : "") + std::string("{\"messages\":") + messages_json(convs[i]) +
               ",\"add_generation_prompt\":" + (convs[i].add_generation_prompt ? "true" : "false") + "}";
    req += "]}";
    std::string in = testdata::scratch_dir() + "/jinja_req.json";
    REQUIRE(testdata::write_file(in, req.data(), req.size()));
    int status = -1;
    std::string out = testdata::capture("/usr/bin/python3 '" + testdata::source_path("chat/jinja_render.py") + "' < '" + in + "'", &status);
    REQUIRE(status == 0);
    const nlohmann::json list = nlohmann::json::parse(out);
    std::vector<std::string> rendered;
    for (const nlohmann::json &v : list) rendered.push_back(v.get<std::string>());
    REQUIRE(rendered.size() == convs.size());
    return rendered;
}

std::string loom_apply(const loom_model *model, const Conversation &c, int32_t flags) {
    std::vector<const char *> r, t;
    for (size_t i = 0; i < c.roles.size(); ++i) r.push_back(c.roles[i].c_str()), t.push_back(c.contents[i].c_str());
    if (c.add_generation_prompt) flags |= LOOM_CHAT_ADD_GENERATION_PROMPT;
    size_t size = 0;
    REQUIRE(loom_chat_apply(model, r.data(), t.data(), r.size(), flags, nullptr, 0, &size) == LOOM_ERR_BUFFER_TOO_SMALL);
    std::string out(size, '\0');
    REQUIRE(loom_chat_apply(model, r.data(), t.data(), r.size(), flags, &out[0], out.size(), &size) == LOOM_OK);
    return out;
}

loom_model *load_vocab(const std::string &path) {
    loom_model_params p;
    loom_model_default_params(&p);
    p.vocab_only = 1;
    loom_model *m = nullptr;
    INFO(loom_last_error());
    REQUIRE(loom_model_load(path.c_str(), &p, &m) == LOOM_OK);
    return m;
}

std::string model_template(const loom_model *m) {
    const char *s = nullptr;
    size_t len = 0;
    REQUIRE(loom_gguf_get_string(loom_model_gguf(m), "tokenizer.chat_template", &s, &len) == LOOM_OK);
    return std::string(s, len);
}

// llama.cpp's ids for `text` (special tokens parsed).
std::vector<int32_t> llref_tokenize(const std::string &model, const std::string &text) {
    std::string in = testdata::scratch_dir() + "/llref_tok.txt";
    REQUIRE(testdata::write_file(in, text.data(), text.size()));
    int status = -1;
    std::string out = testdata::capture(testdata::ref_dir() + "/llref tokenize '" + model + "' < '" + in + "'", &status);
    REQUIRE(status == 0);
    std::istringstream ids(out);
    std::vector<int32_t> v;
    for (int32_t id; ids >> id;) v.push_back(id);
    return v;
}

// The ids of `texts` in the GGUF's tokenizer.ggml.tokens (gguf_token_ids.py).
std::vector<int32_t> gguf_token_ids(const std::string &model, const std::vector<std::string> &texts) {
    std::string cmd = "/usr/bin/python3 '" + testdata::source_path("chat/gguf_token_ids.py") + "' '" + model + "'";
    for (const std::string &t : texts) cmd += " '" + t + "'";
    int status = -1;
    std::istringstream out(testdata::capture(cmd, &status));
    REQUIRE(status == 0);
    std::vector<int32_t> ids;
    for (int32_t id; out >> id;) ids.push_back(id);
    REQUIRE(ids.size() == texts.size());
    return ids;
}

// ChatML without a default system turn (Qwen2's template minus its system line).
const std::string kPlainChatML =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const std::string kVocabQwen2 = std::string(std::getenv("HOME") ? std::getenv("HOME") : "") +
                                "/.cache/llref/src/models/ggml-vocab-qwen2.gguf";

} // namespace

// Exits 77 (skipped) without the reference tools or python3-jinja2.
static void require_references() {
    REQUIRE_REF_OR_SKIP();
    if (testdata::run("/usr/bin/python3 -c 'import jinja2' 2>/dev/null") != 0) {
        testdata::exit_missing("python3-jinja2");
    }
}

TEST_CASE("chatml_matches_jinja_on_random_conversations", "[chat][parity]") {
    require_references();
    const char *names[] = {"qwen2.jinja", "qwen2-llamacpp.jinja", "qwen2.5-instruct.jinja"};
    uint64_t seed = 1;
    for (const char *name : names) {
        std::string tmpl = read_text(testdata::source_path(std::string("chat/templates/") + name));
        std::vector<Conversation> convs = random_conversations(seed++, 300);
        std::vector<std::string> want = jinja_render(tmpl, convs);
        loom::ChatMLStyle style = loom::chatml_style(tmpl);
        for (size_t i = 0; i < convs.size(); ++i) {
            std::vector<loom::ChatMessage> msgs;
            for (size_t k = 0; k < convs[i].roles.size(); ++k) msgs.push_back({convs[i].roles[k], convs[i].contents[k], {}});
            std::string got;
            REQUIRE(loom::render_chatml(style, msgs, convs[i].add_generation_prompt, &got).is_ok());
            INFO(name << " conversation " << i << ": " << messages_json(convs[i]));
            CHECK(got == want[i]);
        }
    }
}

TEST_CASE("chat_apply_renders_each_models_own_template", "[chat][parity]") {
    require_references();
    std::string tiny = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!tiny.empty());
    for (const std::string &path : {tiny, kVocabQwen2}) {
        loom_model *m = load_vocab(path);
        int32_t kind = -1;
        REQUIRE(loom_chat_template_kind(m, &kind) == LOOM_OK);
        CHECK(kind == LOOM_CHAT_KIND_CHATML);
        std::vector<Conversation> convs = random_conversations(99, 100);
        std::vector<std::string> want = jinja_render(model_template(m), convs);
        for (size_t i = 0; i < convs.size(); ++i) {
            INFO(path << " conversation " << i);
            CHECK(loom_apply(m, convs[i], 0) == want[i]);
        }
        loom_model_free(m);
    }
}

TEST_CASE("chat_template_tool_prints_the_rendered_prompt", "[chat][parity]") {
    require_references();
    std::string tiny = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!tiny.empty());
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe);
    std::vector<Conversation> convs = random_conversations(5, 4);
    loom_model *m = load_vocab(tiny);
    std::vector<std::string> want = jinja_render(model_template(m), convs);
    loom_model_free(m);
    std::string in = testdata::scratch_dir() + "/chat_cli.json";
    for (size_t i = 0; i < convs.size(); ++i) {
        std::string json = messages_json(convs[i]);
        REQUIRE(testdata::write_file(in, json.data(), json.size()));
        int status = -1;
        std::string out = testdata::capture(std::string(exe) + " chat-template -m '" + tiny + "'" +
                                                (convs[i].add_generation_prompt ? "" : " --no-generation-prompt") +
                                                " < '" + in + "'",
                                            &status);
        CHECK(status == 0);
        CHECK(out == want[i]);
    }
    int status = -1;
    testdata::capture(std::string(exe) + " chat-template -m '" + tiny + "' < /dev/null 2>/dev/null", &status);
    CHECK(status == 1); // empty stdin is not JSON
}

TEST_CASE("eog_set_matches_the_gguf_token_ids", "[chat][parity]") {
    require_references();
    std::string tiny = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!tiny.empty());
    struct Case {
        std::string path;
        std::vector<std::string> eog_texts;
    } cases[] = {{tiny, {"<|endoftext|>", "<|im_end|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"}},
                 {kVocabQwen2, {"<|endoftext|>", "<|im_end|>"}}};
    for (const Case &c : cases) {
        std::vector<int32_t> want = gguf_token_ids(c.path, c.eog_texts);
        std::sort(want.begin(), want.end());
        loom_model *m = load_vocab(c.path);
        size_t n = 0;
        REQUIRE(loom_model_eog_tokens(m, nullptr, 0, &n) == LOOM_ERR_BUFFER_TOO_SMALL);
        std::vector<int32_t> got(n);
        REQUIRE(loom_model_eog_tokens(m, got.data(), got.size(), &n) == LOOM_OK);
        INFO(c.path);
        CHECK(got == want);
        for (int32_t id = 0; id < loom_model_n_vocab(m); ++id)
            if (loom_token_is_eog(m, id) != (std::binary_search(want.begin(), want.end(), id) ? 1 : 0))
                FAIL("token " << id << " eog membership differs");
        CHECK(loom_token_is_eog(m, -1) == 0);
        CHECK(loom_token_is_eog(m, loom_model_n_vocab(m)) == 0);
        loom_model_free(m);
    }
}

TEST_CASE("fim_prompt_tokenizes_to_the_fim_ids", "[chat][parity]") {
    require_references();
    std::string tiny = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!tiny.empty());
    loom_model *m = load_vocab(tiny);
    char buf[256];
    size_t size = 0;
    REQUIRE(loom_fim_prompt(m, "int a", ";\n", buf, sizeof buf, &size) == LOOM_OK);
    std::string prompt(buf, size);
    CHECK(prompt == "<|fim_prefix|>int a<|fim_suffix|>;\n<|fim_middle|>");
    const char *paths[] = {"a.h"}, *contents[] = {"int a;\n"};
    REQUIRE(loom_fim_repo_prompt(m, "r", paths, contents, 1, "a.c", "x", "y", buf, sizeof buf, &size) == LOOM_OK);
    CHECK(std::string(buf, size) ==
          "<|repo_name|>r\n<|file_sep|>a.h\nint a;\n<|file_sep|>a.c\n<|fim_prefix|>x<|fim_suffix|>y<|fim_middle|>");
    // Each special-token text is one token to llama.cpp's tokenizer too, with the vocabulary's id.
    std::vector<std::string> fim = {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|repo_name|>",
                                    "<|file_sep|>"};
    CHECK(llref_tokenize(tiny, fim[0] + fim[1] + fim[2] + fim[3] + fim[4]) == gguf_token_ids(tiny, fim));
    loom_model_free(m);

    loom_model *q2 = load_vocab(kVocabQwen2); // Qwen2's vocabulary has no FIM tokens
    CHECK(loom_fim_prompt(q2, "a", "b", buf, sizeof buf, &size) == LOOM_ERR_NOT_FOUND);
    CHECK(std::string(loom_last_error()).find("<|fim_prefix|>") != std::string::npos);
    loom_model_free(q2);
}

TEST_CASE("chat_apply_refuses_non_chatml_templates_unless_forced", "[chat][parity]") {
    require_references();
    const std::string dir = testdata::scratch_dir();
    const std::string tool = "/usr/bin/python3 '" + testdata::source_path("chat/gguf_set_template.py") + "' '" +
                             kVocabQwen2 + "' ";
    REQUIRE(testdata::run(tool + "'" + dir + "/chat_none.gguf'") == 0);
    REQUIRE(testdata::run(tool + "'" + dir + "/chat_other.gguf' '{{ bos_token }}[INST] {{ m }} [/INST]'") == 0);
    Conversation conv = random_conversations(3, 1)[0];
    struct Case {
        const char *file;
        int32_t kind;
        const char *says;
    } cases[] = {{"/chat_none.gguf", LOOM_CHAT_KIND_NONE, "no chat template"},
                 {"/chat_other.gguf", LOOM_CHAT_KIND_OTHER, "not ChatML"}};
    for (const Case &c : cases) {
        loom_model *m = load_vocab(dir + c.file);
        int32_t kind = -1;
        REQUIRE(loom_chat_template_kind(m, &kind) == LOOM_OK);
        CHECK(kind == c.kind);
        const char *role = "user", *content = "hi";
        size_t size = 0;
        CHECK(loom_chat_apply(m, &role, &content, 1, 0, nullptr, 0, &size) == LOOM_ERR_UNSUPPORTED);
        CHECK(std::string(loom_last_error()).find(c.says) != std::string::npos);
        // Forced: plain ChatML with no default system prompt (the template names none).
        CHECK(loom_apply(m, conv, LOOM_CHAT_FORCE_CHATML) == jinja_render(kPlainChatML, {conv})[0]);
        loom_model_free(m);
    }
}
