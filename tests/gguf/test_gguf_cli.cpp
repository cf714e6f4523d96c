// `loom gguf info|dequant`: the built tool on good and broken files (exit
// codes 0 / 1 / 2, the `loom: error:` prefix, never a signal).
#include "gguf_fixtures.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace gguf_test;

namespace {

struct Run {
    int status = -1; // -1: did not exit normally (a signal)
    std::string out, err;
};

Run loom_cli(const std::string &args) {
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    std::string err_path = testdata::scratch_dir() + "/gguf_cli_stderr.txt";
    Run r;
    r.out = testdata::capture("'" + std::string(exe) + "' " + args + " 2>'" + err_path + "'", &r.status);
    std::vector<uint8_t> err = testdata::read_file(err_path);
    r.err.assign(err.begin(), err.end());
    return r;
}

std::string scratch(const std::string &name) { return testdata::scratch_dir() + "/" + name; }

std::string write_scratch(const std::string &name, const std::vector<uint8_t> &bytes) {
    std::string path = scratch(name);
    REQUIRE(testdata::write_file(path, bytes.data(), bytes.size()));
    return path;
}

void expect_error(const Run &r, const char *needle) {
    INFO("stderr: " << r.err);
    CHECK(r.status == 1);
    CHECK(r.err.rfind("loom: error: ", 0) == 0);
    CHECK(r.err.find(needle) != std::string::npos);
}

} // namespace

TEST_CASE("cli_gguf_info_prints_metadata_and_tensor_table", "[gguf][cli]") {
    std::string path = write_scratch("gguf_cli_valid.gguf", valid_builder().build());
    Run r = loom_cli("gguf info '" + path + "'");
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("GGUF v3: 18 keys, 3 tensors, alignment 64") != std::string::npos);
    CHECK(r.out.find("general.architecture") != std::string::npos);
    CHECK(r.out.find("\"qwen2\"") != std::string::npos);
    CHECK(r.out.find("[string x 3] \"a\", \"\", \"bc\"") != std::string::npos);
    CHECK(r.out.find("[i32 x 3] 1, -2, 3") != std::string::npos);
    CHECK(r.out.find("-9000000000000000000") != std::string::npos);
    CHECK(r.out.find("18000000000000000000") != std::string::npos);
    CHECK(r.out.find("w.q8_0") != std::string::npos);
    CHECK(r.out.find("Q8_0") != std::string::npos);
    CHECK(r.out.find("[32, 2]") != std::string::npos);
    CHECK(r.out.find(" 68\n") != std::string::npos);
}

TEST_CASE("cli_gguf_dequant_writes_float32", "[gguf][cli]") {
    std::string path = write_scratch("gguf_cli_valid.gguf", valid_builder().build());
    std::string out = scratch("gguf_cli_w.f32");
    Run r = loom_cli("gguf dequant '" + path + "' w.f32 '" + out + "'");
    REQUIRE(r.status == 0);
    std::vector<float> f = testdata::read_f32(out);
    REQUIRE(f.size() == 12);
    for (int i = 0; i < 12; ++i) CHECK(f[i] == static_cast<float>(i) - 5.5f);
    // Q8_0 by its definition: value = f16 scale * int8 (scales 1.0 and 0.5 in the two blocks).
    r = loom_cli("gguf dequant '" + path + "' w.q8_0 '" + out + "'");
    REQUIRE(r.status == 0);
    f = testdata::read_f32(out);
    REQUIRE(f.size() == 64);
    for (int i = 0; i < 32; ++i) CHECK(f[i] == static_cast<float>(i - 16));
    for (int i = 0; i < 32; ++i) CHECK(f[32 + i] == 0.5f * static_cast<float>(3 + i));
}

TEST_CASE("cli_gguf_errors_exit_1_with_error_prefix", "[gguf][cli]") {
    std::vector<uint8_t> bytes = valid_builder().build();
    bytes.resize(bytes.size() / 2);
    std::string truncated = write_scratch("gguf_cli_truncated.gguf", bytes);
    expect_error(loom_cli("gguf info '" + truncated + "'"), "truncated");
    bytes = valid_builder().build();
    bytes[4] = 1; // version 1
    std::string v1 = write_scratch("gguf_cli_v1.gguf", bytes);
    expect_error(loom_cli("gguf info '" + v1 + "'"), "version 1");
    expect_error(loom_cli("gguf info '" + scratch("gguf_cli_missing.gguf") + "'"), "gguf_cli_missing.gguf");
    std::string good = write_scratch("gguf_cli_valid.gguf", valid_builder().build());
    expect_error(loom_cli("gguf dequant '" + good + "' nope '" + scratch("x.f32") + "'"), "tensor 'nope'");
    expect_error(loom_cli("gguf dequant '" + good + "' w.f32 /nonexistent/dir/out.f32"), "/nonexistent/dir/out.f32");
}

TEST_CASE("cli_gguf_bad_usage_exits_2", "[gguf][cli]") {
    for (const char *args : {"gguf", "gguf info", "gguf frob x", "gguf info a b", "gguf dequant a b"}) {
        Run r = loom_cli(args);
        INFO(args << " -> stderr: " << r.err);
        CHECK(r.status == 2);
        CHECK(r.err.rfind("loom: error: ", 0) == 0);
        CHECK(r.err.find("\nusage: loom gguf info FILE | loom gguf dequant FILE TENSOR OUT.f32\n") != std::string::npos);
    }
}
