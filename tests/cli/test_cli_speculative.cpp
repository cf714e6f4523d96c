// `loom run --draft-model M | --lookup` and `loom bench`'s speculative mode
// on the tiny synthetic model: the greedy text equals plain `loom run
// --temp 0`'s, with the model as its own draft, with a draft of other
// weights (seed 2, same vocabulary), and with prompt lookup.
#include "cli_runner.h"

#include "testdata.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using clitest::loom;
using clitest::q;
using clitest::Run;
using clitest::tiny_model;

namespace {

const char kPrompt[] = "def add(a, b):\n    return a + b\n\ndef add(a, b):\n    return";

std::string m() { return "-m " + q(tiny_model()) + " --backend cpu"; }

Run greedy(const std::string &extra) {
    return loom("run " + m() + " --temp 0 -n 24 --no-display-prompt " + extra, kPrompt);
}

} // namespace

TEST_CASE("run_with_a_draft_or_lookup_prints_the_greedy_text", "[cli][speculative]") {
    const Run plain = greedy("");
    REQUIRE(plain.status == 0);
    const std::string other = testdata::synthetic_model("tiny", 2, 0);
    REQUIRE(!other.empty());
    for (const std::string &extra : {"--draft-model " + q(tiny_model()) + " --draft-max 4",
                                     "-md " + q(other) + " --draft 3", std::string("--lookup"),
                                     std::string("--lookup --lookup-ngram-min 1 --draft-max 2")}) {
        INFO(extra);
        const Run r = greedy(extra);
        INFO(r.err);
        CHECK(r.status == 0);
        CHECK(r.out == plain.out);
    }
    const Run j = greedy("--lookup --json-report");
    REQUIRE(j.status == 0);
    const nlohmann::json report = nlohmann::json::parse(j.out);
    CHECK(report["speculative"]["rounds"].get<int>() >= 1);
    CHECK(report["tokens"]["generated"] == 24);
}

TEST_CASE("run_refuses_two_draft_sources", "[cli][speculative]") {
    const Run r = greedy("--lookup --draft-model " + q(tiny_model()));
    CHECK(r.status == 2);
    CHECK(r.err.find("--lookup and --draft-model") != std::string::npos);
}

TEST_CASE("run_names_a_draft_model_it_cannot_load", "[cli][speculative]") {
    const std::string missing = testdata::scratch_dir() + "/no-such-draft.gguf";
    const Run r = greedy("--draft-model " + q(missing));
    CHECK(r.status == 1);
    CAPTURE(r.err);
    CHECK(r.err.find("draft model " + missing) != std::string::npos);
    CHECK(r.out.empty());
}

TEST_CASE("bench_speculative_reports_speedup_and_acceptance", "[cli][speculative]") {
    const Run r = loom("bench " + m() + " --draft-model " + q(tiny_model()) + " -p 16 -n 12 -r 1 --json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    CHECK(j["acceptance"].get<double>() == 1.0);   // its own draft
    CHECK(j["speedup_median"].get<double>() > 0.0);
    CHECK(j["tokens_per_target_decode"].get<double>() > 1.0);
    CHECK(j["identical_text"] == true);
}
