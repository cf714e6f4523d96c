// examples/embed-game on the tiny synthetic model: the NPC's reply, decoded
// in frame-budgeted slices (loom_decode_step), must be the text of
// `loom run --temp 0` (greedy, same threads and backend), and no frame's
// think time may exceed the budget by more than the stated slack.
#include "cli_runner.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

using clitest::loom;
using clitest::q;
using clitest::tiny_model;

namespace {

const char *const kLine = "The blacksmith looks up from the anvil and says";

// A number in `text` after `key` (e.g. "max "), -1 if absent.
double number_after(const std::string &text, const std::string &key) {
    const size_t at = text.find(key);
    return at == std::string::npos ? -1 : std::atof(text.c_str() + at + key.size());
}

} // namespace

TEST_CASE("embed_game_reply_equals_loom_run_and_frames_keep_their_budget", "[cli][embed_game]") {
    const char *exe = std::getenv("EMBED_GAME_EXE");
    REQUIRE(exe != nullptr);
    const int n = 20;
    // 2 ms of thinking per frame. Slack: one piece (an op of the tiny model:
    // tens of microseconds) mispredicted, plus the OS preempting a thread on a
    // loaded 2-core machine: 3 ms.
    const double budget_us = 2000, slack_us = 3000;
    const std::string err = clitest::scratch("embed_game_stderr.txt");
    int status = -1;
    const std::string out = testdata::capture(q(exe) + " " + q(tiny_model()) + " '" + kLine + "' " + std::to_string(n) +
                                                  " " + std::to_string(int(budget_us)) + " 3000 2 cpu 2> " + q(err),
                                              &status);
    const std::vector<uint8_t> e = testdata::read_file(err);
    const std::string log(e.begin(), e.end());
    INFO(log);
    REQUIRE(status == 0);
    const clitest::Run want = loom("run -m " + q(tiny_model()) + " --backend cpu -t 2 -p '" + kLine +
                                   "' --temp 0 --no-display-prompt -n " + std::to_string(n));
    REQUIRE(want.status == 0);
    CHECK(out == want.out);
    const double frames = number_after(log, "frames "), max_think = number_after(log, "us: max ");
    CHECK(frames > 2);   // the reply took several frames: the decode was really sliced
    CHECK(max_think >= 0);
    CHECK(max_think <= budget_us + slack_us);
}
