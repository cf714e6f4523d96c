// `loom chat` through stdin (and a pseudo-terminal for Ctrl-C, chat_pty.py):
// the slash commands, multi-line input, dropping the oldest turns when the
// context fills, refusing a message that cannot fit, and rolling back a
// message cancelled while it was read in. Greedy, so two sessions that hold
// the same conversation give the same replies.
#include "cli_runner.h"

#include "testdata.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using clitest::loom;
using clitest::q;
using clitest::Run;
using clitest::scratch;
using clitest::tiny_model;

namespace {

const std::string kChat = " --temp 0 -n 6 -t 1 --backend cpu";

Run chat(const std::string &options, const std::string &input) {
    return loom("chat -m " + q(tiny_model()) + kChat + " " + options, input);
}

nlohmann::json saved(const std::string &path) {
    const std::vector<uint8_t> b = testdata::read_file(path);
    return nlohmann::json::parse(std::string(b.begin(), b.end()));
}

nlohmann::json msg(const char *role, const std::string &content) { return {{"role", role}, {"content", content}}; }

} // namespace

TEST_CASE("chat_slash_commands_and_multiline_input", "[cli][chat]") {
    const std::string a = scratch("a.json"), b = scratch("b.json");
    const Run r = chat("-s 'Be brief'", "/help\nline one \\\nline two\n/save " + a + "\n/clear\n/save " + b +
                                            "\n/system Be kind\n/load " + a + "\n/bogus\n/save " + b + "\n");
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("\n>   /help           this list\n"
                     "  /clear          forget the conversation (keeps the system message)\n") != std::string::npos);
    CHECK(r.out.find("\n> ... ") != std::string::npos);   // the continuation prompt
    CHECK(r.out.find("[saved 3 messages to " + a + "]") != std::string::npos);
    CHECK(r.out.find("[conversation cleared]") != std::string::npos);
    CHECK(r.out.find("[saved 1 messages to " + b + "]") != std::string::npos);
    CHECK(r.out.find("[system message set]") != std::string::npos);
    CHECK(r.out.find("[loaded 3 messages from " + a + "]") != std::string::npos);
    CHECK(r.out.find("[unknown command /bogus; /help lists them]") != std::string::npos);
    const nlohmann::json conv = saved(a);
    REQUIRE(conv.size() == 3);
    CHECK(conv[0] == msg("system", "Be brief"));
    CHECK(conv[1] == msg("user", "line one \nline two"));
    CHECK(conv[2]["role"] == "assistant");
    CHECK(saved(b) == conv);   // /load replaced the conversation, system message included
    // The reply is the one a one-message run gives for the same conversation.
    const Run run = loom("run -m " + q(tiny_model()) + " --system 'Be brief' -p 'line one \nline two' " + kChat);
    CHECK(run.out == conv[2]["content"].get<std::string>() + "\n");
    const Run missing = chat("", "/load " + scratch("none.json") + "\n");
    CHECK(missing.out.find("[cannot read " + scratch("none.json") + ": No such file or directory]") != std::string::npos);
}

TEST_CASE("chat_drops_the_oldest_turns_when_the_context_fills", "[cli][chat]") {
    const std::string f = scratch("full.json");
    const Run r = chat("-c 64 -s 'Be brief'", "one two three four five six\nseven eight nine ten eleven\n"
                                              "twelve thirteen fourteen\nfifteen sixteen\n/save " + f + "\n");
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("[context full (64 tokens): dropped the oldest 1 turn]\n") != std::string::npos);
    const nlohmann::json conv = saved(f);
    REQUIRE(conv.size() >= 3);
    CHECK(conv[0] == msg("system", "Be brief"));
    CHECK(conv[1]["content"] != "one two three four five six");
    CHECK(conv[conv.size() - 2] == msg("user", "fifteen sixteen"));
    // What is left is a conversation a fresh session answers the same way.
    nlohmann::json prefix = conv;
    prefix.erase(prefix.end() - 2, prefix.end());
    const std::string p = scratch("prefix.json"), again = scratch("again.json");
    const std::string text = prefix.dump();
    REQUIRE(testdata::write_file(p, text.data(), text.size()));
    chat("-c 64", "/load " + p + "\nfifteen sixteen\n/save " + again + "\n");
    CHECK(saved(again) == conv);
}

TEST_CASE("chat_refuses_a_message_that_cannot_fit_and_goes_on", "[cli][chat]") {
    std::string big;
    for (int i = 0; i < 80; i++) big += "word ";
    const std::string f = scratch("refused.json");
    const Run r = chat("-c 64", big + "\nhi\n/save " + f + "\n");
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("[this message is ") != std::string::npos);
    CHECK(r.out.find(" tokens but the context holds 64 (raise -c); not sent]\n") != std::string::npos);
    const nlohmann::json conv = saved(f);
    REQUIRE(conv.size() == 2);
    CHECK(conv[0] == msg("user", "hi"));
}

TEST_CASE("chat_ctrl_c_while_reading_a_message_takes_it_back", "[cli][chat]") {
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    const std::string pty = scratch("pty.json"), plain = scratch("plain.json");
    const int st = testdata::run("/usr/bin/python3 " + q(testdata::source_path("cli/chat_pty.py")) + " " + q(exe) +
                                 " " + q(tiny_model()) + " " + q(pty));
    REQUIRE(st == 0);
    // The same session without the cancelled message.
    REQUIRE(chat("-c 16384 -b 1", "hello\nhello again\n/save " + plain + "\n").status == 0);
    CHECK(saved(pty) == saved(plain));
}
