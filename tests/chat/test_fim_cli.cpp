// `loom fim` input files that cannot be read as text: a directory, a file
// whose reads fail (/proc/self/mem), an endless device. Each is an error
// message and exit status 1, never an exception (SIGABRT).
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

namespace {

int loom_fim(const std::string &prefix, const std::string &suffix, std::string *err) {
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    const std::string log = testdata::scratch_dir() + "/fim_cli_err.txt";
    int status = testdata::run(std::string("'") + exe + "' fim -m no-such-model.gguf --prefix-file '" + prefix +
                               "' --suffix-file '" + suffix + "' 2> '" + log + "'");
    std::vector<uint8_t> e = testdata::read_file(log);
    err->assign(e.begin(), e.end());
    return status;
}

} // namespace

TEST_CASE("fim_cli_reports_unreadable_prefix_and_suffix_files", "[fim][cli]") {
    const std::string dir = testdata::scratch_dir(), ok = dir + "/fim_cli_ok.txt";
    REQUIRE(testdata::write_file(ok, "x", 1));
    struct Case {
        std::string path, why;
    };
    for (const Case &c : {Case{dir, "is a directory"}, Case{"/proc/self/mem", "Input/output error"},
                          Case{"/dev/zero", "larger than 256 MiB"}, Case{dir + "/none.txt", "No such file"}}) {
        for (int as_suffix = 0; as_suffix < 2; as_suffix++) {
            std::string err;
            const int st = as_suffix ? loom_fim(ok, c.path, &err) : loom_fim(c.path, ok, &err);
            CAPTURE(c.path, as_suffix, err);
            CHECK(st == 1);
            CHECK(err.find("cannot read " + c.path + ": ") != std::string::npos);
            CHECK(err.find(c.why) != std::string::npos);
        }
    }
}
