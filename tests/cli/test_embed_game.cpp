// examples/embed-game on the tiny synthetic model: the NPC's reply, decoded
// in frame-budgeted slices (loom_decode_step), must be the text of
// `loom run --temp 0` (greedy, same threads and backend), and the frames'
// think times must keep the budget within the slack stated below. The
// example links libloom.a (no libloom.so in ldd), runs loom's kernels on its
// own worker pool (parallel_for) and tracks loom's memory with its own
// allocator (loom_set_allocator): the tracker must have seen bytes, and be
// back to zero, every allocation freed, at exit.
#include "cli_runner.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <algorithm>
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

struct Game {
    int status = -1;
    std::string out, log;
};

// embed-game on the tiny model, CPU, 2 threads: n tokens, the think budget,
// the fake render time, the frame rate (0: back to back).
Game play(int n, double budget_us, int render_us, int hz) {
    const char *exe = std::getenv("EMBED_GAME_EXE");
    REQUIRE(exe != nullptr);
    const std::string err = clitest::scratch("embed_game_stderr.txt");
    Game g;
    g.out = testdata::capture(q(exe) + " " + q(tiny_model()) + " '" + kLine + "' " + std::to_string(n) + " " +
                                  std::to_string(int(budget_us)) + " " + std::to_string(render_us) + " 2 cpu " +
                                  std::to_string(hz) + " 2> " + q(err),
                              &g.status);
    const std::vector<uint8_t> e = testdata::read_file(err);
    g.log.assign(e.begin(), e.end());
    return g;
}

} // namespace

TEST_CASE("embed_game_reply_equals_loom_run_and_frames_keep_their_budget", "[cli][embed_game]") {
    const int n = 20;
    // The granularity now: frames back to back with a 1 us budget, so each
    // runs at most one piece (the machine may be loaded: it is measured, not assumed).
    const Game one_piece = play(n, 1, 0, 0);
    REQUIRE(one_piece.status == 0);
    double granularity = number_after(one_piece.log, "us: max ");
    // 4 ms of thinking per 16.7 ms frame. A frame overruns its budget by at
    // most one piece mispredicted, or by the start of the next token
    // (sampling, recording its graph) when one completes: the 90th
    // percentile must stay within one piece of the budget. The longest
    // frame is also exposed to the OS preempting the process on a loaded
    // machine (measured up to 35 ms at load 30 on 2 cores): 50 ms.
    const double budget_us = 4000, max_slack_us = 50000;
    const Game game = play(n, budget_us, 3000, 60);
    INFO(game.log);
    REQUIRE(game.status == 0);
    const clitest::Run want = loom("run -m " + q(tiny_model()) + " --backend cpu -t 2 -p '" + kLine +
                                   "' --temp 0 --no-display-prompt -n " + std::to_string(n));
    REQUIRE(want.status == 0);
    CHECK(game.out == want.out);
    CHECK(one_piece.out == want.out);
    // The granularity again after the game, the larger of the two: the load
    // may change between the runs (CI measured p90 9.1 ms against a 4.4 ms
    // granularity taken while another test had just finished).
    const Game after = play(n, 1, 0, 0);
    REQUIRE(after.status == 0);
    granularity = std::max(granularity, number_after(after.log, "us: max "));
    const double max_think = number_after(game.log, "us: max ");
    const double p90 = number_after(game.log, "p90 ");
    INFO("granularity " << granularity << " us");
    // One piece a frame (every other frame): a token's decode is really sliced into many.
    CHECK(number_after(one_piece.log, "frames ") > 10 * n);
    CHECK(max_think >= 0);
    CHECK(p90 >= 0);
    CHECK(p90 <= budget_us + granularity);
    CHECK(max_think <= budget_us + max_slack_us);
    // The engine's allocator saw loom's blocks, and got every one back.
    CHECK(number_after(game.log, "tracked peak ") > 0);
    CHECK(number_after(game.log, "allocations ") > 0);
    CHECK(number_after(game.log, "frees ") == number_after(game.log, "allocations "));
    CHECK(number_after(game.log, "refused ") == 0);
    CHECK(number_after(game.log, "live at exit ") == 0);
    CHECK(number_after(game.log, " loops on ") > 0);
}

TEST_CASE("embed_game_links_libloom_statically", "[cli][embed_game]") {
    const char *exe = std::getenv("EMBED_GAME_EXE");
    REQUIRE(exe != nullptr);
    int status = -1;
    const std::string deps = testdata::capture("ldd " + q(exe), &status);
    INFO(deps);
    REQUIRE(status == 0);
    CHECK(deps.find("libstdc++") != std::string::npos);   // ldd did list the libraries
    CHECK(deps.find("libloom") == std::string::npos);
}
