// The benchmark tools run and print what they promise (never a timing
// check): `loom bench` on the tiny preset prints exactly the two llref-style
// lines, and tests/bench/compare.sh and batched.sh run both tools and print
// ratio rows.
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <regex>
#include <string>

namespace {

std::string env(const char *name) {
    const char *v = std::getenv(name);
    return v ? v : "";
}

// tests/bench/SCRIPT -b BUILD ARGS on the tiny preset, its models cached in
// the shared scratch folder; what it printed on stdout.
std::string run_script(const char *script, const std::string &args, int *status) {
    const std::string dir = testdata::scratch_dir() + "/bench-compare";
    return testdata::capture("LOOM_BENCH_DIR='" + dir + "' '" + testdata::source_path(std::string("bench/") + script) +
                                 "' -b '" + env("LOOM_BUILD_ROOT") + "' -P tiny " + args + " 2>/dev/null",
                             status);
}

} // namespace

TEST_CASE("loom_bench_prints_pp_and_tg_lines", "[bench]") {
    REQUIRE_REF_OR_SKIP();
    const std::string model = testdata::synthetic_model("tiny", 1, 2);
    REQUIRE(!model.empty());
    int status = -1;
    const std::string out =
        testdata::capture(env("LOOM_EXE") + " bench -m '" + model + "' -p 16 -n 4 -t 2 -r 2 2>/dev/null", &status);
    CAPTURE(out);
    REQUIRE(status == 0);
    const std::regex want(R"(pp16 [0-9]+\.[0-9]{2} tok/s\ntg4 [0-9]+\.[0-9]{2} tok/s\n)");
    REQUIRE(std::regex_match(out, want));

    const std::string depth = testdata::capture(
        env("LOOM_EXE") + " bench -m '" + model + "' -p 8 -n 2 -r 1 --depth 24 2>/dev/null", &status);
    CAPTURE(depth);
    REQUIRE(status == 0);
    REQUIRE(std::regex_match(depth, std::regex(R"(pp8 [0-9.]+ tok/s\ntg2 [0-9.]+ tok/s\n)")));

    // --parallel (llama-server's name; --sequences, -np): the step line too.
    const std::string par = testdata::capture(
        env("LOOM_EXE") + " bench -m '" + model + "' -p 0 -n 2 -r 1 --depth 8 --parallel 3 2>/dev/null", &status);
    CAPTURE(par);
    REQUIRE(status == 0);
    REQUIRE(std::regex_match(par, std::regex(R"(pp0 0\.00 tok/s\ntg2 [0-9.]+ tok/s\nstep [0-9.]+ ms cpu [0-9.]+ ms\n)")));
}

TEST_CASE("loom_bench_rejects_bad_usage", "[bench]") {
    int status = -1;
    testdata::capture(env("LOOM_EXE") + " bench -p 16 2>/dev/null", &status);
    REQUIRE(status != 0);
    testdata::capture(env("LOOM_EXE") + " bench -m x.gguf -t zero 2>/dev/null", &status);
    REQUIRE(status != 0);
}

TEST_CASE("compare_script_prints_a_ratio_row", "[bench]") {
    REQUIRE_REF_OR_SKIP();
    int status = -1;
    const std::string out = run_script("compare.sh", "-p 16 -n 4 -r 1 -R 1 Q4_0", &status);
    CAPTURE(out);
    REQUIRE(status == 0);
    REQUIRE(std::regex_search(out, std::regex(R"(\nQ4_0 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+\n)")));
}

TEST_CASE("batched_script_prints_a_ratio_row_per_sequence_count", "[bench]") {
    REQUIRE_REF_OR_SKIP();
    int status = -1;
    const std::string out = run_script("batched.sh", "-p 8 -n 2 -R 1 -N '2 3' Q4_0", &status);
    CAPTURE(out);
    REQUIRE(status == 0);
    for (const char *n : {"2", "3"})
        REQUIRE(std::regex_search(out, std::regex(std::string(R"(\nQ4_0 +)") + n + R"( +[0-9.]+ +[0-9.]+ +[0-9.]+\n)")));
}
