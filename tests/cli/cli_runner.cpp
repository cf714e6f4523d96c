#include "cli_runner.h"

#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace clitest {

std::string q(const std::string &path) { return "'" + path + "'"; }

std::string scratch(const std::string &name) {
    return testdata::scratch_dir() + "/cli_" + std::to_string(::getpid()) + "_" + name;
}

Run loom(const std::string &args, const std::string &stdin_text) {
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    const std::string in = scratch("stdin.txt"), err = scratch("stderr.txt");
    REQUIRE(testdata::write_file(in, stdin_text.data(), stdin_text.size()));
    Run r;
    r.out = testdata::capture(q(exe) + " " + args + " < " + q(in) + " 2> " + q(err), &r.status);
    const std::vector<uint8_t> e = testdata::read_file(err);
    r.err.assign(e.begin(), e.end());
    std::remove(in.c_str());
    std::remove(err.c_str());
    return r;
}

const std::string &tiny_model() {
    static const std::string path = [] {
        if (!testdata::ref_available()) testdata::exit_missing("the reference (../shared/ref)");
        std::string p = testdata::synthetic_model("tiny", 1, 0);
        if (p.empty()) testdata::exit_missing("ref/mkgguf.py --preset tiny");
        return p;
    }();
    return path;
}

} // namespace clitest
